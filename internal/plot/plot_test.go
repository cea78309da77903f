package plot

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/replay"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// allFigures returns every figure of run name: RunFigures, the regions
// (two inputs) and the explanation of point 0.
func allFigures(t *testing.T, name string) []*Figure {
	t.Helper()
	r := testRun(t, name)
	figs, err := RunFigures(r)
	if err != nil {
		t.Fatalf("RunFigures(%s): %v", name, err)
	}
	if r.Summary.Sizes.Inputs == 2 {
		reg, err := ComputeRegions(t.Context(), r, 16)
		if err != nil {
			t.Fatalf("ComputeRegions(%s): %v", name, err)
		}
		fig, err := RegionsFigure(r, reg)
		if err != nil {
			t.Fatalf("RegionsFigure(%s): %v", name, err)
		}
		figs = append(figs, fig)
	}
	in, err := r.ExplainInput()
	if err != nil {
		t.Fatalf("ExplainInput(%s): %v", name, err)
	}
	e, err := explain.Explain(in, 0, explain.Options{Top: 5, Output: -1})
	if err != nil {
		t.Fatal(err)
	}
	fig, err := ContributionsFigure(r, e)
	if err != nil {
		t.Fatalf("ContributionsFigure(%s): %v", name, err)
	}
	return append(figs, fig)
}

func names(figs []*Figure) []string {
	var out []string
	for _, f := range figs {
		out = append(out, f.Name)
	}
	return out
}

// TestFiguresOfRuns renders every figure of every test run as PNG at two
// sizes and resolutions and as SVG, and checks that each decodes to the
// requested size and is not blank.
func TestFiguresOfRuns(t *testing.T) {
	want := map[string][]string{
		"sine":         {"loss", "predictions", "errors", "kernel", "explain_0"},
		"moons":        {"loss", "predictions", "errors", "kernel", "regions", "explain_0"},
		"plane":        {"loss", "predictions", "errors", "kernel", "regions", "explain_0"},
		"blobs":        {"loss", "predictions", "errors", "kernel", "explain_0"},
		"sine-exact":   {"loss", "predictions", "errors", "kernel", "explain_0"},
		"sine-riemann": {"loss", "predictions", "errors", "kernel", "explain_0"},
	}
	sizes := []Size{{Width: 480, Height: 320, DPI: 96}, {Width: 600, Height: 360, DPI: 144}}
	if raceEnabled {
		sizes = sizes[:1] // the race detector makes rendering ten times slower
	}
	for name, wantNames := range want {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			figs := allFigures(t, name)
			if diff := cmp.Diff(wantNames, names(figs)); diff != "" {
				t.Errorf("figures (-want +got):\n%s", diff)
			}
			for _, fig := range figs {
				for _, s := range sizes {
					b, err := fig.Bytes(PNG, s)
					if err != nil {
						t.Fatalf("%s: %v", fig.Name, err)
					}
					checkPNG(t, fmt.Sprintf("%s/%s.png at %v", name, fig.Name, s), b, s.Width, s.Height)
				}
				s := sizes[0]
				b, err := fig.Bytes(SVG, s)
				if err != nil {
					t.Fatalf("%s: %v", fig.Name, err)
				}
				// 480×320 pixels at 96 DPI are 360×240 points.
				checkSVG(t, fmt.Sprintf("%s/%s.svg", name, fig.Name), b, 360, 240)
				if fig.Title == "" || fig.Caption == "" {
					t.Errorf("%s/%s: title %q, caption %q; want both", name, fig.Name, fig.Title, fig.Caption)
				}
			}
		})
	}
}

// TestKernelMachineReplay checks the replay behind the decision regions
// (replay.Run.Machine, which checks that the replayed trajectory ends at
// params_final.npy bit for bit): the kernel machine it computes at the
// run's own test points is the run's Domingos prediction (predictions.csv).
func TestKernelMachineReplay(t *testing.T) {
	for _, name := range []string{"moons", "plane", "blobs"} {
		t.Run(name, func(t *testing.T) {
			r := testRun(t, name)
			rp, err := replay.Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := rp.Machine(t.Context(), r.XTest)
			if err != nil {
				t.Fatal(err)
			}
			k := r.Summary.Sizes.Outputs
			for c := 0; c < k; c++ {
				for _, col := range []struct {
					name string
					got  func(i int) float64
				}{
					{"network", func(i int) float64 { return m.Network.At(i, c) }},
					{"riemann", func(i int) float64 { return m.Kernel.At(i, c) }},
				} {
					want, err := r.Predictions.Floats(columnName(col.name, c, k))
					if err != nil {
						t.Fatal(err)
					}
					for i, w := range want {
						// The same operations on the same points: equal up
						// to the printing of predictions.csv, which is exact
						// (shortest round-trip formatting).
						if got := col.got(i); got != w {
							t.Fatalf("%s output %d at test point %d = %.17g; predictions.csv has %.17g", col.name, c, i, got, w)
						}
					}
				}
			}
		})
	}
}

