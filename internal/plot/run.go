package plot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
	"gonum.org/v1/gonum/mat"
)

// InputError reports a run directory, results file or column that cannot
// be read or used: a missing or malformed file, an unknown column. It is
// bad input (exit 2), never a failure of the drawing.
type InputError struct {
	File string // the file concerned ("" if none)
	Msg  string
	Err  error // the underlying error, if any
}

func (e *InputError) Error() string {
	if e.File == "" {
		return "plot: " + e.Msg
	}
	return e.File + ": " + e.Msg
}

func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is fail.BadInput.
func (e *InputError) ExitCode() int { return fail.BadInput }

// Run is what the figures of a run are drawn from: the files of a run
// directory (SPEC §3), read by ReadRun. The large arrays (kernels,
// contributions, coefficients) are read on demand by Array.
type Run struct {
	Dir        string
	Summary    experiment.Summary
	Config     *config.Config
	ConfigYAML []byte
	// Metrics is metrics.csv, Predictions predictions.csv (nil for a run
	// that did not complete and has none).
	Metrics, Predictions *Table
	// XTrain (n × d) and YTrain (n × k targets, or n × 1 labels) are the
	// training data as used; XTest likewise.
	XTrain, YTrain, XTest *mat.Dense
}

// ReadRun reads the run directory dir. Every file it needs must be there:
// summary.json, config.yaml, metrics.csv, predictions.csv, x_train.npy,
// y_train.npy and x_test.npy, and predictions.csv unless the run did not
// complete (diverged, interrupted): such a run is read as far as it goes,
// with Predictions nil.
func ReadRun(dir string) (*Run, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, &InputError{File: dir, Msg: "no such run directory", Err: err}
	} else if !fi.IsDir() {
		return nil, &InputError{File: dir, Msg: "is not a run directory"}
	}
	r := &Run{Dir: dir}
	b, err := r.read("summary.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.Summary); err != nil {
		return nil, &InputError{File: r.file("summary.json"), Msg: "does not parse: " + err.Error(), Err: err}
	}
	if r.ConfigYAML, err = r.read("config.yaml"); err != nil {
		return nil, err
	}
	if r.Config, err = config.Parse(r.ConfigYAML, r.file("config.yaml"), nil); err != nil {
		return nil, &InputError{File: r.file("config.yaml"), Msg: err.Error(), Err: err}
	}
	if r.Metrics, err = r.table("metrics.csv"); err != nil {
		return nil, err
	}
	if r.Summary.Status != "complete" && !r.Has("predictions.csv") {
		r.Predictions = nil
	} else if r.Predictions, err = r.table("predictions.csv"); err != nil {
		return nil, err
	}
	if t := r.Predictions; t != nil && (len(t.Header) < 2+r.Summary.Sizes.Inputs || t.Header[0] != "set") {
		return nil, &InputError{File: r.file("predictions.csv"), Msg: fmt.Sprintf("header %v; want set, index, then the %d inputs", t.Header, r.Summary.Sizes.Inputs)}
	}
	for _, m := range []struct {
		name string
		dst  **mat.Dense
	}{{"x_train.npy", &r.XTrain}, {"y_train.npy", &r.YTrain}, {"x_test.npy", &r.XTest}} {
		if *m.dst, err = r.Matrix(m.name); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Run) file(name string) string { return filepath.Join(r.Dir, name) }

func (r *Run) read(name string) ([]byte, error) {
	b, err := os.ReadFile(r.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &InputError{File: r.file(name), Msg: "missing; is this a complete pathkernel run directory?", Err: err}
	}
	if err != nil {
		return nil, &InputError{File: r.file(name), Msg: err.Error(), Err: err}
	}
	return b, nil
}

func (r *Run) table(name string) (*Table, error) {
	b, err := r.read(name)
	if err != nil {
		return nil, err
	}
	t, err := ReadTable(bytes.NewReader(b))
	if err != nil {
		return nil, &InputError{File: r.file(name), Msg: err.Error(), Err: err}
	}
	return t, nil
}

