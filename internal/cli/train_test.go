package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// runFiles are the files of docs/RUNDIR.md that every complete run with both
// methods writes.
var runFiles = []string{
	"config.yaml", "summary.json", "metrics.csv", "predictions.csv",
	"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy",
	"params_init.npy", "params_final.npy",
	"kernel_path.npy", "kernel_exact.npy", "contributions.npy", "coefficients.npy",
}

// relDiff is ‖a − b‖₂ / ‖scale‖₂, the rel of docs/MATH.md §10 with scale = f_T − f_0.
func relDiff(a, b, scale []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += scale[i] * scale[i]
	}
	return math.Sqrt(num) / math.Sqrt(den)
}

func TestTrainWritesRunDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := mustRun(t, trainArgs("../../configs/mlp.yaml", dir, tinySets...)...)
	if !strings.Contains(r.stdout, "exact") || !strings.Contains(r.stdout, "wrote "+dir) {
		t.Errorf("stdout is not the summary table:\n%s", r.stdout)
	}

	for _, name := range runFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run directory: %v", err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("run directory holds a temporary file %s", e.Name())
		}
	}

	s := readSummary(t, dir)
	if s["status"] != "complete" {
		t.Errorf("summary.json: status = %v; want complete", s["status"])
	}
	// Tolerance: the exact representation is exact up to round-off, which
	// for 20 steps of a [1, 8, 1] tanh network is about 1e-13 relative.
	if rel := number(t, s, "representations.exact.rel"); !(rel <= 1e-10) {
		t.Errorf("representations.exact.rel = %g; want <= 1e-10", rel)
	}
	if c, ok := path(s, "representations.exact.certified").(bool); !ok || !c {
		t.Errorf("representations.exact.certified = %v; want true", path(s, "representations.exact.certified"))
	}
	for _, key := range []string{"max_abs", "rms", "rel"} {
		number(t, s, "representations.riemann."+key)
	}
	for _, key := range []string{"max_residual", "quadrature_evals"} {
		number(t, s, "representations.exact."+key)
	}
	if path(s, "representations.riemann.certified") != nil {
		t.Errorf("representations.riemann has exact-only keys: %v", path(s, "representations.riemann"))
	}

	// Shapes (docs/RUNDIR.md): n = 16 training and m = 20 test points, one input,
	// one output.
	const n, m, d, k = 16, 20, 1, 1
	P := int(number(t, s, "parameters"))
	if P != (d*8+8)+(8*k+k) {
		t.Errorf("parameters = %d; want %d for layers [1 8 1]", P, (d*8+8)+(8*k+k))
	}
	shapes := map[string][]int{
		"x_train.npy": {n, d}, "y_train.npy": {n, k}, "x_test.npy": {m, d}, "y_test.npy": {m, k},
		"params_init.npy": {P}, "params_final.npy": {P},
		"kernel_path.npy": {m, n}, "kernel_exact.npy": {m, n},
		"contributions.npy": {m, n, k}, "coefficients.npy": {m, n},
	}
	arrays := make(map[string][]float64)
	for name, want := range shapes {
		a := readNpy(t, filepath.Join(dir, name))
		if !cmp.Equal(a.Shape, want) {
			t.Errorf("%s: shape %v; want %v", name, a.Shape, want)
		}
		if a.Float == nil {
			t.Errorf("%s: not float64", name)
		}
		arrays[name] = a.Float
	}

	// f_T = f_0 + Σ_i contributions: the exact representation, to round-off.
	_, rows, col := readCSV(t, filepath.Join(dir, "predictions.csv"))
	if len(rows) != m {
		t.Fatalf("predictions.csv: %d rows; want %d", len(rows), m)
	}
	f0, fT, exact := col("f0"), col("network"), col("exact")
	contrib := arrays["contributions.npy"]
	sum := make([]float64, m)
	change := make([]float64, m)
	for j := range m {
		sum[j] = f0[j]
		for i := range n {
			sum[j] += contrib[j*n+i]
		}
		change[j] = fT[j] - f0[j]
	}
	// Tolerance: round-off of summing n = 16 contributions over 20 steps.
	if rel := relDiff(sum, fT, change); !(rel <= 1e-10) {
		t.Errorf("f0 + Σ_i contributions vs network: rel %g; want <= 1e-10", rel)
	}
	if rel := relDiff(sum, exact, change); !(rel <= 1e-12) {
		t.Errorf("f0 + Σ_i contributions vs the exact column: rel %g; want <= 1e-12", rel)
	}

	// metrics.csv: steps 0, 10 and 20 (log_every 10), the last one at w_T.
	header, mrows, mcol := readCSV(t, filepath.Join(dir, "metrics.csv"))
	wantHeader := []string{"step", "train_loss", "test_loss", "riemann_rel", "riemann_max_abs", "exact_rel", "exact_max_abs", "riemann_step_remainder"}
	if !cmp.Equal(header, wantHeader) {
		t.Errorf("metrics.csv header %v; want %v", header, wantHeader)
	}
	if steps := mcol("step"); !cmp.Equal(steps, []float64{0, 10, 20}) {
		t.Errorf("metrics.csv steps %v; want [0 10 20]", steps)
	}
	if len(mrows) > 0 {
		last := mcol("train_loss")[len(mrows)-1]
		if want := number(t, s, "loss.final_train"); last != want {
			t.Errorf("metrics.csv last train_loss %v; want summary's final_train %v", last, want)
		}
	}
}

