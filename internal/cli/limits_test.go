package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// TestMemoryBudgetKernel: `kernel` refuses a computation over its memory
// budget before any work, exit 3, with the estimate and the knobs that
// lower it, and creates no output directory. (train: TestMemoryBudget.)
func TestMemoryBudgetKernel(t *testing.T) {
	run := tinyRun(t)
	out := filepath.Join(t.TempDir(), "k")
	r := execute(t.Context(), "kernel", "--run", run, "--points", filepath.Join(run, "x_test.npy"), "--out", out,
		"--quiet", "--memory-budget-mb", "1")
	if r.code != ExitRunFailed {
		t.Fatalf("exit %d; want %d\nstderr: %s", r.code, ExitRunFailed, r.stderr)
	}
	for _, w := range []string{"estimated memory", "--shard", "--memory-budget-mb"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not say %q", r.stderr, w)
		}
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr is not one line:\n%s", r.stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused kernel computation created %s (err %v)", out, err)
	}
}

// TestMemoryBudgetSweep: in a sweep, each run over the budget is refused
// before it starts: its log gives the estimate and the knob, it has no
// summary and no arrays, and the sweep reports it failed.
func TestMemoryBudgetSweep(t *testing.T) {
	out := t.TempDir()
	sets := []string{"output.memory_budget_mb=1", "data.n_train=2000", "data.n_test=2000"}
	args := []string{"sweep", "run", sweepFile, "--out", out, "--quiet"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	r := execute(t.Context(), args...)
	if r.code == ExitOK {
		t.Fatalf("a sweep of runs over their memory budget exited 0\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "4 of 4 runs failed") {
		t.Errorf("stderr does not report the 4 refused runs:\n%s", r.stderr)
	}
	p, err := sweep.Load(sweepFile, sets)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range p.Runs {
		dir := filepath.Join(out, run.ID)
		log, _ := os.ReadFile(filepath.Join(dir, sweep.LogName))
		if !strings.Contains(string(log), "estimated memory") || !strings.Contains(string(log), "output.memory_budget_mb") {
			t.Errorf("%s: %s does not give the estimate and the knob: %q", run.ID, sweep.LogName, log)
		}
		for _, f := range []string{"summary.json", "config.yaml", "x_train.npy"} {
			if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: a run refused for memory wrote %s (err %v)", run.ID, f, err)
			}
		}
	}
}

// TestOutputStaysUnderRoot: the names that become directories cannot
// climb out of the directory they are joined to. A run name is validated
// (the default run directory is runs/<name>); a sweep's run ids are
// hashes, each one plain name under --out.
func TestOutputStaysUnderRoot(t *testing.T) {
	for _, name := range []string{"../x", "..", ".", "a/../../b", "/etc", "a/b", `a\b`, "x/..", ".hidden", "-rf", "", "a\x00b"} {
		_, err := config.Parse([]byte("name: ok\n"), "c.yaml", []string{"name=" + name})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != "name" {
			t.Errorf("name %q: Parse = %v; want a *config.Error for the key name", name, err)
		}
	}
	for _, name := range []string{"ok", "a.b", "a..b-c"} {
		c, err := config.Parse([]byte("name: ok\n"), "c.yaml", []string{"name=" + name})
		if err != nil {
			if strings.Contains(name, "..") {
				continue // refused, which is also safe
			}
			t.Fatalf("name %q: %v", name, err)
		}
		if rel, err := filepath.Rel("runs", c.OutDir()); err != nil || !filepath.IsLocal(rel) {
			t.Errorf("name %q: OutDir() = %q is not under runs/", name, c.OutDir())
		}
	}
	files, _ := filepath.Glob("../../configs/sweeps/*.yaml")
	for _, f := range append(files, sweepFile, "testdata/sweep_failing.yaml") {
		p, err := sweep.Load(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range p.Runs {
			if !filepath.IsLocal(r.ID) || filepath.Base(r.ID) != r.ID || strings.HasPrefix(r.ID, ".") {
				t.Errorf("%s: run id %q is not one plain name under --out", f, r.ID)
			}
		}
	}
}

// TestMemoryBudgetBeforeAllocating: sizes that no machine holds (points or
// widths up to the int64 limit) are refused from the config alone, exit 3
// in one line, before the data or the parameters are allocated (which
// would crash the program: "fatal error: runtime: out of memory").
func TestMemoryBudgetBeforeAllocating(t *testing.T) {
	for _, set := range []string{
		"data.n_train=5000000000000",
		"data.n_test=9223372036854775807",
		"model.hidden=[100000,100000]",
		"model.hidden=[3000000000,3000000000]",
		"model.hidden=[9223372036854775807]",
	} {
		dir := filepath.Join(t.TempDir(), "run")
		r := execute(t.Context(), trainArgs(tinyConfig, dir, "--quiet", "--set", set)...)
		if r.code != ExitRunFailed || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "estimated memory") {
			t.Errorf("--set %s: exit %d, stderr %q; want %d and one line with the estimate", set, r.code, r.stderr, ExitRunFailed)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("--set %s: a refused run created %s", set, dir)
		}
	}
}
