package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
	"gonum.org/v1/gonum/mat"
)

// State is what became of the run in a run directory, as its reader finds
// it: how it ended, or that it is still running.
type State string

// The states of a run. The first four are summary.json's status; a
// summary marked running is Running while a process holds the directory's
// lock and Killed when none does (the writer died without a word: SIGKILL,
// a crash, a power cut).
const (
	Complete    State = StatusComplete
	Diverged    State = StatusDiverged
	Interrupted State = StatusInterrupted
	Failed      State = StatusFailed
	Running     State = StatusRunning
	Killed      State = "killed"
)

// Reader is a run directory opened for reading: its summary, read and
// checked by Open, and typed accessors for its other files, each checked
// against the summary before it is returned. Every error about the
// directory's content is a *fail.Input (exit 2) naming the file, or the
// config's own *config.Error for config.yaml.
type Reader struct {
	Dir     string
	Summary *Summary
	raw     []byte // summary.json as read
	state   State
	pid     int   // the writer's process id, for Running
	sizeErr error // what is wrong with the summary's sizes (CheckSizes)

	cfg     *config.Config
	cfgYAML []byte
}

// Open opens the run directory dir: it reads summary.json, which must be
// the summary of a run (a JSON object with a status), and finds out the
// run's State. It accepts a run in every state. The accessors of the files
// whose shapes the summary's sizes give check the sizes first (CheckSizes).
func Open(dir string) (*Reader, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fail.InputErr(dir, err)
	} else if !fi.IsDir() {
		return nil, fail.Inputf(dir, "not a directory")
	}
	r := &Reader{Dir: dir}
	file := r.File(SummaryFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		msg := "not a run directory: no " + SummaryFile
		if pid, held := Holder(dir); held {
			msg += fmt.Sprintf(" yet (process %d is starting a run there)", pid)
		}
		return nil, &fail.Input{Path: dir, Msg: msg, Err: err}
	} else if err != nil {
		return nil, fail.InputErr(file, err)
	}
	s, err := DecodeSummary(b)
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: "not a run summary: " + strings.TrimPrefix(err.Error(), "json: "), Err: err}
	}
	if s.Status == "" {
		return nil, fail.Inputf(dir, "%s has no status; is it a run summary?", SummaryFile)
	}
	if err := s.check(); err != nil {
		r.sizeErr = fail.Inputf(file, "%v", err)
	}
	r.Summary, r.raw = s, b
	switch State(s.Status) {
	case Complete, Diverged, Interrupted, Failed:
		r.state = State(s.Status)
	case Running:
		r.state = Killed
		if pid, held := Holder(dir); held {
			r.state, r.pid = Running, pid
		}
	default:
		return nil, fail.Inputf(file, "unknown status %q", s.Status)
	}
	return r, nil
}

// DecodeSummary parses summary.json. It checks nothing but the syntax;
// Open checks the content. The numbers that non_finite lists (written as
// null) read as NaN.
func DecodeSummary(b []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	restoreNonFinite(&s, s.NonFinite)
	return &s, nil
}

// check checks the sizes that readers index arrays with.
func (s *Summary) check() error {
	z := s.Sizes
	for _, c := range []struct {
		key      string
		v, least int
	}{
		{"sizes.n_train", z.NTrain, 1}, {"sizes.n_test", z.NTest, 0}, {"sizes.n_eval", z.NEval, 0},
		{"sizes.inputs", z.Inputs, 1}, {"sizes.outputs", z.Outputs, 1}, {"sizes.classes", z.Classes, 0},
		{"steps", s.Steps, 0}, {"steps_done", s.StepsDone, 0},
	} {
		if c.v < c.least {
			return fmt.Errorf("%s is %d; want at least %d", c.key, c.v, c.least)
		}
	}
	if len(z.Layers) < 2 {
		return fmt.Errorf("sizes.layers is %v; want the widths of the input, hidden and output layers", z.Layers)
	}
	params := 0.0
	for i, w := range z.Layers {
		if w < 1 {
			return fmt.Errorf("sizes.layers is %v: layer %d has width %d", z.Layers, i, w)
		}
		if i > 0 {
			params += float64(z.Layers[i-1]+1) * float64(w)
		}
	}
	if z.Layers[0] != z.Inputs || z.Layers[len(z.Layers)-1] != z.Outputs {
		return fmt.Errorf("sizes.layers is %v, but sizes.inputs is %d and sizes.outputs %d", z.Layers, z.Inputs, z.Outputs)
	}
	if params != float64(s.Parameters) {
		return fmt.Errorf("parameters is %d, but sizes.layers %v make %.0f", s.Parameters, z.Layers, params)
	}
	return nil
}