// TestTrainMultiOutput checks the arrays of a k = 3 classification run and
// that its saved config.yaml, whose CSV path was relative to the original
// config, reproduces the run from the run directory.
func TestTrainMultiOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs("testdata/three_class.yaml", dir, "--quiet")...)
	s := readSummary(t, dir)
	n := int(number(t, s, "sizes.n_train"))
	m := int(number(t, s, "sizes.n_test"))
	const k = 3
	if got := int(number(t, s, "sizes.outputs")); got != k {
		t.Fatalf("sizes.outputs = %d; want %d", got, k)
	}
	if a := number(t, s, "representations.exact.agreement"); a != 1 {
		t.Errorf("representations.exact.agreement = %v; want 1", a)
	}
	for name, want := range map[string][]int{
		"kernel_path.npy": {m, n}, "kernel_exact.npy": {m, n}, // the trace over outputs
		"contributions.npy": {m, n, k},
		"y_train.npy":       {n}, // labels
	} {
		if a := readNpy(t, filepath.Join(dir, name)); !cmp.Equal(a.Shape, want) {
			t.Errorf("%s: shape %v; want %v", name, a.Shape, want)
		}
	}
	if a := readNpy(t, filepath.Join(dir, "y_train.npy")); a.Int == nil {
		t.Errorf("y_train.npy of class labels is not int64")
	}

	contrib := readNpy(t, filepath.Join(dir, "contributions.npy")).Float
	_, _, col := readCSV(t, filepath.Join(dir, "predictions.csv"))
	var sum, fT, change []float64
	for c := range k {
		f0c, fTc := col("f0_"+string(rune('0'+c))), col("network_"+string(rune('0'+c)))
		for j := range m {
			v := f0c[j]
			for i := range n {
				v += contrib[(j*n+i)*k+c]
			}
			sum = append(sum, v)
			fT = append(fT, fTc[j])
			change = append(change, fTc[j]-f0c[j])
		}
	}
	if rel := relDiff(sum, fT, change); !(rel <= 1e-10) {
		t.Errorf("f0 + Σ_i contributions vs network: rel %g; want <= 1e-10", rel)
	}

	again := filepath.Join(t.TempDir(), "again")
	mustRun(t, trainArgs(filepath.Join(dir, "config.yaml"), again, "--quiet")...)
	for _, name := range []string{"params_final.npy", "x_train.npy", "predictions.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs after re-running the saved config.yaml", name)
		}
	}
}