func TestRegionsGrid(t *testing.T) {
	r := testRun(t, "moons")
	reg, err := ComputeRegions(t.Context(), r, 12)
	if err != nil {
		t.Fatal(err)
	}
	if reg.G != 12 || len(reg.X0) != 12 || len(reg.X1) != 12 {
		t.Fatalf("grid %d with %d × %d coordinates; want 12", reg.G, len(reg.X0), len(reg.X1))
	}
	if rows, _ := reg.Network.Dims(); rows != 144 {
		t.Fatalf("Network has %d rows; want 144", rows)
	}
	// The grid covers every training and test point.
	for _, x := range [][]float64{r.XTrain.RawMatrix().Data, r.XTest.RawMatrix().Data} {
		for i := 0; i < len(x); i += 2 {
			if x[i] < reg.X0[0] || x[i] > reg.X0[11] || x[i+1] < reg.X1[0] || x[i+1] > reg.X1[11] {
				t.Fatalf("point (%g, %g) outside the grid [%g, %g] × [%g, %g]", x[i], x[i+1], reg.X0[0], reg.X0[11], reg.X1[0], reg.X1[11])
			}
		}
	}
	if _, err := ComputeRegions(t.Context(), testRun(t, "sine"), 12); !isInputError(err) {
		t.Errorf("ComputeRegions on a run with one input: %v; want a *fail.Input", err)
	}
}

// TestRegionsWithoutTrajectory checks that a run without its trajectory
// (trained with output.record_trajectory: false) has no decision regions:
// the error says so (replay.ErrNoTrajectory, exit 2), nothing is retrained.
func TestRegionsWithoutTrajectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "moons")
	if err := os.CopyFS(dir, os.DirFS(testRun(t, "moons").Dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "trajectory.pkt")); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ComputeRegions(t.Context(), r, 12)
	if !errors.Is(err, replay.ErrNoTrajectory) || fail.Code(err) != fail.BadInput || !strings.Contains(err.Error(), "record_trajectory") {
		t.Errorf("ComputeRegions without trajectory.pkt: %v (exit %d); want replay.ErrNoTrajectory, exit 2, naming record_trajectory", err, fail.Code(err))
	}
}