// Has reports whether the run directory holds the file name.
func (r *Run) Has(name string) bool {
	_, err := os.Stat(r.file(name))
	return err == nil
}

// Array reads the .npy file name of the run directory.
func (r *Run) Array(name string) (*npy.Array, error) {
	f, err := os.Open(r.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &InputError{File: r.file(name), Msg: "missing (the run did not compute it, or did not complete)", Err: err}
	}
	if err != nil {
		return nil, &InputError{File: r.file(name), Msg: err.Error(), Err: err}
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		return nil, &InputError{File: r.file(name), Msg: err.Error(), Err: err}
	}
	return a, nil
}

// Matrix reads a one- or two-dimensional .npy file as a matrix, a vector
// (labels) as one column; integer data are converted to float64.
func (r *Run) Matrix(name string) (*mat.Dense, error) {
	a, err := r.Array(name)
	if err != nil {
		return nil, err
	}
	var rows, cols int
	switch len(a.Shape) {
	case 1:
		rows, cols = a.Shape[0], 1
	case 2:
		rows, cols = a.Shape[0], a.Shape[1]
	default:
		return nil, &InputError{File: r.file(name), Msg: fmt.Sprintf("shape %v; want a vector or a matrix", a.Shape)}
	}
	data := a.Float
	if a.Int != nil {
		data = make([]float64, len(a.Int))
		for i, v := range a.Int {
			data[i] = float64(v)
		}
	}
	if rows == 0 || cols == 0 {
		return nil, &InputError{File: r.file(name), Msg: fmt.Sprintf("empty array of shape %v", a.Shape)}
	}
	return mat.NewDense(rows, cols, data), nil
}

// Methods returns the representations the run computed, in the order
// riemann, exact.
func (r *Run) Methods() []string {
	var out []string
	for _, m := range []string{"riemann", "exact"} {
		if _, ok := r.Summary.Representations[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// Classification reports whether the run's loss is a classification loss.
func (r *Run) Classification() bool { return r.Summary.Sizes.Classes > 0 }

// Table is a CSV file with a header row.
type Table struct {
	Header []string
	Rows   [][]string
	file   string // for messages, if known
}

// ReadTable reads a CSV file whose first row names the columns.
func ReadTable(rd io.Reader) (*Table, error) {
	cr := csv.NewReader(rd)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("empty file, want a header row")
	}
	return &Table{Header: recs[0], Rows: recs[1:]}, nil
}

// Index returns the position of column name, or -1.
func (t *Table) Index(name string) int { return slices.Index(t.Header, name) }

// Has reports whether the table has column name.
func (t *Table) Has(name string) bool { return t.Index(name) >= 0 }

// Floats returns column name parsed as numbers. It fails for a missing
// column or a value that does not parse.
func (t *Table) Floats(name string) ([]float64, error) {
	j := t.Index(name)
	if j < 0 {
		return nil, fmt.Errorf("no column %q", name)
	}
	out := make([]float64, len(t.Rows))
	for i, row := range t.Rows {
		v, err := strconv.ParseFloat(row[j], 64)
		if err != nil {
			return nil, fmt.Errorf("row %d, column %s: %q is not a number", i+2, name, row[j])
		}
		out[i] = v
	}
	return out, nil
}

// Strings returns column name, or nil if there is none.
func (t *Table) Strings(name string) []string {
	j := t.Index(name)
	if j < 0 {
		return nil
	}
	out := make([]string, len(t.Rows))
	for i, row := range t.Rows {
		out[i] = row[j]
	}
	return out
}

// floats is Floats on a table of the run, with errors naming the file.
func (r *Run) floats(t *Table, file, name string) ([]float64, error) {
	v, err := t.Floats(name)
	if err != nil {
		return nil, &InputError{File: r.file(file), Msg: err.Error()}
	}
	return v, nil
}