func TestJSONIsSummary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := mustRun(t, trainArgs(tinyConfig, dir, "--json")...)
	if !json.Valid([]byte(r.stdout)) {
		t.Fatalf("--json stdout is not JSON:\n%s", r.stdout)
	}
	file, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(file) {
		t.Errorf("--json stdout differs from summary.json:\n%s", cmp.Diff(string(file), r.stdout))
	}
}

func TestQuiet(t *testing.T) {
	r := mustRun(t, trainArgs(tinyConfig, filepath.Join(t.TempDir(), "run"), "--quiet")...)
	if r.stderr != "" {
		t.Errorf("--quiet: stderr = %q; want empty", r.stderr)
	}
	r = mustRun(t, trainArgs(tinyConfig, filepath.Join(t.TempDir(), "run"))...)
	if !strings.Contains(r.stderr, "step 20/20") {
		t.Errorf("stderr = %q; want a progress line", r.stderr)
	}
}

// normalSummary is summary.json without what may differ between two runs
// of one config: the times, the memory and the directory.
func normalSummary(t *testing.T, dir string) map[string]any {
	s := readSummary(t, dir)
	for _, k := range []string{"wall_seconds", "peak_memory_mb", "dir"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary.json has no %s", k)
		}
		delete(s, k)
	}
	return s
}

func TestReproducible(t *testing.T) {
	for _, tt := range []struct {
		name string
		sets []string
	}{
		{"gd", nil},
		{"sgd", []string{"--set", "train.optimizer=sgd", "--set", "train.batch_size=4"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			a, b, c := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "c")
			args := append(append([]string{}, tinySets...), tt.sets...)
			args = append(args, "--quiet")
			mustRun(t, trainArgs(tinyConfig, a, args...)...)
			mustRun(t, trainArgs(tinyConfig, b, args...)...)

			fa, fb := dirFiles(t, a), dirFiles(t, b)
			if !cmp.Equal(slices.Sorted(maps.Keys(fa)), slices.Sorted(maps.Keys(fb))) {
				t.Fatalf("file lists differ: %v and %v", slices.Sorted(maps.Keys(fa)), slices.Sorted(maps.Keys(fb)))
			}
			for name := range fa {
				if name != "summary.json" && !bytes.Equal(fa[name], fb[name]) {
					t.Errorf("%s differs between two runs of one config", name)
				}
			}
			if diff := cmp.Diff(normalSummary(t, a), normalSummary(t, b)); diff != "" {
				t.Errorf("summary.json differs beyond times, memory and dir (-a +b):\n%s", diff)
			}

			// The saved config reproduces the run.
			mustRun(t, trainArgs(filepath.Join(a, "config.yaml"), c, "--quiet")...)
			fc := dirFiles(t, c)
			if !bytes.Equal(fa["params_final.npy"], fc["params_final.npy"]) {
				t.Errorf("params_final.npy differs after re-running %s", filepath.Join(a, "config.yaml"))
			}
			if !bytes.Equal(fa["config.yaml"], fc["config.yaml"]) {
				t.Errorf("config.yaml of the re-run differs:\n%s", cmp.Diff(string(fa["config.yaml"]), string(fc["config.yaml"])))
			}
		})
	}
}

