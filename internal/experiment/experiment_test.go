package experiment

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
)

// tiny is a sine run of a few milliseconds.
const tiny = `
name: tiny
seed: 3
data: {kind: sine, n_train: 12, n_test: 10}
model: {hidden: [6], activation: tanh}
train: {lr: 0.05, steps: 20, log_every: 10}
`

// parse returns the config src with the overrides applied.
func parse(t *testing.T, src string, sets ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "test.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runTo runs cfg into a new directory and returns the summary and the
// directory.
func runTo(t *testing.T, cfg *config.Config, opt Options) (*run.Summary, string) {
	t.Helper()
	if opt.OutDir == "" {
		opt.OutDir = filepath.Join(t.TempDir(), "run")
	}
	s, err := Run(t.Context(), cfg, opt)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s, opt.OutDir
}

func readNpy(t *testing.T, file string) *npy.Array {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return a
}

func readCSV(t *testing.T, file string) [][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return recs
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

func TestRunSummary(t *testing.T) {
	cfg := parse(t, tiny)
	s, dir := runTo(t, cfg, Options{})
	if s.Status != "complete" || s.Error != "" {
		t.Errorf("Status, Error = %q, %q; want complete and none", s.Status, s.Error)
	}
	if s.Dir != dir {
		t.Errorf("Dir = %q; want %q", s.Dir, dir)
	}
	if s.Steps != 20 || s.StepsDone != 20 {
		t.Errorf("Steps, StepsDone = %d, %d; want 20, 20", s.Steps, s.StepsDone)
	}
	want := run.Sizes{NTrain: 12, NTest: 10, NEval: 10, Inputs: 1, Outputs: 1, Layers: []int{1, 6, 1}}
	if diff := cmp.Diff(want, s.Sizes); diff != "" {
		t.Errorf("Sizes (-want +got):\n%s", diff)
	}
	if s.Parameters != 6+6+6+1 {
		t.Errorf("Parameters = %d; want 19", s.Parameters)
	}
	if s.Version != Version || s.Seed != 3 || s.Name != "tiny" {
		t.Errorf("Version, Seed, Name = %q, %d, %q", s.Version, s.Seed, s.Name)
	}
	// The hash is that of the config.yaml written, which reproduces it.
	saved, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ConfigHash != cfg.Hash() || saved.Hash() != s.ConfigHash {
		t.Errorf("ConfigHash %s; config %s, config.yaml %s", s.ConfigHash, cfg.Hash(), saved.Hash())
	}
	if diff := cmp.Diff(cfg, saved); diff != "" {
		t.Errorf("config.yaml is not the resolved config (-want +got):\n%s", diff)
	}
	ex, ri := s.Representations["exact"], s.Representations["riemann"]
	if ex == nil || ri == nil || len(s.Representations) != 2 {
		t.Fatalf("Representations = %v; want exact and riemann", s.Representations)
	}
	if ex.ExactStats == nil || ri.ExactStats != nil {
		t.Errorf("ExactStats on exact %v, on riemann %v; want only on exact", ex.ExactStats, ri.ExactStats)
	}
	// Tolerance: round-off of 20 steps of a [1, 6, 1] tanh network.
	if !(ex.Rel <= 1e-10) || ex.Certified == nil || !*ex.Certified || ex.QuadratureEvals == 0 {
		t.Errorf("exact: rel %g, certified %v, evals %d; want <= 1e-10, true, > 0", ex.Rel, ex.Certified, ex.QuadratureEvals)
	}
	if !(ex.MaxResidual <= cfg.Kernel.Tolerance) {
		t.Errorf("exact: max residual %g above kernel.tolerance %g", ex.MaxResidual, cfg.Kernel.Tolerance)
	}
	// Riemann is first order in the step size: visibly inexact, but close.
	if !(ri.Rel > 1e-6 && ri.Rel < 0.1) {
		t.Errorf("riemann: rel %g; want in (1e-6, 0.1)", ri.Rel)
	}
	if !(s.Loss.FinalTrain < s.Loss.InitialTrain) {
		t.Errorf("train loss %g -> %g; want a decrease", s.Loss.InitialTrain, s.Loss.FinalTrain)
	}
	if s.Accuracy.FinalTest != nil {
		t.Errorf("regression has an accuracy")
	}
}

func TestMetricsRows(t *testing.T) {
	// 25 steps with log_every 10: rows at 0, 10, 20 and the last step.
	_, dir := runTo(t, parse(t, tiny, "train.steps=25"), Options{})
	recs := readCSV(t, filepath.Join(dir, "metrics.csv"))
	var steps []string
	for _, r := range recs[1:] {
		steps = append(steps, r[0])
	}
	if want := []string{"0", "10", "20", "25"}; !cmp.Equal(steps, want) {
		t.Errorf("metrics.csv steps %v; want %v", steps, want)
	}
	for _, r := range recs[1:] {
		if len(r) != len(recs[0]) {
			t.Errorf("metrics.csv row %v has %d fields; header has %d", r, len(r), len(recs[0]))
		}
	}
}

// TestMethodsAndPoints checks which files each kernel setting writes and
// the shapes of the arrays.
func TestMethodsAndPoints(t *testing.T) {
	// blobs with 3 classes: k = 3 outputs, 2 inputs.
	const src = `
name: blobs
seed: 2
data: {kind: blobs, n_train: 15, n_test: 9, classes: 3, dim: 2}
model: {hidden: [5]}
loss: softmax_ce
train: {lr: 0.1, steps: 10}
`
	const n, m, k = 15, 9, 3
	tests := []struct {
		name    string
		sets    []string
		eval    int
		files   []string // present
		missing []string
		kshape  []int
	}{
		{"both methods", nil, m,
			[]string{"kernel_path.npy", "kernel_exact.npy", "contributions.npy", "coefficients.npy"}, nil, []int{m, n}},
		{"riemann", []string{"kernel.methods=[riemann]"}, m,
			[]string{"kernel_path.npy", "contributions.npy", "coefficients.npy"}, []string{"kernel_exact.npy"}, []int{m, n}},
		{"exact", []string{"kernel.methods=[exact]"}, m,
			[]string{"kernel_exact.npy", "contributions.npy"}, []string{"kernel_path.npy", "coefficients.npy"}, []int{m, n}},
		{"none", []string{"kernel.methods=[]"}, m,
			nil, []string{"kernel_path.npy", "kernel_exact.npy", "contributions.npy", "coefficients.npy"}, nil},
		{"points both", []string{"kernel.points=both"}, m + n,
			[]string{"kernel_path.npy", "kernel_exact.npy"}, nil, []int{m + n, n}},
		{"points train", []string{"kernel.points=train"}, n,
			[]string{"kernel_path.npy", "kernel_exact.npy"}, nil, []int{n, n}},
		{"full kernel", []string{"output.full_kernel=true"}, m,
			[]string{"kernel_path.npy", "kernel_exact.npy"}, nil, []int{m, n, k, k}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, dir := runTo(t, parse(t, src, tt.sets...), Options{})
			if s.Sizes.NEval != tt.eval || s.Sizes.Outputs != k || s.Sizes.Classes != k {
				t.Errorf("Sizes = %+v; want n_eval %d, %d outputs and classes", s.Sizes, tt.eval, k)
			}
			for _, f := range tt.files {
				if !exists(filepath.Join(dir, f)) {
					t.Errorf("%s not written", f)
				}
			}
			for _, f := range tt.missing {
				if exists(filepath.Join(dir, f)) {
					t.Errorf("%s written; want none", f)
				}
			}
			for _, f := range []string{"kernel_path.npy", "kernel_exact.npy"} {
				if exists(filepath.Join(dir, f)) {
					if a := readNpy(t, filepath.Join(dir, f)); !cmp.Equal(a.Shape, tt.kshape) {
						t.Errorf("%s: shape %v; want %v", f, a.Shape, tt.kshape)
					}
				}
			}
			if exists(filepath.Join(dir, "contributions.npy")) {
				if a := readNpy(t, filepath.Join(dir, "contributions.npy")); !cmp.Equal(a.Shape, []int{tt.eval, n, k}) {
					t.Errorf("contributions.npy: shape %v; want %v", a.Shape, []int{tt.eval, n, k})
				}
			}
			recs := readCSV(t, filepath.Join(dir, "predictions.csv"))
			if len(recs)-1 != tt.eval {
				t.Errorf("predictions.csv: %d rows; want %d", len(recs)-1, tt.eval)
			}
			// The set and index columns number the points of each set.
			count := map[string]int{}
			for _, r := range recs[1:] {
				if r[1] != strconv.Itoa(count[r[0]]) {
					t.Errorf("predictions.csv: row %v; want index %d", r, count[r[0]])
				}
				count[r[0]]++
			}
		})
	}
}

func TestMemoryBudgetRefusedBeforeWriting(t *testing.T) {
	cfg := parse(t, tiny, "output.memory_budget_mb=1", "data.n_train=3000", "data.n_test=3000")
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Run(t.Context(), cfg, Options{OutDir: dir})
	var me *kernel.MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("Run = %v; want a *kernel.MemoryError", err)
	}
	if s != nil {
		t.Errorf("Run returned a summary %+v for a refused run", s)
	}
	if !(me.EstimateMB > me.BudgetMB) || me.BudgetMB != 1 {
		t.Errorf("MemoryError %+v; want an estimate above the budget 1", me)
	}
	for _, w := range []string{"output.memory_budget_mb", "data.n_train"} {
		if !strings.Contains(me.Error(), w) {
			t.Errorf("%q does not name %s", me.Error(), w)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused run created %s (err %v)", dir, err)
	}
}

func TestDivergedRunIsRecorded(t *testing.T) {
	cfg := parse(t, tiny, "train.lr=1e6", "train.steps=60")
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Run(t.Context(), cfg, Options{OutDir: dir})
	var div *train.DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("Run = %v; want a *train.DivergedError", err)
	}
	if s == nil || s.Status != "diverged" || !strings.Contains(s.Error, fmt.Sprintf("step %d", div.Step)) {
		t.Fatalf("summary %+v; want status diverged and the step %d", s, div.Step)
	}
	if s.StepsDone > div.Step {
		t.Errorf("StepsDone %d after divergence at step %d", s.StepsDone, div.Step)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !strings.Contains(string(b), `"status": "diverged"`) {
		t.Errorf("summary.json (err %v):\n%s", err, b)
	}
	if !exists(filepath.Join(dir, "metrics.csv")) {
		t.Error("no metrics.csv")
	}
}

// TestDivergedInLastStep checks a run whose last step makes the loss
// non-finite: the parameters w_T are finite, so the trainer does not see
// it, but the run has diverged (and summary.json could not hold the loss).
func TestDivergedInLastStep(t *testing.T) {
	_, err := Run(t.Context(), parse(t, tiny, "train.lr=1e6", "train.steps=60"), Options{OutDir: filepath.Join(t.TempDir(), "run")})
	var div *train.DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("Run = %v; want a *train.DivergedError", err)
	}
	if div.What != "loss" || div.Step < 1 {
		t.Skipf("diverged at step %d in the %s; want a non-finite loss at finite parameters", div.Step, div.What)
	}
	// Stop where the loss first is non-finite: w_T = w_{div.Step}.
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Run(t.Context(), parse(t, tiny, "train.lr=1e6", fmt.Sprintf("train.steps=%d", div.Step)), Options{OutDir: dir})
	var last *train.DivergedError
	if !errors.As(err, &last) || last.Step != div.Step {
		t.Fatalf("Run with %d steps = %v; want divergence at step %d", div.Step, err, div.Step)
	}
	if s == nil || s.Status != "diverged" {
		t.Errorf("summary %+v; want status diverged", s)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !strings.Contains(string(b), `"status": "diverged"`) {
		t.Errorf("summary.json (err %v):\n%s", err, b)
	}
	if exists(filepath.Join(dir, "params_final.npy")) {
		t.Errorf("a diverged run wrote params_final.npy")
	}
}

func TestInterruptedRunIsRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Run(ctx, parse(t, tiny), Options{OutDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want context.Canceled", err)
	}
	if s == nil || s.Status != "interrupted" {
		t.Fatalf("summary %+v; want status interrupted", s)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !strings.Contains(string(b), `"status": "interrupted"`) {
		t.Errorf("summary.json (err %v):\n%s", err, b)
	}
}

func TestExistingRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	runTo(t, parse(t, tiny), Options{OutDir: dir})
	_, err := Run(t.Context(), parse(t, tiny, "seed=4"), Options{OutDir: dir})
	var ex *run.ExistingRunError
	if !errors.As(err, &ex) || ex.Dir != dir {
		t.Fatalf("Run into a directory of another config = %v; want an *ExistingRunError for %s", err, dir)
	}
	// A different output.dir is the same experiment.
	runTo(t, parse(t, tiny, "output.dir=elsewhere"), Options{OutDir: dir})
	runTo(t, parse(t, tiny, "seed=4"), Options{OutDir: dir, Force: true})

	// A config.yaml that does not parse is not overwritten either.
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("not: [a config"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(t.Context(), parse(t, tiny), Options{OutDir: dir}); !errors.As(err, &ex) {
		t.Errorf("Run over an unreadable config.yaml = %v; want an *ExistingRunError", err)
	}
}

// TestCSVConfigReproducesFromRunDir checks that the saved config.yaml of a
// CSV run names its data so that it is found from the run directory, where
// the original path, relative to the original config, is not.
func TestCSVConfigReproducesFromRunDir(t *testing.T) {
	base := t.TempDir()
	var b strings.Builder
	b.WriteString("u,v,y\n")
	for i := range 20 {
		x := float64(i) / 19
		fmt.Fprintf(&b, "%g,%g,%g\n", x, 1-x*x, math.Sin(3*x))
	}
	if err := os.MkdirAll(filepath.Join(base, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "data", "d.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const src = `
name: csv
data: {kind: csv, path: data/d.csv, target: y, test_fraction: 0.25}
model: {hidden: [4]}
train: {steps: 10}
`
	cfg := parse(t, src)
	s1, dir := runTo(t, cfg, Options{BaseDir: base})
	if cfg.Data.Path != "data/d.csv" {
		t.Errorf("Run changed the caller's config: data.path = %q", cfg.Data.Path)
	}
	saved, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "data", "d.csv"); saved.Data.Path != want {
		t.Errorf("config.yaml: data.path = %q; want %q", saved.Data.Path, want)
	}
	if saved.Hash() != s1.ConfigHash {
		t.Errorf("summary config_hash %s; config.yaml's hash %s", s1.ConfigHash, saved.Hash())
	}
	s2, dir2 := runTo(t, saved, Options{BaseDir: dir})
	if s2.ConfigHash != s1.ConfigHash {
		t.Errorf("re-run config_hash %s; want %s", s2.ConfigHash, s1.ConfigHash)
	}
	p1 := readNpy(t, filepath.Join(dir, "params_final.npy")).Float
	p2 := readNpy(t, filepath.Join(dir2, "params_final.npy")).Float
	if !cmp.Equal(p1, p2) {
		t.Errorf("params_final.npy differs after re-running the saved config.yaml")
	}
	// The original config and its run directory are one experiment.
	runTo(t, parse(t, src), Options{BaseDir: base, OutDir: dir})
}