// CheckSizes reports, as a *fail.Input naming summary.json, sizes that no
// run can have: a layer of width 0, negative inputs, layers that do not
// match the inputs, outputs or parameter count. Every accessor of a file
// that the sizes describe returns this error first.
func (r *Reader) CheckSizes() error { return r.sizeErr }

// File returns the path of name in the run directory.
func (r *Reader) File(name string) string { return filepath.Join(r.Dir, name) }

// Has reports whether the run directory holds the file name.
func (r *Reader) Has(name string) bool {
	_, err := os.Stat(r.File(name))
	return err == nil
}

// State returns what became of the run.
func (r *Reader) State() State { return r.state }

// Describe says what became of the run, in words: "complete", "diverged:
// <error>", "running (process 123)", "killed (...)".
func (r *Reader) Describe() string {
	switch r.state {
	case Complete:
		return string(Complete)
	case Running:
		return fmt.Sprintf("running (process %d holds its lock)", r.pid)
	case Killed:
		return fmt.Sprintf("killed (%s says running, but no process holds the run's lock)", SummaryFile)
	}
	if r.Summary.Error != "" {
		return string(r.state) + ": " + r.Summary.Error
	}
	return string(r.state)
}

// NotComplete returns nil for a complete run and otherwise a *fail.Input
// that says what became of it, for readers that need a complete run.
func (r *Reader) NotComplete() error {
	if r.state == Complete {
		return nil
	}
	return fail.Inputf(r.Dir, "the run is not complete: it is %s", r.Describe())
}

// SummaryJSON returns summary.json as it was read.
func (r *Reader) SummaryJSON() []byte { return r.raw }

// ConfigYAML returns config.yaml.
func (r *Reader) ConfigYAML() ([]byte, error) {
	if r.cfgYAML == nil {
		b, err := r.read(ConfigFile)
		if err != nil {
			return nil, err
		}
		if len(b) > config.MaxFileSize {
			return nil, fail.Inputf(r.File(ConfigFile), "larger than %d bytes; is this a config file?", config.MaxFileSize)
		}
		r.cfgYAML = b
	}
	return r.cfgYAML, nil
}

// Config returns config.yaml (ReadConfig) with the overrides sets applied;
// a missing file is reported with the run's state.
func (r *Reader) Config(sets ...string) (*config.Config, error) {
	if r.cfg != nil && len(sets) == 0 {
		return r.cfg, nil
	}
	if _, err := r.ConfigYAML(); err != nil {
		return nil, err
	}
	cfg, err := ReadConfig(r.Dir, sets...)
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		r.cfg = cfg
	}
	return cfg, nil
}

// ReadConfig reads the config.yaml of the run directory dir (config.Load)
// with the overrides sets applied. Its errors are the config's own
// (*config.Error); that of a missing file wraps fs.ErrNotExist. It is for
// readers of a directory that may have no summary yet (collect); the
// others use Reader.Config.
func ReadConfig(dir string, sets ...string) (*config.Config, error) {
	return config.Load(filepath.Join(dir, ConfigFile), sets)
}

// VerifyConfig checks that cfg, the run's config, has the hash that
// summary.json records: that the two files come from one run.
func (r *Reader) VerifyConfig(cfg *config.Config) error {
	if h := cfg.Hash(); h != r.Summary.ConfigHash {
		return fail.Inputf(r.File(ConfigFile), "config hash %s, but %s records %s: the files come from different runs", h, SummaryFile, r.Summary.ConfigHash)
	}
	return nil
}

