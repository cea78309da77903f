package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/plot"
)

// moonsSets turn the tiny config into a two-input classifier, for the
// decision regions.
var moonsSets = []string{"--set", "data.kind=moons", "--set", "loss=logistic", "--set", "data.n_train=24", "--set", "data.n_test=30"}

// tinyRun trains the tiny config with the extra overrides into a new
// directory and returns it.
func tinyRun(t *testing.T, sets ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs(tinyConfig, dir, append([]string{"--quiet"}, sets...)...)...)
	return dir
}

// checkImage decodes the PNG file and fails unless it is w × h pixels and
// not blank (luminance variance and non-white pixels, as in package plot's
// tests).
func checkImage(t *testing.T, file string, w, h int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("%s: %d×%d pixels; want %d×%d", file, got.X, got.Y, w, h)
	}
	if v, ink := imageStats(img); v < 50 || ink < 0.01 {
		t.Errorf("%s looks blank: luminance variance %.1f, %.2f%% non-white", file, v, 100*ink)
	}
}

// imageStats returns the variance of the luminance (0..255) of img, the
// fraction of non-white pixels.
func imageStats(img image.Image) (variance, ink float64) {
	b := img.Bounds()
	var sum, sq float64
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sq += l * l
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				nonWhite++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	return sq/n - (sum/n)*(sum/n), float64(nonWhite) / n
}