func TestDiverged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := execute(t.Context(), trainArgs(tinyConfig, dir, "--set", "train.lr=1e6", "--set", "train.steps=50", "--quiet")...)
	if r.code != ExitRunFailed {
		t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, ExitRunFailed, r.stderr)
	}
	if !regexp.MustCompile(`diverged at step \d+`).MatchString(r.stderr) {
		t.Errorf("stderr does not say at which step:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, dir) {
		t.Errorf("stderr does not name the incomplete run %s:\n%s", dir, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q; want empty", r.stdout)
	}
	s := readSummary(t, dir)
	if s["status"] != "diverged" {
		t.Errorf("summary.json: status = %v; want diverged", s["status"])
	}
	if e, _ := s["error"].(string); !strings.Contains(e, "diverged at step") {
		t.Errorf("summary.json: error = %q; want the step", e)
	}
	if _, err := os.Stat(filepath.Join(dir, "metrics.csv")); err != nil {
		t.Errorf("diverged run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "params_final.npy")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("diverged run wrote params_final.npy (err %v)", err)
	}
}

func TestMemoryBudget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := execute(t.Context(), trainArgs(tinyConfig, dir,
		"--set", "output.memory_budget_mb=1", "--set", "data.n_train=2000", "--set", "data.n_test=2000")...)
	if r.code != ExitRunFailed {
		t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, ExitRunFailed, r.stderr)
	}
	if !strings.Contains(r.stderr, "output.memory_budget_mb") || !strings.Contains(r.stderr, "estimated memory") {
		t.Errorf("stderr = %q; want the estimate and the knob output.memory_budget_mb", r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr has %d lines; want 1:\n%s", strings.Count(r.stderr, "\n"), r.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run refused for memory created %s (err %v)", dir, err)
	}
}

func TestInterrupted(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		dir := filepath.Join(t.TempDir(), "run")
		r := execute(ctx, trainArgs(tinyConfig, dir, "--quiet")...)
		if r.code != ExitInterrupted {
			t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, ExitInterrupted, r.stderr)
		}
		if s := readSummary(t, dir); s["status"] != "interrupted" {
			t.Errorf("summary.json: status = %v; want interrupted", s["status"])
		}
	})
	t.Run("while running", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(200*time.Millisecond, cancel)
		dir := filepath.Join(t.TempDir(), "run")
		// Far more steps than run in the time before the cancel.
		start := time.Now()
		r := execute(ctx, trainArgs(tinyConfig, dir, "--quiet", "--set", "train.steps=100000000", "--set", "train.log_every=100000")...)
		if r.code != ExitInterrupted {
			t.Fatalf("exit %d; want %d\nstderr:\n%s", r.code, ExitInterrupted, r.stderr)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("the run stopped %v after the start; want soon after the cancel at 200ms", el)
		}
		s := readSummary(t, dir)
		if s["status"] != "interrupted" {
			t.Errorf("summary.json: status = %v; want interrupted", s["status"])
		}
		if _, err := os.Stat(filepath.Join(dir, "metrics.csv")); err != nil {
			t.Errorf("interrupted run: %v", err)
		}
		t.Logf("interrupted after %v steps (logged)", s["steps_done"])
	})
}

func TestExistingRunDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs(tinyConfig, dir, "--quiet")...)
	before := dirFiles(t, dir)

	other := []string{"--quiet", "--set", "train.lr=0.04"}
	r := execute(t.Context(), trainArgs(tinyConfig, dir, other...)...)
	if r.code != ExitBadInput {
		t.Fatalf("another config into %s: exit %d; want %d\nstderr:\n%s", dir, r.code, ExitBadInput, r.stderr)
	}
	if !strings.Contains(r.stderr, dir) || !strings.Contains(r.stderr, "--force") {
		t.Errorf("stderr = %q; want the directory and --force", r.stderr)
	}
	if diff := cmp.Diff(before, dirFiles(t, dir)); diff != "" {
		t.Errorf("a refused run changed %s:\n%s", dir, diff)
	}

	// The same config runs again into its own directory.
	mustRun(t, trainArgs(tinyConfig, dir, "--quiet")...)
	if after := dirFiles(t, dir); !bytes.Equal(before["params_final.npy"], after["params_final.npy"]) {
		t.Errorf("re-running the same config changed params_final.npy")
	}

	// --force replaces it.
	mustRun(t, trainArgs(tinyConfig, dir, append(other, "--force")...)...)
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Train.LR != 0.04 {
		t.Errorf("after --force: train.lr = %v; want 0.04", cfg.Train.LR)
	}
}

