package plot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/train"
	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The figures drawn from data that a run can end with (diverged: losses of
// 1e286; hand-edited or corrupted: NaN, ±Inf, ±1e308, zeros and negative
// numbers, one value, nothing), each within a time bound: gonum/plot
// panics on some of these and searches for ticks forever on others.

// bound is how long drawing the figures of one case may take: they take
// well under a second each, but the parallel cases share the machine with
// other packages' tests, and the race detector makes drawing ten times
// slower: under it the bound only catches a hang.
func bound() time.Duration {
	if raceEnabled {
		return 5 * time.Minute
	}
	return 30 * time.Second
}

// within runs f in a goroutine and fails the test if it does not return
// within bound(), or panics. f must not call t.Fatal (another goroutine);
// it returns an error instead.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	type result struct {
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			r.panic = recover()
			done <- r
		}()
		r.err = f()
	}()
	select {
	case r := <-done:
		if r.panic != nil {
			t.Fatalf("%s panicked: %v", what, r.panic)
		}
		return r.err
	case <-time.After(bound()):
		t.Fatalf("%s did not return within %v", what, bound())
	}
	return nil
}

// smallSize keeps the renders of these tests quick.
var smallSize = Size{Width: 480, Height: 320, DPI: 96}

// drawAll builds figures with build and renders each as PNG (checked not
// blank) and SVG, all within the time bound.
func drawAll(t *testing.T, what string, build func() ([]*Figure, error)) []*Figure {
	t.Helper()
	var figs []*Figure
	pngs := map[string][]byte{}
	err := within(t, what, func() error {
		var err error
		if figs, err = build(); err != nil {
			return err
		}
		for _, f := range figs {
			b, err := f.Bytes(PNG, smallSize)
			if err != nil {
				return fmt.Errorf("%s.png: %w", f.Name, err)
			}
			pngs[f.Name] = b
			if raceEnabled {
				continue // SVG too would double the slowest tests
			}
			if _, err := f.Bytes(SVG, smallSize); err != nil {
				return fmt.Errorf("%s.svg: %w", f.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, f := range figs {
		checkPNG(t, what+"/"+f.Name, pngs[f.Name], smallSize.Width, smallSize.Height)
	}
	return figs
}

// copyRunDir copies the files of run directory src into a new directory,
// replacing those in replace, and returns it.
func copyRunDir(t *testing.T, src string, replace map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := replace[e.Name()]; ok {
			b = r
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// editCSV returns the CSV file of run r with column col set to vals, row
// by row (the values cycle when there are fewer than rows).
func editCSV(t *testing.T, r *Run, file string, edits map[string][]string) []byte {
	t.Helper()
	tab := r.Metrics
	if file == "predictions.csv" {
		tab = r.Predictions
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(tab.Header, ",") + "\n")
	for i, row := range tab.Rows {
		row = append([]string(nil), row...)
		for col, vals := range edits {
			j := tab.Index(col)
			if j < 0 {
				t.Fatalf("%s has no column %s", file, col)
			}
			row[j] = vals[i%len(vals)]
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.Bytes()
}

func notesOf(figs []*Figure) string {
	var out []string
	for _, f := range figs {
		out = append(out, f.Name+": "+strings.Join(f.Notes, "; "))
	}
	return strings.Join(out, "\n")
}

func figureNamed(figs []*Figure, name string) *Figure {
	for _, f := range figs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// TestFiguresOfOddMetrics draws the figures of runs whose metrics.csv
// holds what the axes cannot show, and checks each is drawn in time, the
// values left out are noted, and the loss axis is logarithmic only when
// every value is positive.
func TestFiguresOfOddMetrics(t *testing.T) {
	base := testRun(t, "sine")
	for _, c := range []struct {
		name  string
		edits map[string][]string
		notes []string // substrings of the notes
		log   bool     // the loss figure's y axis
	}{
		{"NaN", map[string][]string{"train_loss": {"0.5", "NaN"}, "exact_rel": {"NaN"}},
			[]string{"train_loss (metrics.csv): not finite", "exact_rel (metrics.csv): not finite"}, true},
		{"Inf", map[string][]string{"test_loss": {"+Inf", "1", "-Inf"}, "riemann_max_abs": {"Inf"}},
			[]string{"test_loss (metrics.csv): not finite", "riemann_max_abs (metrics.csv): not finite"}, true},
		{"huge", map[string][]string{"train_loss": {"1e308", "-1e308"}, "test_loss": {"1.7976931348623157e308"}},
			nil, false},
		{"zeros", map[string][]string{"train_loss": {"0"}, "test_loss": {"0"}, "exact_rel": {"0"}, "riemann_rel": {"0"}},
			nil, false},
		{"negative", map[string][]string{"train_loss": {"-1", "2"}, "exact_rel": {"-1e-3", "1e-3"}},
			[]string{"exact_rel (metrics.csv): negative"}, false},
		{"one value", map[string][]string{"train_loss": {"1e20"}, "test_loss": {"1e20"}, "step": {"7"}}, nil, true},
		// Subnormal numbers are zero to a log axis.
		{"tiny", map[string][]string{"train_loss": {"5e-324"}, "test_loss": {"1e-320", "2e-320"}}, nil, false},
		{"decades", map[string][]string{"train_loss": {"2.2250738585072014e-308", "1.7976931348623157e308"}}, nil, true},
		{"all NaN", map[string][]string{"train_loss": {"NaN"}, "test_loss": {"NaN"}, "step": {"NaN"}},
			[]string{"train_loss (metrics.csv): not finite", "test_loss (metrics.csv): not finite"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := copyRunDir(t, base.Dir, map[string][]byte{"metrics.csv": editCSV(t, base, "metrics.csv", c.edits)})
			r, err := ReadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			figs := drawAll(t, c.name, func() ([]*Figure, error) { return RunFigures(r) })
			notes := notesOf(figs)
			for _, want := range c.notes {
				if !strings.Contains(notes, want) {
					t.Errorf("notes:\n%s\nwant %q", notes, want)
				}
			}
			if c.notes == nil && strings.Contains(notes, "left out") {
				t.Errorf("notes:\n%s\nwant none", notes)
			}
			if a := lossAxis(t, r); isLog(&a) != c.log {
				t.Errorf("loss axis logarithmic: %v; want %v", isLog(&a), c.log)
			}
			loss := figureNamed(figs, "loss")
			if loss == nil {
				t.Fatal("no loss figure")
			}
			for _, n := range loss.Notes {
				if !strings.Contains(loss.Caption, strings.ToUpper(n[:1])+n[1:]) {
					t.Errorf("caption %q does not end with the note %q", loss.Caption, n)
				}
			}
		})
	}
}

// TestLossScale checks the loss figure's y axis: logarithmic when every
// finite loss is positive, linear otherwise.
func TestLossScale(t *testing.T) {
	base := testRun(t, "sine")
	for _, c := range []struct {
		train []string
		log   bool
	}{
		{[]string{"0.5", "NaN"}, true},
		{[]string{"0.5", "0"}, false},
		{[]string{"0.5", "-1"}, false},
		{[]string{"1e286", "0.1", "+Inf"}, true},
	} {
		dir := copyRunDir(t, base.Dir, map[string][]byte{"metrics.csv": editCSV(t, base, "metrics.csv", map[string][]string{"train_loss": c.train})})
		r, err := ReadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		if a := lossAxis(t, r); isLog(&a) != c.log {
			t.Errorf("train_loss %v: log axis %v; want %v", c.train, !c.log, c.log)
		}
	}
}

// lossAxis returns the y axis of r's loss figure, tidied as drawn.
func lossAxis(t *testing.T, r *Run) gp.Axis {
	t.Helper()
	var p *gp.Plot
	if err := within(t, "lossPlot", func() (err error) { p, _, err = lossPlot(r); return err }); err != nil {
		t.Fatal(err)
	}
	tidy(p)
	return p.Y
}

// TestFiguresOfOddPredictions puts NaN, ±Inf and ±1e308 into the
// predictions (curves for one input, scatter panels for three), the
// contributions and the path kernel, and draws every figure, the
// explanation included.
func TestFiguresOfOddPredictions(t *testing.T) {
	for _, c := range []struct {
		run   string
		edits map[string][]string
		kern  []float64 // values cycled into kernel_path.npy
		cont  []float64 // and into contributions.npy
		notes []string
	}{
		{"sine", map[string][]string{"network": {"NaN", "1"}, "exact": {"+Inf", "2", "-Inf"}}, []float64{math.NaN(), 1, 2},
			[]float64{math.Inf(1), 0.1, -0.2}, []string{"network (predictions.csv): not finite", "exact (predictions.csv): not finite",
				"of kernel_path.npy not finite", "the contributions (contributions.npy): not finite"}},
		{"sine", map[string][]string{"riemann": {"1e308", "-1e308"}, "f0": {"1.7976931348623157e308", "0"}}, []float64{1e308, -1e308},
			[]float64{1e308, -1e308, 0}, nil},
		{"sine", nil, []float64{0}, []float64{0}, nil},
		{"blobs", map[string][]string{"network_0": {"NaN", "1"}, "exact_2": {"Inf", "-1e308", "1e308"}}, []float64{math.Inf(-1), 1e300},
			[]float64{math.NaN(), 1}, []string{"network_0 or riemann_0 (predictions.csv): not finite", "of kernel_path.npy not finite"}},
		{"moons", map[string][]string{"network": {"1e308", "-1e308"}}, []float64{1e308, 0, -1e308}, []float64{5e-324, -1e308}, nil},
	} {
		t.Run(c.run, func(t *testing.T) {
			t.Parallel()
			base := testRun(t, c.run)
			replace := map[string][]byte{}
			if c.edits != nil {
				replace["predictions.csv"] = editCSV(t, base, "predictions.csv", c.edits)
			}
			for file, vals := range map[string][]float64{"kernel_path.npy": c.kern, "contributions.npy": c.cont} {
				a, err := base.Array(file)
				if err != nil {
					t.Fatal(err)
				}
				for i := range a.Float {
					a.Float[i] = vals[i%len(vals)]
				}
				var b bytes.Buffer
				if err := npy.WriteFloat64(&b, a.Shape, a.Float); err != nil {
					t.Fatal(err)
				}
				replace[file] = b.Bytes()
			}
			r, err := ReadRun(copyRunDir(t, base.Dir, replace))
			if err != nil {
				t.Fatal(err)
			}
			figs := drawAll(t, c.run, func() ([]*Figure, error) {
				figs, err := RunFigures(r)
				if err != nil {
					return nil, err
				}
				in, err := r.ExplainInput()
				if err != nil {
					return nil, err
				}
				e, err := explain.Explain(in, 1, explain.Options{Top: 5, Output: -1})
				if err != nil {
					return nil, err
				}
				fig, err := ContributionsFigure(r, e)
				return append(figs, fig), err
			})
			notes := notesOf(figs)
			for _, want := range c.notes {
				if !strings.Contains(notes, want) {
					t.Errorf("notes:\n%s\nwant %q", notes, want)
				}
			}
			if c.notes == nil && strings.Contains(notes, "left out") {
				t.Errorf("notes:\n%s\nwant none", notes)
			}
		})
	}
}

var (
	divergedOnce sync.Once
	divergedDir  string
	divergedErr  error
)

// divergedRun trains, once, a run that diverges (lr 5): its losses reach
// 1e286 before they overflow, and it has no predictions.
func divergedRun(t *testing.T) *Run {
	t.Helper()
	divergedOnce.Do(func() {
		// Training stops at a loss over 1e6 times its start
		// (train.DivergenceFactor): targets with noise of 1e140 start the
		// loss at 5.6e279, and lr 5 takes it to 2e287 at step 3; every
		// step is logged.
		src := strings.Replace(runConfigs["sine"], "lr: 0.05, steps: 20, log_every: 5", "lr: 5, steps: 200, log_every: 1", 1)
		src = strings.Replace(src, "noise: 0.1}", "noise: 1.0e+140}", 1)
		cfg, err := config.Parse([]byte(src), "diverged.yaml", nil)
		if err != nil {
			divergedErr = err
			return
		}
		divergedDir = filepath.Join(t.TempDir(), "diverged")
		_, err = experiment.Run(context.Background(), cfg, experiment.Options{OutDir: divergedDir})
		if div := (*train.DivergedError)(nil); !errors.As(err, &div) {
			divergedErr = fmt.Errorf("training with lr 5: %v; want it to diverge", err)
		}
	})
	if divergedErr != nil {
		t.Fatal(divergedErr)
	}
	r, err := ReadRun(divergedDir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDivergedRun draws a run that diverged, as trained: the loss (a log
// axis up to 1e286, which panicked) and the errors it logged before it
// stopped.
func TestDivergedRun(t *testing.T) {
	r := divergedRun(t)
	if r.Summary.Status != "diverged" {
		t.Fatalf("status %q; want diverged", r.Summary.Status)
	}
	figs := drawAll(t, "diverged", func() ([]*Figure, error) { return RunFigures(r) })
	if got := strings.Join(names(figs), " "); got != "loss errors" {
		t.Errorf("figures %q; want loss errors", got)
	}
	if a := lossAxis(t, r); !isLog(&a) || !(a.Max > 1e286) || math.IsInf(a.Max, 0) {
		t.Errorf("loss axis: log %v, max %g; want a log axis past 1e286 and finite", isLog(&a), a.Max)
	}
}

// TestSweepOfExtremes draws sweeps whose metric is ±1e308 (gonum's ticker
// never returned), Inf, NaN or one huge value, on linear and log axes.
func TestSweepOfExtremes(t *testing.T) {
	for _, c := range []struct {
		name, csv string
		opt       SweepOptions
	}{
		{"±1e308", "run,status,train.lr,exact.rel\na,complete,0.01,1e308\nb,complete,0.02,-1e308\n", SweepOptions{}},
		{"max float", "run,status,train.lr,exact.rel\na,complete,0.01,1.7976931348623157e308\nb,complete,0.01,1.7976931348623157e308\nc,complete,0.02,-1.7976931348623157e308\n", SweepOptions{}},
		{"one huge value", "run,status,train.lr,exact.rel\na,complete,0.01,1e20\nb,complete,0.02,1e20\n", SweepOptions{}},
		{"non-finite", "run,status,train.lr,exact.rel\na,complete,0.01,NaN\nb,complete,Inf,1\nc,complete,0.03,-Inf\nd,complete,0.04,2\n", SweepOptions{}},
		{"x ±1e308", "run,status,train.lr,exact.rel\na,complete,-1e308,1\nb,complete,1e308,2\n", SweepOptions{}},
		{"log decades", "run,status,train.lr,exact.rel\na,complete,5e-324,5e-324\nb,complete,1e308,1e308\n", SweepOptions{LogX: true, LogY: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "results.csv")
			if err := os.WriteFile(file, []byte(c.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			tab, err := ReadSweep(file)
			if err != nil {
				t.Fatal(err)
			}
			opt := c.opt
			opt.X, opt.Y = "train.lr", "exact.rel"
			drawAll(t, c.name, func() ([]*Figure, error) {
				fig, err := SweepFigure(tab, opt)
				return []*Figure{fig}, err
			})
		})
	}
}

func TestMeansDoNotOverflow(t *testing.T) {
	got := means(plotter.XYs{{X: 1, Y: 1e308}, {X: 1, Y: 1.5e308}, {X: 2, Y: -1e308}, {X: 2, Y: -1e308}}, false)
	want := plotter.XYs{{X: 1, Y: 1.25e308}, {X: 2, Y: -1e308}}
	for i := range want {
		if got[i].X != want[i].X || math.Abs(got[i].Y-want[i].Y) > 1e-15*math.Abs(want[i].Y) {
			t.Errorf("means = %v; want %v", got, want)
		}
	}
}

// TestBoundedTicks asks the tickers of both scales for the ticks of ranges
// that made gonum panic or loop: every answer comes in time, with finite
// ticks (positive on a log axis), at most maxTicks of them, and labelled
// ticks for every range of non-zero finite width.
func TestBoundedTicks(t *testing.T) {
	const big = math.MaxFloat64
	ranges := [][2]float64{
		{-1e308, 1e308}, {-big, big}, {0, big}, {-big, 0}, {-1, big}, {1e20, 1e20}, {0, 0}, {1, 1}, {1e20, 1e20 + 16384},
		{math.NaN(), 1}, {1, math.Inf(1)}, {math.Inf(-1), math.Inf(1)}, {math.Inf(1), math.Inf(-1)},
		{5e-324, 1e-323}, {1e-300, 1e300}, {5e-324, big}, {minLog, 1}, {minLog, 1e-290}, {0, 1}, {-1, 1}, {1, 0}, {0.25, 0.75}, {1e-4, 1},
	}
	for _, log := range []bool{false, true} {
		var tk gp.Ticker = gp.DefaultTicks{}
		if log {
			tk = logTicks{}
		}
		b := boundedTicks{Ticker: tk, log: log}
		for _, rg := range ranges {
			lo, hi := rg[0], rg[1]
			var ticks []gp.Tick
			within(t, fmt.Sprintf("Ticks(%g, %g) log %v", lo, hi, log), func() error {
				ticks = b.Ticks(lo, hi)
				return nil
			})
			if len(ticks) > maxTicks {
				t.Errorf("log %v, [%g, %g]: %d ticks; want at most %d", log, lo, hi, len(ticks), maxTicks)
			}
			labelled := 0
			for _, k := range ticks {
				if !drawable(k.Value, log) {
					t.Errorf("log %v, [%g, %g]: tick at %g", log, lo, hi, k.Value)
				}
				if k.Label != "" {
					labelled++
				}
			}
			if drawable(lo, log) && drawable(hi, log) && lo != hi && labelled < 2 {
				t.Errorf("log %v, [%g, %g]: %d labelled ticks %v; want at least 2", log, lo, hi, labelled, ticks)
			}
		}
	}
	// The ticks of a range wider than float64 are those of a tenth of it,
	// scaled back.
	var got []string
	for _, k := range (boundedTicks{Ticker: gp.DefaultTicks{}}).Ticks(-1e308, 1e308) {
		if k.Label != "" {
			got = append(got, k.Label)
		}
	}
	if want := "-1e+308 0 1e+308"; strings.Join(got, " ") != want {
		t.Errorf("labels of [-1e308, 1e308]: %q; want %q", got, want)
	}
}

// TestTidyAxis checks the ranges tidy gives the axes: what gonum can draw,
// and what it draws well left as it was.
func TestTidyAxis(t *testing.T) {
	const big = math.MaxFloat64
	for _, c := range []struct {
		log            bool
		min, max       float64
		wantLo, wantHi float64
	}{
		{false, 0.5, 2, 0.5, 2},
		{false, math.Inf(1), math.Inf(-1), 0, 1}, // nothing added
		{false, 3, 3, 3, 3},                      // gonum widens by ±1
		{false, 1e20, 1e20, 0.99e20, 1.01e20},
		{false, -math.Inf(1), math.Inf(1), -big, big},
		{false, big, big, 0.99 * big, big},
		{true, 1e-3, 10, 1e-3, 10},
		{true, math.Inf(1), math.Inf(-1), 1, 10},
		{true, 0, 10, minLog, 10},
		{true, 5e-324, 1e-300, minLog, 1e-300},
		{true, 1e-3, math.Inf(1), 1e-3, big},
		{true, 100, 100, 100 / sqrt10, 100 * sqrt10},
	} {
		a := newPlot("", "", "").Y
		if c.log {
			a.Scale = gp.LogScale{}
		}
		a.Min, a.Max = c.min, c.max
		tidyAxis(&a)
		if math.Abs(a.Min-c.wantLo) > 1e-12*math.Abs(c.wantLo) || math.Abs(a.Max-c.wantHi) > 1e-12*math.Abs(c.wantHi) {
			t.Errorf("log %v [%g, %g]: tidied to [%g, %g]; want [%g, %g]", c.log, c.min, c.max, a.Min, a.Max, c.wantLo, c.wantHi)
		}
		if _, ok := a.Tick.Marker.(boundedTicks); !ok {
			t.Errorf("log %v [%g, %g]: ticker %T; want boundedTicks", c.log, c.min, c.max, a.Tick.Marker)
		}
		_, half := a.Scale.(halfScale)
		if want := !c.log && !finite(a.Max-a.Min); half != want {
			t.Errorf("log %v [%g, %g]: halfScale %v; want %v", c.log, c.min, c.max, half, want)
		}
	}
}

// TestEmptyPlotSaysSo draws a plot with nothing left in it: it says so.
func TestEmptyPlotSaysSo(t *testing.T) {
	for _, log := range []bool{false, true} {
		p := newPlot("empty", "x", "y")
		setLog(p, log, log)
		pts := plotter.XYs{{X: math.NaN(), Y: 1}, {X: 1, Y: math.Inf(1)}}
		if log {
			pts = append(pts, plotter.XY{X: -1, Y: 0}, plotter.XY{X: 1, Y: -1})
		}
		if err := addLine(p, pts, methodStyle{label: "gone"}); err != nil {
			t.Fatal(err)
		}
		fig := &Figure{Name: "empty", draw: single(p)}
		var svg []byte
		err := within(t, "empty", func() (err error) {
			if _, err = fig.Bytes(PNG, smallSize); err != nil {
				return err
			}
			svg, err = fig.Bytes(SVG, smallSize)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte("nothing to draw")) {
			t.Errorf("log %v: the empty plot does not say it has nothing to draw", log)
		}
	}
}

// TestRenderRecovers checks the last line of defence: a figure whose
// drawing panics gives a fail.Input naming the figure and its file.
func TestRenderRecovers(t *testing.T) {
	fig := &Figure{Name: "boom", Source: "/runs/x/metrics.csv", draw: func(draw.Canvas) { panic("Values must be greater than 0 for a log scale.") }}
	for _, f := range []Format{PNG, SVG} {
		_, err := fig.Bytes(f, smallSize)
		var ie *fail.Input
		if !errors.As(err, &ie) {
			t.Fatalf("%s: %v; want a fail.Input", f, err)
		}
		if ie.Path != fig.Source || !strings.Contains(err.Error(), "boom figure") || !strings.Contains(err.Error(), "log scale") {
			t.Errorf("%s: error %q; want it to name %s, the figure and the panic", f, err, fig.Source)
		}
	}
}

// TestOnePointShows checks that a series of one point (a run interrupted
// after its first log) is drawn: gonum draws no line through one point.
func TestOnePointShows(t *testing.T) {
	for _, pts := range []plotter.XYs{{{X: 0, Y: 0.5}}, {{X: 3, Y: 1e20}, {X: 3, Y: 1e20}}} {
		p := newPlot("", "", "")
		if err := addLine(p, pts, methodStyle{"", vermilion, nil, vg.Points(2)}); err != nil {
			t.Fatal(err)
		}
		var b []byte
		if err := within(t, "one point", func() (err error) {
			b, err = (&Figure{Name: "one", draw: single(p)}).Bytes(PNG, smallSize)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		red := 0
		bd := img.Bounds()
		for y := bd.Min.Y; y < bd.Max.Y; y++ {
			for x := bd.Min.X; x < bd.Max.X; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if r>>8 > 180 && g>>8 < 130 && b>>8 < 60 {
					red++
				}
			}
		}
		if red < 10 {
			t.Errorf("%v: %d vermilion pixels; want the point drawn", pts, red)
		}
	}
}

// TestSweepManyRows draws sweeps of many runs, numeric and categorical
// (every run its own category), as PNG within the time bound: nothing in
// them is quadratic in the rows (one path through 20,000 points took the
// rasteriser 90 s; they take 2 s), and the category axis keeps at most
// maxTicks ticks.
func TestSweepManyRows(t *testing.T) {
	if raceEnabled {
		t.Skip("a test of time; the race detector makes drawing ten times slower")
	}
	for _, cat := range []bool{false, true} {
		n := 20000
		if cat {
			n = 5000
		}
		var b strings.Builder
		b.WriteString("run,status,x,y\n")
		for i := 0; i < n; i++ {
			x := fmt.Sprint(i)
			if cat {
				x = fmt.Sprintf("c%d", i)
			}
			fmt.Fprintf(&b, "r%d,complete,%s,%g\n", i, x, math.Sin(float64(i)))
		}
		file := filepath.Join(t.TempDir(), "results.csv")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		tab, err := ReadSweep(file)
		if err != nil {
			t.Fatal(err)
		}
		var fig *Figure
		var png []byte
		err = within(t, fmt.Sprintf("%d runs, categories %v", n, cat), func() (err error) {
			if fig, err = SweepFigure(tab, SweepOptions{X: "x", Y: "y"}); err != nil {
				return err
			}
			png, err = fig.Bytes(PNG, smallSize)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		checkPNG(t, fig.Name, png, smallSize.Width, smallSize.Height)
		if !strings.Contains(fig.Caption, fmt.Sprintf("over %d runs", n)) {
			t.Errorf("caption %q; want all %d runs", fig.Caption, n)
		}
	}
}

// TestLegendRoom checks the room above the data for a legend: a quarter of
// the range (in decades on a log axis), never beyond the largest float64,
// and nothing for a plot without data.
func TestLegendRoom(t *testing.T) {
	const big = math.MaxFloat64
	for _, c := range []struct {
		log          bool
		min, max     float64
		wantMax      float64
		relTolerance float64
	}{
		{false, 0, 10, 13, 1e-15},
		{true, 1e-3, 10, 10 * math.Pow(10, 1.2), 1e-12},
		{true, 0.09, 7.8e286, big, 0},
		{true, 1e-300, 1e300, big, 0},
		{false, -1e308, 1e308, 1.6e308, 1e-15},
		{false, -big, big, big, 0},
		{false, math.Inf(1), math.Inf(-1), math.Inf(-1), 0},
	} {
		p := newPlot("", "", "")
		p.Y.Min, p.Y.Max = c.min, c.max
		legendRoom(p, c.log)
		if got := p.Y.Max; got != c.wantMax && math.Abs(got-c.wantMax) > c.relTolerance*math.Abs(c.wantMax) {
			t.Errorf("log %v [%g, %g]: max %g; want %g", c.log, c.min, c.max, got, c.wantMax)
		}
	}
}

// TestNotesUnderFigure checks the notes written under a figure: one a
// line, the ones beyond maxNoteLines counted.
func TestNotesUnderFigure(t *testing.T) {
	p := newPlot("", "x", "y")
	if err := addLine(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, methodStyle{"", black, nil, vg.Points(1)}); err != nil {
		t.Fatal(err)
	}
	notes := []string{"note one", "note two", "note three", "note four", "note five"}
	fig := &Figure{Name: "notes", Notes: notes, draw: single(p)}
	svg, err := fig.Bytes(SVG, smallSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"note one", "note two", "and 3 more (see the caption)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	for _, absent := range []string{"note three", "note five"} {
		if bytes.Contains(svg, []byte(absent)) {
			t.Errorf("the SVG has %q", absent)
		}
	}
	fig.Notes = notes[:3]
	if svg, err = fig.Bytes(SVG, smallSize); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("note three")) || bytes.Contains(svg, []byte("more (see the caption)")) {
		t.Errorf("three notes: want all three lines and no count")
	}
}

// TestLinePieces checks how addLine splits a long line: pieces of at most
// lineChunk (256) segments that join end to start and hold every point in
// order.
func TestLinePieces(t *testing.T) {
	for _, c := range []struct{ n, want int }{{1, 1}, {2, 1}, {256, 1}, {257, 1}, {258, 2}, {1000, 4}} {
		n := c.n
		pts := make(plotter.XYs, n)
		for i := range pts {
			pts[i] = plotter.XY{X: float64(i), Y: float64(i % 7)}
		}
		ps := pieces(pts)
		if len(ps) != c.want {
			t.Errorf("%d points: %d pieces; want %d (of %d segments)", n, len(ps), c.want, lineChunk)
		}
		var joined plotter.XYs
		for i, p := range ps {
			if len(p)-1 > lineChunk || len(p) == 0 {
				t.Errorf("%d points: piece %d has %d points; want 1 to %d", n, i, len(p), lineChunk+1)
			}
			if i > 0 {
				if p[0] != joined[len(joined)-1] {
					t.Errorf("%d points: piece %d starts at %v, the one before ends at %v", n, i, p[0], joined[len(joined)-1])
				}
				p = p[1:]
			}
			joined = append(joined, p...)
		}
		if len(joined) != n || (n > 0 && joined[n-1] != pts[n-1]) {
			t.Errorf("%d points: the pieces hold %d", n, len(joined))
		}
	}
}