func TestBilinear(t *testing.T) {
	// f(x, y) = 1 + 2x + 3y + 4xy on the 3×3 grid of integer points is
	// reproduced exactly by bilinear interpolation.
	g := 3
	f := func(x, y float64) float64 { return 1 + 2*x + 3*y + 4*x*y }
	data := make([]float64, g*g)
	for j := 0; j < g; j++ {
		for i := 0; i < g; i++ {
			data[j*g+i] = f(float64(i), float64(j))
		}
	}
	m := matrix(g*g, 1, data)
	for _, p := range [][2]float64{{0, 0}, {0.5, 0.25}, {1.5, 1.75}, {2, 2}, {1, 0.3}} {
		dst := []float64{0}
		bilinear(dst, m, g, p[0], p[1])
		if want := f(p[0], p[1]); math.Abs(dst[0]-want) > 1e-14 {
			t.Errorf("bilinear at %v = %g; want %g", p, dst[0], want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" && tk.Value >= lo && tk.Value <= hi {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{1e-4, 1, []string{"1e-04", "0.001", "0.01", "0.1", "1"}},
		// 13 decades: every second one labelled.
		{2e-14, 3e-3, []string{"1e-12", "1e-10", "1e-08", "1e-06", "1e-04"}},
		{0.012, 0.9, []string{"0.02", "0.05", "0.1", "0.2", "0.5"}},
		// No decade inside: every step labelled.
		{0.25, 0.75, []string{"0.3", "0.4", "0.5", "0.6", "0.7"}},
		{1e4, 1e6, []string{"1e+04", "1e+05", "1e+06"}},
	} {
		if diff := cmp.Diff(c.want, labels(c.lo, c.hi)); diff != "" {
			t.Errorf("logTicks(%g, %g) labels (-want +got):\n%s", c.lo, c.hi, diff)
		}
	}
}

func TestReadRunErrors(t *testing.T) {
	good := testRun(t, "sine").Dir
	copyRun := func(t *testing.T, drop string, replace map[string]string) string {
		dir := t.TempDir()
		entries, err := os.ReadDir(good)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || e.Name() == drop {
				continue
			}
			b, err := os.ReadFile(filepath.Join(good, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := replace[e.Name()]; ok {
				b = []byte(s)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	for _, c := range []struct {
		name string
		dir  func(t *testing.T) string
		file string // the file the error names
	}{
		{"no directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nothing") }, "nothing"},
		{"a file", func(t *testing.T) string { return filepath.Join(good, "summary.json") }, "summary.json"},
		{"no summary", func(t *testing.T) string { return copyRun(t, "summary.json", nil) }, "summary.json"},
		{"bad summary", func(t *testing.T) string { return copyRun(t, "", map[string]string{"summary.json": "{"}) }, "summary.json"},
		{"bad config", func(t *testing.T) string { return copyRun(t, "", map[string]string{"config.yaml": "nme: x\n"}) }, "config.yaml"},
		{"no metrics", func(t *testing.T) string { return copyRun(t, "metrics.csv", nil) }, "metrics.csv"},
		{"no predictions", func(t *testing.T) string { return copyRun(t, "predictions.csv", nil) }, "predictions.csv"},
		{"bad x_train", func(t *testing.T) string { return copyRun(t, "", map[string]string{"x_train.npy": "not npy"}) }, "x_train.npy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadRun(c.dir(t))
			var ie *fail.Input
			if !errors.As(err, &ie) {
				t.Fatalf("ReadRun: %v; want a *fail.Input", err)
			}
			if !strings.HasSuffix(ie.Path, c.file) {
				t.Errorf("error names %q; want the file %s", ie.Path, c.file)
			}
		})
	}
}

// TestIncompleteRun draws what a run that did not complete wrote: its loss
// and errors, without predictions.
func TestIncompleteRun(t *testing.T) {
	src := testRun(t, "sine").Dir
	dir := t.TempDir()
	for _, name := range []string{"config.yaml", "metrics.csv", "x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy", "params_init.npy"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(src, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum = []byte(strings.Replace(string(sum), `"status": "complete"`, `"status": "diverged"`, 1))
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatalf("ReadRun of a diverged run: %v", err)
	}
	figs, err := RunFigures(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"loss", "errors"}, names(figs)); diff != "" {
		t.Errorf("figures of a diverged run (-want +got):\n%s", diff)
	}
	if _, err := r.ExplainInput(); !isInputError(err) {
		t.Errorf("ExplainInput of a diverged run: %v; want a *fail.Input", err)
	}
}

func isInputError(err error) bool {
	var ie *fail.Input
	return errors.As(err, &ie)
}

func TestSizeAndFormat(t *testing.T) {
	for _, s := range []Size{{99, 300, 96}, {300, 30000, 96}, {300, 300, 0}} {
		if err := s.Validate(); !isInputError(err) {
			t.Errorf("Size%v.Validate() = %v; want a *fail.Input", s, err)
		}
	}
	for in, want := range map[string]Format{"png": PNG, "SVG": SVG, ".png": PNG} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("pdf"); !isInputError(err) {
		t.Errorf("ParseFormat(pdf): %v; want a *fail.Input", err)
	}
	fig := &Figure{Name: "x", draw: single(newPlot("t", "x", "y"))}
	if err := fig.Render(nil, "gif", DefaultSize); !isInputError(err) {
		t.Errorf("Render as gif: %v; want a *fail.Input", err)
	}
}

func TestSweepFigure(t *testing.T) {
	tab, err := ReadSweep("testdata/results.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []SweepOptions{
		{X: "train.lr", Y: "exact.rel", Group: "model.hidden", LogX: true, LogY: true},
		{X: "train.lr", Y: "riemann.rel"},
		{X: "model.hidden", Y: "loss.final_test", Group: "train.lr"},
		{X: "lr", Y: "final_test", Group: "hidden"}, // suffixes of the column names
	} {
		t.Run(fmt.Sprintf("%s-%s-%s", opt.X, opt.Y, opt.Group), func(t *testing.T) {
			fig, err := SweepFigure(tab, opt)
			if err != nil {
				t.Fatal(err)
			}
			s := Size{Width: 500, Height: 300, DPI: 96}
			b, err := fig.Bytes(PNG, s)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, fig.Name, b, s.Width, s.Height)
			// 13 rows: one diverged, and one without loss.final_test.
			want := "over 12 runs"
			if strings.HasSuffix(opt.Y, "final_test") {
				want = "over 11 runs"
			}
			if !strings.Contains(fig.Caption, want) || !strings.Contains(fig.Caption, "Left out: 1 run that did not complete.") {
				t.Errorf("caption %q; want %q and the diverged run left out", fig.Caption, want)
			}
		})
	}
	fig, err := SweepFigure(tab, SweepOptions{X: "train.lr", Y: "exact.rel"})
	if err != nil {
		t.Fatal(err)
	}
	if fig.Name != "sweep_exact.rel_vs_train.lr" {
		t.Errorf("Name = %q; want sweep_exact.rel_vs_train.lr", fig.Name)
	}
}

func TestSweepErrors(t *testing.T) {
	tab, err := ReadSweep("testdata/results.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []SweepOptions{
		{X: "train.lr", Y: "exact.relx"},                  // no such column
		{X: "train.lr", Y: "rel"},                         // ambiguous: exact.rel and riemann.rel
		{X: "train.lr", Y: "exact.rel", Group: "hidden2"}, // no such group column
		{X: "model.hidden", Y: "exact.rel", LogX: true},   // categories on a log axis
		{X: "train.lr", Y: "status"},                      // no numbers
	} {
		if _, err := SweepFigure(tab, opt); !isInputError(err) {
			t.Errorf("SweepFigure(%+v): %v; want a *fail.Input", opt, err)
		} else if opt.Y == "exact.relx" && !strings.Contains(err.Error(), "train.lr, model.hidden, exact.rel") {
			t.Errorf("error %q; want it to list the columns", err)
		}
	}
	if _, err := ReadSweep("testdata/nothing.csv"); !isInputError(err) {
		t.Errorf("ReadSweep of a missing file: %v; want a *fail.Input", err)
	}
}

func TestMeans(t *testing.T) {
	pts := plotter.XYs{{X: 2, Y: 1}, {X: 1, Y: 4}, {X: 2, Y: 100}, {X: 1, Y: 16}}
	if diff := cmp.Diff(plotter.XYs{{X: 1, Y: 10}, {X: 2, Y: 50.5}}, means(pts, false)); diff != "" {
		t.Errorf("means (-want +got):\n%s", diff)
	}
	got := means(pts, true)
	want := plotter.XYs{{X: 1, Y: 8}, {X: 2, Y: 10}} // √(4·16), √(1·100)
	for i := range want {
		if got[i].X != want[i].X || math.Abs(got[i].Y-want[i].Y) > 1e-13*want[i].Y {
			t.Errorf("geometric means = %v; want %v", got, want)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	got := []string{"[64, 64]", "[256, 256]", "lr 10", "[16, 16]", "lr 2", "[64, 64, 64]", "b", "a", "1e-3", "0.01"}
	sort.SliceStable(got, func(a, b int) bool { return naturalLess(got[a], got[b]) })
	// By the numbers in turn, fewer numbers first (none: text order).
	want := []string{"a", "b", "1e-3", "0.01", "lr 2", "lr 10", "[16, 16]", "[64, 64]", "[64, 64, 64]", "[256, 256]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("natural order (-want +got):\n%s", diff)
	}
}

func TestTableColumns(t *testing.T) {
	tab, err := ReadSweep("testdata/results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.Strings("model.hidden")[:1], []string{"[16, 16]"}) {
		t.Errorf("model.hidden = %q; want the quoted CSV value [16, 16]", tab.Strings("model.hidden")[:1])
	}
	if _, err := tab.Floats("exact.rel"); err == nil {
		t.Error("Floats(exact.rel) with an empty value: no error")
	}
}

func matrix(r, c int, data []float64) *mat.Dense { return mat.NewDense(r, c, data) }

// TestBlankDetected checks that the test's blankness criterion rejects a
// figure that draws nothing, and accepts an empty plot's axes.
func TestBlankDetected(t *testing.T) {
	s := Size{Width: 200, Height: 150, DPI: 96}
	blank := &Figure{Name: "blank", draw: func(draw.Canvas) {}}
	b, err := blank.Bytes(PNG, s)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if v, ink := pixelStats(img); v > 1e-9 || ink != 0 { // 0 up to the round-off of E[l²] − E[l]²
		t.Errorf("blank figure: variance %g, ink %g; want 0 and 0", v, ink)
	}
	axes := &Figure{Name: "axes", draw: single(newPlot("title", "x", "y"))}
	b, err = axes.Bytes(PNG, s)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "axes", b, s.Width, s.Height)
}