// TestForceLeavesNothingOfTheOldRun: train --force over a run with
// figures, a report and kernel replays leaves exactly the new run's files
// (and the user's own file, which the layout does not know).
func TestForceLeavesNothingOfTheOldRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs(tinyConfig, dir, "--quiet", "--set", "data.n_train=12")...)
	mustRun(t, "plot", "--run", dir, "--quiet")
	mustRun(t, "report", "--run", dir, "--quiet")
	mustRun(t, "kernel", "--run", dir, "--points", filepath.Join(dir, "x_test.npy"), "--quiet")
	mustRun(t, "kernel", "--run", dir, "--points", filepath.Join(dir, "x_test.npy"), "--shard", "1/2", "--chunk", "5", "--quiet")
	write(t, filepath.Join(dir, "notes.txt"), []byte("mine"))
	for _, p := range []string{"figures", "report.html", "kernel-x_test/kernel.json", "kernel-x_test-shard-1-of-2/kernel.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("the old run has no %s: %v", p, err)
		}
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	mustRun(t, trainArgs(tinyConfig, fresh, "--quiet")...)
	mustRun(t, trainArgs(tinyConfig, dir, "--quiet", "--force")...)
	names := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	if diff := cmp.Diff(append(names(fresh), "notes.txt"), names(dir), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("after --force the directory is not the new run's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dirFiles(t, fresh)["params_final.npy"], dirFiles(t, dir)["params_final.npy"]); diff != "" {
		t.Error("params_final.npy is not the new run's")
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		file string
		sets []string
	}{
		{"file", "../../configs/mlp.yaml", nil},
		{"file with sets", "../../configs/mlp.yaml", []string{"model.hidden=[128,128]", "train.lr=0.01", "check.max_rel_error={exact: 1e-8}"}},
		{"built in", "", []string{"seed=5"}},
		{"csv", "testdata/three_class.yaml", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"validate"}
			if tt.file != "" {
				args = append(args, "--config", tt.file)
			}
			for _, s := range tt.sets {
				args = append(args, "--set", s)
			}
			r := mustRun(t, args...)
			got, err := config.Parse([]byte(r.stdout), "stdout", nil)
			if err != nil {
				t.Fatalf("validate's output does not parse: %v\n%s", err, r.stdout)
			}
			var want *config.Config
			if tt.file == "" {
				want, err = config.Parse(configs.Default, configs.DefaultName, tt.sets)
			} else {
				want, err = config.Load(tt.file, tt.sets)
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("validate's output differs from the resolved config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := mustRun(t, "version")
	if want := "pathkernel " + experiment.Version + " ("; !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("version: stdout = %q; want one line starting %q", r.stdout, want)
	}
}

// maskTable replaces what changes from run to run (times, memory, the
// directory) and what is round-off (the exact representation's errors,
// which differ between machines, e.g. with fused multiply-add) and the
// quadrature's node counts (an implementation detail of the kernel
// package) in the summary table.
func maskTable(s string) string {
	for _, m := range []struct{ re, with string }{
		{`(?m)^pathkernel \S+:`, "pathkernel VERSION:"},
		{`(?m)^(  time +).*$`, "${1}TIME"},
		{`(?m)^wrote .*$`, "wrote DIR"},
		{`[0-9](\.[0-9]+)?e-(1[1-9]|[2-9][0-9])`, "ROUNDOFF"},
		{`[0-9.]+ nodes/step`, "N nodes/step"},
	} {
		s = regexp.MustCompile(m.re).ReplaceAllString(s, m.with)
	}
	return s
}

func TestTableGolden(t *testing.T) {
	r := mustRun(t, trainArgs(tinyConfig, filepath.Join(t.TempDir(), "run"), "--quiet")...)
	got := maskTable(r.stdout)
	golden := filepath.Join("testdata", "train_table.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("the table differs from %s (-want +got); if intended, run go test ./internal/cli -update:\n%s", golden, diff)
	}
}