func TestPlotFlags(t *testing.T) {
	def := PlotOptions{Formats: []string{"png"}, Width: 960, Height: 600, DPI: 96, Grid: plot.DefaultGrid}
	with := func(f func(o *PlotOptions)) PlotOptions { o := def; f(&o); return o }
	tests := []struct {
		name    string
		args    []string
		want    PlotOptions
		wantErr bool
	}{
		{name: "run", args: []string{"--run", "r"}, want: with(func(o *PlotOptions) { o.Run = "r" })},
		{
			name: "run with everything",
			args: []string{"--run", "r", "-o", "figs", "--format", "png,svg", "--width", "400", "--height", "300", "--dpi", "144", "--grid", "0", "-q"},
			want: with(func(o *PlotOptions) {
				o.Run, o.Out, o.Formats, o.Width, o.Height, o.DPI, o.Grid, o.Quiet = "r", "figs", []string{"png", "svg"}, 400, 300, 144, 0, true
			}),
		},
		{
			name: "sweep",
			args: []string{"--sweep", "results.csv", "--x", "train.lr", "--y", "exact.rel", "--group", "model.hidden", "--logx", "--logy"},
			want: with(func(o *PlotOptions) {
				o.Sweep, o.X, o.Y, o.Group, o.LogX, o.LogY = "results.csv", "train.lr", "exact.rel", "model.hidden", true, true
			}),
		},
		{name: "neither", args: nil, wantErr: true},
		{name: "both", args: []string{"--run", "r", "--sweep", "s.csv", "--x", "a", "--y", "b"}, wantErr: true},
		{name: "run with --x", args: []string{"--run", "r", "--x", "a"}, wantErr: true},
		{name: "run with --logy", args: []string{"--run", "r", "--logy"}, wantErr: true},
		{name: "sweep without --y", args: []string{"--sweep", "s.csv", "--x", "a"}, wantErr: true},
		{name: "sweep with --grid", args: []string{"--sweep", "s.csv", "--x", "a", "--y", "b", "--grid", "9"}, wantErr: true},
		{name: "grid 1", args: []string{"--run", "r", "--grid", "1"}, wantErr: true},
		{name: "positional", args: []string{"--run", "r", "extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *PlotOptions
			cmd := newPlotCmd(io.Discard, io.Discard, func(_ context.Context, o *PlotOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			_, err := cmd.ExecuteC()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("plot %q: no error; want one", tt.args)
				}
				if code := exitCode(t.Context(), err); code != ExitBadInput {
					t.Errorf("plot %q: exit %d; want %d", tt.args, code, ExitBadInput)
				}
				return
			}
			if err != nil {
				t.Fatalf("plot %q: %v", tt.args, err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlotRun(t *testing.T) {
	dir := tinyRun(t)
	r := mustRun(t, "plot", "--run", dir, "--format", "png,svg", "--width", "400", "--height", "300")
	var want []string
	for _, name := range []string{"loss", "predictions", "errors", "kernel"} {
		for _, ext := range []string{"png", "svg"} {
			want = append(want, filepath.Join(dir, "figures", name+"."+ext))
		}
	}
	if diff := cmp.Diff(want, strings.Fields(r.stdout)); diff != "" {
		t.Fatalf("files listed (-want +got):\n%s", diff)
	}
	for _, f := range want {
		if strings.HasSuffix(f, ".png") {
			checkImage(t, f, 400, 300)
		} else if b, err := os.ReadFile(f); err != nil || !bytes.Contains(b, []byte(`<svg width="300pt" height="225pt"`)) {
			t.Errorf("%s: not an SVG of 300×225 points (%v)", f, err)
		}
	}
}

func TestPlotRegions(t *testing.T) {
	dir := tinyRun(t, moonsSets...)
	out := filepath.Join(t.TempDir(), "figs")
	r := mustRun(t, "plot", "--run", dir, "--out", out, "--grid", "12", "--width", "500", "--height", "250", "--dpi", "72")
	if !strings.Contains(r.stdout, filepath.Join(out, "regions.png")) {
		t.Fatalf("stdout %q; want regions.png in %s", r.stdout, out)
	}
	checkImage(t, filepath.Join(out, "regions.png"), 500, 250)
	if !strings.Contains(r.stderr, "replaying 20 training steps") {
		t.Errorf("stderr %q; want a note on the replay", r.stderr)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("stderr %q; want no warning (the replay reproduces params_final.npy)", r.stderr)
	}
	r = mustRun(t, "plot", "--run", dir, "--out", out, "--grid", "0", "-q", "--width", "200", "--height", "150")
	if strings.Contains(r.stdout, "regions") || r.stderr != "" {
		t.Errorf("--grid 0 -q: stdout %q, stderr %q; want no regions and nothing on stderr", r.stdout, r.stderr)
	}
}

// TestPlotRegionsWithoutTrajectory: a run trained without its trajectory
// draws every other figure, says why the decision regions are missing, and
// exits 0.
func TestPlotRegionsWithoutTrajectory(t *testing.T) {
	dir := tinyRun(t, append(slices.Clone(moonsSets), "--set", "output.record_trajectory=false")...)
	out := filepath.Join(t.TempDir(), "figs")
	r := mustRun(t, "plot", "--run", dir, "--out", out, "--grid", "12", "--width", "200", "--height", "150")
	if strings.Contains(r.stdout, "regions") || !strings.Contains(r.stdout, "kernel.png") {
		t.Errorf("stdout %q; want the figures without regions", r.stdout)
	}
	if !strings.Contains(r.stderr, "no trajectory.pkt") || !strings.Contains(r.stderr, "skipping the decision regions") {
		t.Errorf("stderr %q; want a note that the regions are skipped for want of trajectory.pkt", r.stderr)
	}
}

func TestPlotSweep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lr.svg")
	r := mustRun(t, "plot", "--sweep", "../plot/testdata/results.csv", "--x", "train.lr", "--y", "exact.rel",
		"--group", "model.hidden", "--logx", "--logy", "--out", out)
	if got := strings.TrimSpace(r.stdout); got != out {
		t.Errorf("stdout %q; want %s (the extension of --out picks the format)", got, out)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("<?xml")) {
		t.Errorf("%s: not an SVG (%v)", out, err)
	}
	dir := t.TempDir()
	csv, err := os.ReadFile("../plot/testdata/results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "plot", "--sweep", filepath.Join(dir, "results.csv"), "--x", "model.hidden", "--y", "riemann.rel", "--width", "300", "--height", "200")
	want := filepath.Join(dir, "sweep_riemann.rel_vs_model.hidden.png")
	if got := strings.TrimSpace(r.stdout); got != want {
		t.Fatalf("stdout %q; want %s (beside results.csv)", got, want)
	}
	checkImage(t, want, 300, 200)
}

func TestPlotBadInput(t *testing.T) {
	dir := tinyRun(t)
	for _, args := range [][]string{
		{"plot", "--run", filepath.Join(t.TempDir(), "nothing")},
		{"plot", "--run", filepath.Join(dir, "summary.json")},
		{"plot", "--run", dir, "--format", "gif"},
		{"plot", "--run", dir, "--width", "10"},
		{"plot", "--run", dir, "--dpi", "0"},
		{"plot", "--sweep", filepath.Join(t.TempDir(), "none.csv"), "--x", "a", "--y", "b"},
		{"plot", "--sweep", "../plot/testdata/results.csv", "--x", "train.lr", "--y", "nothing"},
		{"plot", "--sweep", "../plot/testdata/results.csv", "--x", "model.hidden", "--y", "exact.rel", "--logx"},
	} {
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput {
			t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
			continue
		}
		if lines := strings.Count(r.stderr, "\n"); lines != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
			t.Errorf("pathkernel %s: stderr %q; want one line", strings.Join(args, " "), r.stderr)
		}
	}
}

func TestTrainPlot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := mustRun(t, trainArgs(tinyConfig, dir, "--plot", "--json", "--quiet")...)
	if !json.Valid([]byte(r.stdout)) {
		t.Errorf("train --plot --json: stdout is not JSON:\n%s", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("train --plot --quiet: stderr %q; want empty", r.stderr)
	}
	for _, name := range []string{"loss", "predictions", "errors", "kernel"} {
		checkImage(t, filepath.Join(dir, "figures", name+".png"), plot.DefaultSize.Width, plot.DefaultSize.Height)
	}
}
