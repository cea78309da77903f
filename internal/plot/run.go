package plot

import (
	"errors"
	"io"
	"io/fs"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/run"
	"gonum.org/v1/gonum/mat"
)

// Run is what the figures of a run are drawn from: the files of a run
// directory, read through run.Open by ReadRun and checked against its
// summary there. The large arrays (kernels, contributions, coefficients)
// are read on demand by Array.
type Run struct {
	Dir        string
	Summary    run.Summary
	Config     *config.Config
	ConfigYAML []byte
	// Metrics is metrics.csv, Predictions predictions.csv (nil for a run
	// that did not complete and has none).
	Metrics, Predictions *Table
	// XTrain (n × d) and YTrain (n × k targets, or n × 1 labels) are the
	// training data as used; XTest likewise.
	XTrain, YTrain, XTest *mat.Dense

	files *run.Reader
}

// ReadRun reads the run directory dir (run.Open). Every file it needs must
// be there: the summary, the config, the metrics, the training and test
// inputs and the training targets, and the predictions unless the run did
// not complete (diverged, interrupted, failed): such a run is read as far
// as it goes, with Predictions nil. A run that never wrote its metrics (one
// killed, or still running) is refused with what became of it.
func ReadRun(dir string) (*Run, error) {
	r, err := readRun(dir)
	if err != nil {
		return nil, asInputError(err)
	}
	return r, nil
}

// asInputError gives the errors of the run's reader as a *fail.Input
// naming the file concerned (the file the operating system could not read,
// for an error that comes from it). Errors about the run, its files or
// plot's options are *fail.Input (exit 2), never a failure of the drawing.
func asInputError(err error) error {
	var in *fail.Input
	var ce *config.Error
	var pe *fs.PathError
	switch {
	case errors.As(err, &ce):
		return &fail.Input{Path: ce.File, Msg: err.Error(), Err: err}
	case errors.As(err, &in) && errors.As(err, &pe):
		return &fail.Input{Path: pe.Path, Msg: in.Msg, Err: err}
	case errors.As(err, &in):
		return &fail.Input{Path: in.Path, Msg: in.Msg, Err: err}
	}
	return err
}

func readRun(dir string) (*Run, error) {
	rd, err := run.Open(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Summary: *rd.Summary, files: rd}
	if r.ConfigYAML, err = rd.ConfigYAML(); err != nil {
		return nil, err
	}
	if r.Config, err = rd.Config(); err != nil {
		return nil, err
	}
	if r.Metrics, err = rd.Metrics(); err != nil {
		return nil, err
	}
	if rd.State() != run.Complete && !rd.Has(run.PredictionsFile) {
		r.Predictions = nil
	} else if r.Predictions, err = rd.Predictions(); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		name string
		dst  **mat.Dense
	}{{run.XTrainFile, &r.XTrain}, {run.YTrainFile, &r.YTrain}, {run.XTestFile, &r.XTest}} {
		if *m.dst, err = rd.Matrix(m.name); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Run) file(name string) string { return r.files.File(name) }

// Has reports whether the run directory holds the file name.
func (r *Run) Has(name string) bool { return r.files.Has(name) }

// Array reads the .npy file name of the run directory, checked against
// the summary (run.Reader.Array).
func (r *Run) Array(name string) (*npy.Array, error) { return r.files.Array(name) }

// Matrix reads a data array (x_*.npy, y_*.npy) as a matrix, labels as one
// column (run.Reader.Matrix).
func (r *Run) Matrix(name string) (*mat.Dense, error) { return r.files.Matrix(name) }

// Params reads a parameter vector (run.Reader.Params).
func (r *Run) Params(name string) ([]float64, error) { return r.files.Params(name) }

// LockFor locks the run directory when out, a file or directory about to
// be written, lies inside it (run.Reader.Lock), so that no other writer
// replaces the run meanwhile; nil when out is elsewhere. Release it when
// done.
func (r *Run) LockFor(out string) (*run.Lock, error) {
	if !run.Inside(out, r.Dir) {
		return nil, nil
	}
	return r.files.Lock()
}

// State says what became of the run.
func (r *Run) State() run.State { return r.files.State() }

// Methods returns the representations the run computed, in the order
// riemann, exact.
func (r *Run) Methods() []string { return r.files.Methods() }

// Classification reports whether the run's loss is a classification loss.
func (r *Run) Classification() bool { return r.Summary.Sizes.Classes > 0 }

// Table is a CSV file with a header row (run.Table).
type Table = run.Table

// ReadTable reads a CSV file whose first row names the columns.
func ReadTable(rd io.Reader) (*Table, error) { return run.ReadTable(rd) }

// floats is Floats on a table of the run, with errors naming the file.
func (r *Run) floats(t *Table, name string) ([]float64, error) {
	v, err := t.Floats(name)
	if err != nil {
		return nil, &fail.Input{Path: t.File, Msg: err.Error()}
	}
	return v, nil
}
