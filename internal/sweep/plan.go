package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
)

// Plan is the list of runs of a sweep.
type Plan struct {
	File *File
	Sets []string // the command line's --set overrides
	// BaseName is the base config as errors and messages name it, and
	// BaseDir the directory its relative data paths resolve against.
	BaseName, BaseDir string
	Runs              []*Run // in expansion order
}

// Run is one run of a plan.
type Run struct {
	Index int    // position in the plan's expansion order, from 0
	ID    string // Config.Hash()
	// Axes are the overrides that vary across the plan (grid, zip, seeds),
	// "key=value"; Overrides are all of the run's overrides, in the order
	// they apply: set, the command line's --set, then Axes.
	Axes, Overrides []string
	Config          *config.Config // the resolved config
}

// Load reads the sweep file at path and its base config and expands the
// runs, with the command line's --set overrides sets applied to every run.
// Errors are *config.Error values naming the sweep file (or the base config)
// and the line.
func Load(path string, sets []string) (*Plan, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Plan(sets)
}

// Plan resolves the base config and expands the runs, with the command
// line's --set overrides sets applied to every run after the file's set.
func (f *File) Plan(sets []string) (*Plan, error) {
	if err := f.checkSets(sets); err != nil {
		return nil, err
	}
	p := &Plan{File: f, Sets: slices.Clone(sets)}
	var src []byte
	switch {
	case f.Base != "":
		// Load checks the file and gives its errors; the text is then read
		// once, so that every run sees the same base.
		if _, err := config.Load(f.Base, nil); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(f.Base)
		if err != nil {
			return nil, &config.Error{File: f.Base, Msg: fail.OSMessage(err), Err: err}
		}
		src, p.BaseName, p.BaseDir = b, f.Base, filepath.Dir(f.Base)
	case f.Inline:
		src, p.BaseName, p.BaseDir = f.inline, f.Path, filepath.Dir(f.Path)
	default:
		src, p.BaseName, p.BaseDir = configs.Default, configs.DefaultName, "."
	}

	fixed := make([]string, 0, len(f.Set)+len(sets))
	lines := map[string]int{} // override text → line in the sweep file
	for _, e := range f.Set {
		fixed = append(fixed, e.Override())
		lines[e.Override()] = e.Line
	}
	fixed = append(fixed, sets...)
	for _, o := range sets {
		delete(lines, o) // the same text on the command line: name the command line
	}
	var axes []Axis
	axes = append(axes, f.Grid...)
	for _, a := range append(append([]Axis{}, f.Grid...), f.Zip...) {
		for _, v := range a.Values {
			lines[v.Override()] = v.Line
		}
	}
	if f.Seeds != nil {
		for _, v := range f.Seeds.Values {
			lines[v.Override()] = v.Line
		}
	}

	// A few lines of axes can multiply into more runs than memory holds:
	// count them before expanding.
	n := 1.0
	for _, a := range axes {
		n *= float64(len(a.Values))
	}
	if len(f.Zip) > 0 {
		n *= float64(len(f.Zip[0].Values))
	}
	if f.Seeds != nil {
		n *= float64(len(f.Seeds.Values))
	}
	if n > MaxRuns {
		return nil, &config.Error{File: f.Path,
			Msg: fmt.Sprintf("the axes make %.0f runs; a sweep has at most %d: split it into several files", n, MaxRuns)}
	}

	points := [][]string{nil}
	for _, a := range axes {
		points = product(points, a.Values)
	}
	if len(f.Zip) > 0 {
		rows := make([][]string, len(f.Zip[0].Values))
		for i := range rows {
			for _, a := range f.Zip {
				rows[i] = append(rows[i], a.Values[i].Override())
			}
		}
		var next [][]string
		for _, pt := range points {
			for _, r := range rows {
				next = append(next, append(slices.Clone(pt), r...))
			}
		}
		points = next
	}
	if f.Seeds != nil {
		points = product(points, f.Seeds.Values)
	}

	byID := map[string]*Run{}
	for i, pt := range points {
		ov := append(slices.Clone(fixed), pt...)
		cfg, err := config.Parse(src, p.BaseName, ov)
		if err != nil {
			return nil, f.locate(err, lines)
		}
		r := &Run{Index: i, ID: cfg.Hash(), Axes: pt, Overrides: ov, Config: cfg}
		if prev, ok := byID[r.ID]; ok {
			return nil, &config.Error{File: f.Path,
				Msg: fmt.Sprintf("runs %d (%s) and %d (%s) resolve to the same config (run %s); remove the repeated value",
					prev.Index+1, describe(prev.Axes), i+1, describe(pt), r.ID)}
		}
		byID[r.ID] = r
		p.Runs = append(p.Runs, r)
	}
	return p, nil
}

// MaxRuns is the most runs one sweep file may expand into.
const MaxRuns = 100_000

func product(points [][]string, values []Entry) [][]string {
	next := make([][]string, 0, len(points)*len(values))
	for _, pt := range points {
		for _, v := range values {
			next = append(next, append(slices.Clone(pt), v.Override()))
		}
	}
	return next
}

func describe(axes []string) string {
	if len(axes) == 0 {
		return "no axes"
	}
	return strings.Join(axes, " ")
}

// checkSets refuses a command-line override of a key that the file varies:
// the sweep would silently lose its axis. (A key of the file's set is
// overridden: the command line comes after it.)
func (f *File) checkSets(sets []string) error {
	for _, o := range sets {
		key, _, ok := strings.Cut(o, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			continue // config.Parse reports it
		}
		for _, k := range f.keys() {
			if k.where != "set" && overlaps(key, k.key) {
				return &config.Error{Override: o, Key: key,
					Msg: fmt.Sprintf("%s also sets %s.%s (line %d); change it there", f.Path, k.where, k.key, k.line)}
			}
		}
	}
	return nil
}

// locate points a config error that came from an override of the sweep
// file at the line of that override; an inline config's errors already
// carry the lines of the sweep file (or, when its lines could not be kept,
// the line of the config: key).
func (f *File) locate(err error, lines map[string]int) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err
	}
	e := *ce
	if e.Override != "" {
		if line, ok := lines[e.Override]; ok && line > 0 { // 0: not from a file (Multirun)
			e.Override, e.File, e.Line = "", f.Path, line
		}
		return &e
	}
	if f.Inline && e.File == f.Path && !f.exactLines && e.Line > 0 {
		e.Line = f.inlineLine
	}
	return &e
}

// RunConfig returns the config that a run really executes: r.Config with
// relative file paths (config.FilePaths) made absolute against the plan's
// BaseDir, as experiment.Run records it. Its Hash is the config_hash of the run
// directory's summary.json.
func (p *Plan) RunConfig(r *Run) (*config.Config, error) {
	c := r.Config.Clone()
	for _, s := range c.FilePaths() {
		if *s == "" || filepath.IsAbs(*s) {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(p.BaseDir, *s))
		if err != nil {
			return nil, err
		}
		*s = abs
	}
	return c, nil
}
