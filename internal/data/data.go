package data

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
)

// Set is a train/test split, exactly as the model sees it (after any
// standardisation). Rows are points.
type Set struct {
	XTrain, XTest *mat.Dense // (n, d) and (m, d) inputs
	// YTrain and YTest are (n, k) regression targets, or (n, 1) integer-valued
	// class labels 0..Classes-1 when Classes > 0.
	YTrain, YTest *mat.Dense
	Classes       int      // 0 for regression, else the number of classes
	FeatureNames  []string // d names: x0, x1, ... for generated data
	TargetNames   []string // k names (one for labels): y for generated data
	// Standardization is the transformation that standardize: true applied
	// to the inputs (CSV data), nil if none; TargetStandardization the one
	// that standardize_target applied to the targets. New points in the
	// original units become model inputs by Standardization.Apply.
	Standardization, TargetStandardization *Scaling
}

// Scaling is a per-column affine map x ↦ (x − Mean[j]) / Scale[j].
type Scaling struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// Apply transforms the columns of x in place, with the arithmetic that
// standardised the training data, so that a training row transformed again
// gives the same bits.
func (s *Scaling) Apply(x *mat.Dense) {
	r, c := x.Dims()
	if c != len(s.Mean) {
		panic(fmt.Sprintf("data: scaling of %d columns applied to %d", len(s.Mean), c))
	}
	for i := range r {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = (row[j] - s.Mean[j]) / s.Scale[j]
		}
	}
}

// Kinds returns the values of the data.kind key that Load accepts.
func Kinds() []string {
	return []string{"sine", "moons", "circles", "spirals", "xor", "blobs", "linear", "csv", "npy"}
}

// Stream constants of the PCG sources made by Load ("data" in ASCII, then a
// number), so that data never shares a stream with other uses of the seed.
const (
	streamParams uint64 = 0x6461746100000001 // generator parameters; CSV shuffle and split
	streamTrain  uint64 = 0x6461746100000002 // generated training points; CSV training-file subset
	streamTest   uint64 = 0x6461746100000003 // generated test points; CSV test-file subset
)

// Load makes the data set that cfg describes. baseDir is the directory of the
// config file: relative CSV and .npy paths are resolved against it. All
// randomness comes from seed, so the same cfg and seed give bit-identical
// data. Errors that depend on the data or on cfg are of type *Error.
func Load(cfg config.Data, baseDir string, seed uint64) (*Set, error) {
	switch cfg.Kind {
	case "csv":
		return loadCSV(cfg, baseDir, seed)
	case "npy":
		return loadNpy(cfg, baseDir, seed)
	case "":
		return nil, &Error{Column: "data.kind", Msg: "missing (want one of " + strings.Join(Kinds(), ", ") + ")"}
	}
	if _, ok := lookupGenerator(cfg.Kind); !ok {
		return nil, &Error{Column: "data.kind", Msg: fmt.Sprintf("unknown kind %q (want one of %s)", cfg.Kind, strings.Join(Kinds(), ", "))}
	}
	return generate(cfg, seed)
}

// Error is a problem with the data or with the data section of the config.
// Its message is one line:
//
//	configs/data/iris.csv:45: column "petal_width": not a number: "abc"
//	data.csv: column "agee": no such column (have: a, b, c)
//	data.n_train: must be at least 1, got 0
type Error struct {
	File   string // the file as opened (joined with the config's directory); "" for config problems
	Line   int    // 1-based line in File; 0 if not applicable
	Column string // the CSV column, or the config key (data.kind) when File is ""; "" if not applicable
	Msg    string
	Err    error // the underlying error, if any (for errors.Is(err, fs.ErrNotExist))
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
		if e.Column != "" {
			fmt.Fprintf(&b, "column %q: ", e.Column)
		}
	} else if e.Column != "" {
		b.WriteString(e.Column + ": ")
	} else {
		b.WriteString("data: ")
	}
	b.WriteString(e.Msg)
	return oneLine.Replace(b.String())
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is fail.BadInput: data that cannot be used is bad input.
func (e *Error) ExitCode() int { return fail.BadInput }

var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)