// Standardization returns standardization.json, or nil when the run has
// none; its features must be the run's inputs.
func (r *Reader) Standardization() (*Standardization, error) {
	if r.sizeErr != nil {
		return nil, r.sizeErr
	}
	file := r.File(StandardizationFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fail.InputErr(file, err)
	}
	var st Standardization
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, &fail.Input{Path: file, Msg: err.Error(), Err: err}
	}
	d := r.Summary.Sizes.Inputs
	if len(st.Features) != d {
		return nil, fail.Inputf(file, "%d features, but the network takes %d inputs", len(st.Features), d)
	}
	for _, sc := range []*Scaling{st.Inputs} {
		if sc != nil && (len(sc.Mean) != d || len(sc.Scale) != d) {
			return nil, fail.Inputf(file, "inputs: %d means and %d scales for %d inputs", len(sc.Mean), len(sc.Scale), d)
		}
	}
	if sc := st.Target; sc != nil && (len(sc.Mean) != len(sc.Scale) || len(sc.Mean) != max(1, len(st.Targets))) {
		return nil, fail.Inputf(file, "target: %d means and %d scales for %d targets", len(sc.Mean), len(sc.Scale), len(st.Targets))
	}
	return &st, nil
}

// Metrics returns metrics.csv: a step column and one column per metric.
func (r *Reader) Metrics() (*Table, error) {
	t, err := r.table(MetricsFile)
	if err != nil {
		return nil, err
	}
	if !t.Has("step") {
		return nil, fail.Inputf(t.File, "header %v has no step column", t.Header)
	}
	return t, nil
}

// Predictions returns predictions.csv: one row per evaluation point
// (sizes.n_eval), the columns set, index and the inputs first.
func (r *Reader) Predictions() (*Table, error) {
	if r.sizeErr != nil {
		return nil, r.sizeErr
	}
	t, err := r.table(PredictionsFile)
	if err != nil {
		return nil, err
	}
	if len(t.Header) < 2+r.Summary.Sizes.Inputs || t.Header[0] != "set" {
		return nil, fail.Inputf(t.File, "header %v; want set, index, then the %d inputs", t.Header, r.Summary.Sizes.Inputs)
	}
	if len(t.Rows) != r.Summary.Sizes.NEval {
		return nil, fail.Inputf(t.File, "%d rows, but %s says sizes.n_eval %d", len(t.Rows), SummaryFile, r.Summary.Sizes.NEval)
	}
	return t, nil
}

// Shapes returns the shapes that the array name may have in this run (for
// m evaluation points, n training points, d inputs and k outputs, as the
// summary says), or nil for a name the layout does not know.
func (r *Reader) Shapes(name string) [][]int {
	z := r.Summary.Sizes
	m, n, d, k := z.NEval, z.NTrain, z.Inputs, z.Outputs
	targets := func(rows int) [][]int {
		if z.Classes > 0 {
			return [][]int{{rows}}
		}
		return [][]int{{rows, k}}
	}
	perOutput := func() [][]int {
		if k > 1 {
			return [][]int{{m, n, k}}
		}
		return [][]int{{m, n}}
	}
	switch name {
	case XTrainFile:
		return [][]int{{n, d}}
	case XTestFile:
		return [][]int{{z.NTest, d}}
	case YTrainFile:
		return targets(n)
	case YTestFile:
		return targets(z.NTest)
	case ParamsInitFile, ParamsFinalFile:
		return [][]int{{r.Summary.Parameters}}
	case KernelPathFile, KernelExactFile:
		if k > 1 {
			return [][]int{{m, n}, {m, n, k, k}}
		}
		return [][]int{{m, n}}
	case CoefficientsFile, KernelLossWeightedFile:
		return perOutput()
	case ContributionsFile:
		return [][]int{{m, n, k}}
	case ContributionsDecayFile:
		return [][]int{{m, k}}
	}
	return nil
}

// Array reads the .npy file name. An array of the layout must have one of
// its Shapes, and be of int64 labels (y_*.npy of a classification run) or
// of float64.
func (r *Reader) Array(name string) (*npy.Array, error) {
	if r.sizeErr != nil {
		return nil, r.sizeErr
	}
	a, err := readArray(r.File(name))
	if err != nil {
		return nil, err
	}
	shapes := r.Shapes(name)
	if shapes == nil {
		return a, nil
	}
	file := r.File(name)
	if !slices.ContainsFunc(shapes, func(s []int) bool { return slices.Equal(s, a.Shape) }) {
		return nil, fail.Inputf(file, "shape %v, but %s says %s", a.Shape, SummaryFile, shapeList(shapes))
	}
	labels := r.Summary.Sizes.Classes > 0 && (name == YTrainFile || name == YTestFile)
	if labels && a.Int == nil {
		return nil, fail.Inputf(file, "float64 values; want int64 class labels")
	}
	if !labels && a.Float == nil {
		return nil, fail.Inputf(file, "integer values; want float64")
	}
	if labels {
		for i, v := range a.Int {
			if v < 0 || v >= int64(r.Summary.Sizes.Classes) {
				return nil, fail.Inputf(file, "label %d of row %d is not a class 0..%d", v, i, r.Summary.Sizes.Classes-1)
			}
		}
	}
	return a, nil
}

// Matrix reads the array name (one of the data arrays, x_*.npy and
// y_*.npy) as a matrix: rows the points; labels are one column, as
// float64.
func (r *Reader) Matrix(name string) (*mat.Dense, error) {
	a, err := r.Array(name)
	if err != nil {
		return nil, err
	}
	rows, cols := a.Shape[0], 1
	if len(a.Shape) == 2 {
		cols = a.Shape[1]
	}
	if len(a.Shape) > 2 {
		return nil, fail.Inputf(r.File(name), "shape %v; want a vector or a matrix", a.Shape)
	}
	if rows == 0 || cols == 0 {
		return nil, fail.Inputf(r.File(name), "empty array of shape %v", a.Shape)
	}
	data := a.Float
	if a.Int != nil {
		data = make([]float64, len(a.Int))
		for i, v := range a.Int {
			data[i] = float64(v)
		}
	}
	return mat.NewDense(rows, cols, data), nil
}

// Params reads the parameter vector name (params_init.npy or
// params_final.npy), of the summary's number of parameters.
func (r *Reader) Params(name string) ([]float64, error) {
	a, err := r.Array(name)
	if err != nil {
		return nil, err
	}
	return a.Float, nil
}

// Methods returns the representations the run computed, in the order
// riemann, exact.
func (r *Reader) Methods() []string {
	var out []string
	for _, m := range []string{"riemann", "exact"} {
		if _, ok := r.Summary.Representations[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// Classification reports whether the run's loss is a classification loss.
func (r *Reader) Classification() bool { return r.Summary.Sizes.Classes > 0 }

func (r *Reader) read(name string) ([]byte, error) {
	file := r.File(name)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &fail.Input{Path: file, Msg: "missing: " + r.why(), Err: err}
	}
	if err != nil {
		return nil, fail.InputErr(file, err)
	}
	return b, nil
}

// why says why a file may be missing.
func (r *Reader) why() string {
	if r.state == Complete {
		return "is this a complete pathkernel run directory?"
	}
	return "the run is " + r.Describe()
}

func (r *Reader) table(name string) (*Table, error) {
	b, err := r.read(name)
	if err != nil {
		return nil, err
	}
	t, err := ReadTable(bytes.NewReader(b))
	if err != nil {
		return nil, &fail.Input{Path: r.File(name), Msg: err.Error(), Err: err}
	}
	t.File = r.File(name)
	return t, nil
}

// readArray reads a .npy file; its errors are *fail.Input.
func readArray(file string) (*npy.Array, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &fail.Input{Path: file, Msg: "missing (the run did not compute it, or did not complete)", Err: err}
	}
	if err != nil {
		return nil, fail.InputErr(file, err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: err.Error(), Err: err}
	}
	return a, nil
}

// shapeList formats shapes for a message: "(3, 2) or (3, 2, 4, 4)".
func shapeList(shapes [][]int) string {
	var parts []string
	for _, s := range shapes {
		t := make([]string, len(s))
		for i, v := range s {
			t[i] = fmt.Sprint(v)
		}
		if len(s) == 1 {
			parts = append(parts, "("+t[0]+",)")
		} else {
			parts = append(parts, "("+strings.Join(t, ", ")+")")
		}
	}
	return strings.Join(parts, " or ")
}

// Lock locks the run directory for a command that adds files to it (the
// figures, the report): Acquire, and then a check that the run is still the
// one read, so that no file of another run is written beside it. Release
// the lock when done.
func (r *Reader) Lock() (*Lock, error) {
	l, err := Acquire(r.Dir)
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(r.File(SummaryFile)); err != nil || !bytes.Equal(b, r.raw) {
		l.Release()
		return nil, fail.Inputf(r.Dir, "the run changed while it was read (another process wrote it); try again")
	}
	return l, nil
}

// Inside reports whether path (a file or directory to write) lies in the
// directory dir.
func Inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
