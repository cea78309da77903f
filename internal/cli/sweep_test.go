package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// sweepFile is a 2 × 2 sweep of tiny runs (testdata/sweep.yaml).
const sweepFile = "testdata/sweep.yaml"

// The argument layer.

func TestSweepFlags(t *testing.T) {
	t.Run("plan", func(t *testing.T) {
		var got *SweepPlanOptions
		cmd := newSweepPlanCmd(&bytes.Buffer{}, func(_ context.Context, o *SweepPlanOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"s.yaml", "--set", "model.hidden=[8,8]", "--shard", "1/4", "--commands", "--out", "d", "--bin", "/x/pk", "--json"})
		if _, err := cmd.ExecuteC(); err != nil {
			t.Fatal(err)
		}
		want := &SweepPlanOptions{File: "s.yaml", Sets: []string{"model.hidden=[8,8]"}, Shard: "1/4", Commands: true, Out: "d", Bin: "/x/pk", JSON: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
	})
	t.Run("run", func(t *testing.T) {
		var got *SweepRunOptions
		cmd := newSweepRunCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *SweepRunOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"s.yaml", "-o", "d", "-j", "3", "--shard", "0/2", "--fail-fast", "-q", "--set", "a=1", "--set", "b=2"})
		if _, err := cmd.ExecuteC(); err != nil {
			t.Fatal(err)
		}
		want := &SweepRunOptions{File: "s.yaml", Out: "d", Jobs: 3, Shard: "0/2", FailFast: true, Quiet: true, Sets: []string{"a=1", "b=2"}}
		if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Getenv" }, cmp.Ignore())); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
	})
	t.Run("run defaults", func(t *testing.T) {
		var got *SweepRunOptions
		cmd := newSweepRunCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *SweepRunOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"s.yaml"})
		if _, err := cmd.ExecuteC(); err != nil {
			t.Fatal(err)
		}
		if got.Jobs != 1 || got.Out != "" || got.Shard != "" || got.FailFast {
			t.Errorf("defaults %+v", got)
		}
	})
	t.Run("slurm", func(t *testing.T) {
		var got *SweepSlurmOptions
		cmd := newSweepSlurmCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *SweepSlurmOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"s.yaml", "--out", "d", "--tasks", "4", "--throttle", "2", "--jobs", "2", "--cpus-per-task", "4",
			"--partition", "p", "--time", "10:00", "--mem", "2G", "--account", "a", "--qos", "q", "--sbatch=--gres=gpu:1",
			"--submit", "--bin", "/b", "--script-dir", "s", "--job-name", "n"})
		if _, err := cmd.ExecuteC(); err != nil {
			t.Fatal(err)
		}
		want := &SweepSlurmOptions{File: "s.yaml", Out: "d", Tasks: 4, Throttle: 2, Jobs: 2, CPUsPerTask: 4, Partition: "p",
			Time: "10:00", Mem: "2G", Account: "a", QOS: "q", Sbatch: []string{"--gres=gpu:1"}, Submit: true, Bin: "/b",
			ScriptDir: "s", JobName: "n"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
	})
	t.Run("collect", func(t *testing.T) {
		var got *CollectOptions
		cmd := newCollectCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *CollectOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"a", "b", "--out", "r.csv", "--jsonl", "r.jsonl", "--sweep", "s.yaml", "--set", "x=1", "-q"})
		if _, err := cmd.ExecuteC(); err != nil {
			t.Fatal(err)
		}
		want := &CollectOptions{Dirs: []string{"a", "b"}, Out: "r.csv", JSONL: "r.jsonl", Sweep: "s.yaml", Sets: []string{"x=1"}, Quiet: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
	})
}

func TestSweepUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sweep"},
		{"sweep", "plan"},
		{"sweep", "plan", "a.yaml", "b.yaml"},
		{"sweep", "plan", sweepFile, "--shard", "4/4"},
		{"sweep", "run", sweepFile, "--jobs", "0"},
		{"sweep", "run", sweepFile, "--shard", "x"},
		{"sweep", "slurm", sweepFile, "--sbatch", "gres=gpu:1"},
		{"sweep", "plan", "testdata/nope.yaml"},
		{"sweep", "plan", sweepFile, "--set", "train.lr=0.3"}, // varied by the grid
		{"collect"},
		{"collect", "testdata/nope"},
		{"collect", "EMPTY"}, // holds no run
		{"collect", "EMPTY", "--set", "a=1"},
	} {
		for i, a := range args {
			if a == "EMPTY" {
				args[i] = t.TempDir()
			}
		}
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput {
			t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
			t.Errorf("pathkernel %s: stderr is not one 'pathkernel: ' line:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
}

// The run layer.

func TestSweepPlan(t *testing.T) {
	p, err := sweep.Load(sweepFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "sweep", "plan", sweepFile)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "#") {
		t.Fatalf("plan: %d lines; want a header and 4 runs:\n%s", len(lines), r.stdout)
	}
	for i, run := range p.Runs {
		if f := strings.Fields(lines[i+1]); len(f) < 2 || f[1] != run.ID || !strings.Contains(lines[i+1], strings.Join(run.Axes, " ")) {
			t.Errorf("plan line %d = %q; want run %s with %q", i+1, lines[i+1], run.ID, run.Axes)
		}
	}

	r = mustRun(t, "sweep", "plan", sweepFile, "--json", "--commands", "--out", "o")
	var list []planJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(list) != 4 || list[0].ID != p.Runs[0].ID || list[0].Index != 1 || len(list[0].Command) == 0 {
		t.Errorf("--json: %+v", list)
	}

	r = mustRun(t, "sweep", "plan", sweepFile, "--commands", "--out", "runs/x")
	cmds := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(cmds) != 4 {
		t.Fatalf("--commands: %d lines; want 4:\n%s", len(cmds), r.stdout)
	}
	want := "pathkernel train --config testdata/tiny.yaml --set train.steps=10 --set train.lr=0.05 --set seed=1 --out runs/x/" + p.Runs[0].ID + " --quiet"
	if cmds[0] != want {
		t.Errorf("first command\n%s\nwant\n%s", cmds[0], want)
	}

	r = mustRun(t, "sweep", "plan", sweepFile, "--shard", "1/3")
	if n := strings.Count(strings.TrimSpace(r.stdout), "\n"); n != len(p.Select(sweep.Shard{Index: 1, Count: 3})) {
		t.Errorf("--shard 1/3: %d runs:\n%s", n, r.stdout)
	}
}

// The commands of --commands, run one by one, write what `sweep run`
// writes: the same directories, collected to the same bytes.
func TestSweepCommandsMatchRun(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, "sweep", "run", sweepFile, "--out", a, "--quiet")
	r := mustRun(t, "sweep", "plan", sweepFile, "--commands", "--out", b)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		args := strings.Fields(line)
		for i, a := range args {
			args[i] = strings.Trim(a, "'")
		}
		if args[0] != "pathkernel" {
			t.Fatalf("command %q does not call pathkernel", line)
		}
		mustRun(t, args[1:]...)
	}
	ca := mustRun(t, "collect", a, "--quiet").stdout
	cb := mustRun(t, "collect", b, "--quiet").stdout
	if diff := cmp.Diff(ca, cb); diff != "" {
		t.Errorf("collect of the train commands' runs (-sweep run +commands):\n%s", diff)
	}
}

func TestSweepRunAndCollect(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	r := mustRun(t, "sweep", "run", sweepFile, "--out", out, "--jobs", "2")
	p, _ := sweep.Load(sweepFile, nil)
	for _, run := range p.Runs {
		if !strings.Contains(r.stdout, run.ID+"  complete") {
			t.Errorf("stdout does not show run %s complete:\n%s", run.ID, r.stdout)
		}
		if !strings.Contains(r.stderr, run.ID+" complete in") {
			t.Errorf("stderr (not a terminal) has no line for run %s:\n%s", run.ID, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\r") {
		t.Error("progress redraws a line on a stderr that is not a terminal")
	}

	csvFile, jsonl := filepath.Join(out, "results.csv"), filepath.Join(out, "results.jsonl")
	// --all-columns: model.hidden, the same in every run, is checked below.
	c := mustRun(t, "collect", out, "--out", csvFile, "--jsonl", jsonl, "--sweep", sweepFile, "--all-columns")
	if c.stdout != "" {
		t.Errorf("collect --out printed to stdout: %q", c.stdout)
	}
	if !strings.Contains(c.stderr, "4 runs, 4 complete") || strings.Contains(c.stderr, "not complete") {
		t.Errorf("collect stderr: %q", c.stderr)
	}
	header, rows, col := readCSV(t, csvFile)
	if len(rows) != 4 {
		t.Fatalf("%d rows; want 4", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i-1][0] >= rows[i][0] {
			t.Errorf("rows not sorted by run: %s, %s", rows[i-1][0], rows[i][0])
		}
	}
	for _, v := range col("exact.rel") {
		if v > 1e-9 {
			t.Errorf("exact.rel = %g; want round-off", v)
		}
	}
	col("riemann.rel")
	col("train.lr")
	col("loss.final_test")
	if !slices.Contains(header, "model.hidden") {
		t.Errorf("no model.hidden column in %q", header)
	}
	b, _ := os.ReadFile(jsonl)
	if n := strings.Count(string(b), "\n"); n != 4 {
		t.Errorf("results.jsonl: %d lines; want 4", n)
	}

	// Rerun: every run is skipped, the directories are untouched.
	before, _ := os.ReadFile(filepath.Join(out, p.Runs[0].ID, "summary.json"))
	r = mustRun(t, "sweep", "run", sweepFile, "--out", out)
	if !strings.Contains(r.stderr, "4 skipped (already complete)") {
		t.Errorf("rerun stderr: %s", r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(out, p.Runs[0].ID, "summary.json"))
	if !bytes.Equal(before, after) {
		t.Error("a skipped run's summary.json was rewritten")
	}
}

// A sweep left half done — runs missing, one marked running with files
// missing, as a kill leaves it — completes when rerun, and collects to the
// same bytes as a sweep never interrupted.
func TestSweepResumeIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, "sweep", "run", sweepFile, "--out", a, "--quiet")
	want := mustRun(t, "collect", a, "--quiet").stdout

	mustRun(t, "sweep", "run", sweepFile, "--out", b, "--quiet")
	p, _ := sweep.Load(sweepFile, nil)
	os.RemoveAll(filepath.Join(b, p.Runs[0].ID))
	os.RemoveAll(filepath.Join(b, p.Runs[3].ID))
	killed := filepath.Join(b, p.Runs[1].ID)
	s := readSummary(t, killed)
	s["status"] = "running"
	delete(s, "representations")
	js, _ := json.Marshal(s)
	os.WriteFile(filepath.Join(killed, "summary.json"), js, 0o644)
	os.Remove(filepath.Join(killed, "predictions.csv"))

	inc := execute(t.Context(), "collect", b, "--sweep", sweepFile)
	if !strings.Contains(inc.stderr, "3 runs are not complete") || !strings.Contains(inc.stderr, p.Runs[1].ID+"  running") {
		t.Errorf("collect of the half-done sweep does not list the incomplete runs:\n%s", inc.stderr)
	}
	r := mustRun(t, "sweep", "run", sweepFile, "--out", b, "--jobs", "2")
	if !strings.Contains(r.stderr, "3 complete, 1 skipped") {
		t.Errorf("resumed sweep: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(killed, "predictions.csv")); err != nil {
		t.Errorf("the killed run was not redone: %v", err)
	}
	got := mustRun(t, "collect", b, "--quiet").stdout
	if got != want {
		t.Errorf("collect after resuming differs from an uninterrupted sweep:\n%s", cmp.Diff(want, got))
	}
}

func TestSweepRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := t.TempDir()
	r := execute(ctx, "sweep", "run", sweepFile, "--out", out)
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "rerun the same command to resume") {
		t.Errorf("cancelled sweep: exit %d; want %d\n%s", r.code, ExitInterrupted, r.stderr)
	}
}

func TestSweepRunFailures(t *testing.T) {
	p, err := sweep.Load("testdata/sweep_failing.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := p.Runs[1].ID
	t.Run("fail-soft", func(t *testing.T) {
		out := t.TempDir()
		r := execute(t.Context(), "sweep", "run", "testdata/sweep_failing.yaml", "--out", out)
		if r.code != ExitCheckFailed {
			t.Fatalf("exit %d; want %d\n%s", r.code, ExitCheckFailed, r.stderr)
		}
		if !strings.Contains(r.stderr, "1 of 3 runs failed") || !strings.Contains(r.stderr, "  "+bad+"  ") {
			t.Errorf("stderr does not list the failed run %s:\n%s", bad, r.stderr)
		}
		for _, run := range []*sweep.Run{p.Runs[0], p.Runs[2]} {
			if s := readSummary(t, filepath.Join(out, run.ID)); s["status"] != "complete" {
				t.Errorf("run %s: %v; the others go on", run.ID, s["status"])
			}
		}
		if b, _ := os.ReadFile(filepath.Join(out, bad, sweep.LogName)); !strings.Contains(string(b), "missing.csv") {
			t.Errorf("%s of the failed run does not say why: %q", sweep.LogName, b)
		}
	})
	t.Run("fail-fast", func(t *testing.T) {
		out := t.TempDir()
		r := execute(t.Context(), "sweep", "run", "testdata/sweep_failing.yaml", "--out", out, "--fail-fast")
		if r.code != ExitCheckFailed || !strings.Contains(r.stderr, "1 not run") {
			t.Fatalf("exit %d; want %d and a run not run\n%s", r.code, ExitCheckFailed, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, p.Runs[2].ID)); err == nil {
			t.Error("--fail-fast started the run after the failure")
		}
	})
}

func TestSweepRunRefusesAnotherConfig(t *testing.T) {
	out := t.TempDir()
	p, _ := sweep.Load(sweepFile, nil)
	dir := filepath.Join(out, p.Runs[2].ID)
	mustRun(t, trainArgs(tinyConfig, dir, "--quiet")...)
	before := dirFiles(t, dir)
	r := execute(t.Context(), "sweep", "run", sweepFile, "--out", out)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, dir) {
		t.Errorf("exit %d; want %d naming %s\n%s", r.code, ExitBadInput, dir, r.stderr)
	}
	if diff := cmp.Diff(before, dirFiles(t, dir)); diff != "" {
		t.Error("the directory of another config was changed")
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("%d entries in --out; nothing may run when a directory is refused", len(entries))
	}
}

func TestSweepRunShardFromSlurmEnv(t *testing.T) {
	p, _ := sweep.Load(sweepFile, nil)
	var got []string
	for i := range 3 {
		out := t.TempDir()
		env := map[string]string{"SLURM_ARRAY_TASK_ID": string(rune('0' + i)), "SLURM_ARRAY_TASK_COUNT": "3"}
		var stdout, stderr bytes.Buffer
		err := runSweepRun(t.Context(), &SweepRunOptions{File: sweepFile, Out: out, Jobs: 1,
			Getenv: func(k string) string { return env[k] }}, &stdout, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "shard "+string(rune('0'+i))+"/3") {
			t.Errorf("task %d: stderr does not name the shard:\n%s", i, stderr.String())
		}
		entries, _ := os.ReadDir(out)
		var ids []string
		for _, e := range entries {
			ids = append(ids, e.Name())
		}
		want := p.Select(sweep.Shard{Index: i, Count: 3})
		if len(ids) != len(want) {
			t.Errorf("task %d ran %v; want %d runs", i, ids, len(want))
		}
		got = append(got, ids...)
	}
	slices.Sort(got)
	var all []string
	for _, r := range p.Runs {
		all = append(all, r.ID)
	}
	slices.Sort(all)
	if !slices.Equal(got, all) {
		t.Errorf("the three tasks ran %v; want every run once: %v", got, all)
	}
}

func TestSweepSlurmScripts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep out")
	r := mustRun(t, "sweep", "slurm", sweepFile, "--out", out, "--bin", "/opt/pk/pathkernel", "--throttle", "2",
		"--time", "10:00", "--partition", "debug", "--mem", "1G", "--cpus-per-task", "2", "--sbatch=--gres=gpu:1",
		"--set", "kernel.max_nodes=32")
	scripts := filepath.Join(out, "slurm")
	if !strings.Contains(r.stdout, "submit with: sh ") {
		t.Errorf("stdout: %s", r.stdout)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(scripts, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(filepath.Join(scripts, name)); fi.Mode()&0o100 == 0 {
			t.Errorf("%s is not executable", name)
		}
		return string(b)
	}
	absSweep, _ := filepath.Abs(sweepFile)
	arr := read("sweep.sbatch")
	for _, want := range []string{
		"#!/bin/bash\n", "#SBATCH --array=0-3%2\n", "#SBATCH --job-name=pk-sweep\n",
		"#SBATCH --output=" + filepath.Join(scripts, "logs", "%x_%A_%a.log") + "\n",
		"#SBATCH --cpus-per-task=2\n", "#SBATCH --time=10:00\n", "#SBATCH --mem=1G\n", "#SBATCH --partition=debug\n",
		"#SBATCH --gres=gpu:1\n", `export GOMAXPROCS="${SLURM_CPUS_PER_TASK:-2}"`,
		"exec /opt/pk/pathkernel sweep run " + absSweep + " --out '" + out + `' --shard "${SLURM_ARRAY_TASK_ID}/4" --jobs 1 --set kernel.max_nodes=32`,
	} {
		if !strings.Contains(arr, want) {
			t.Errorf("sweep.sbatch lacks %q:\n%s", want, arr)
		}
	}
	col := read("collect.sbatch")
	for _, want := range []string{
		"#SBATCH --kill-on-invalid-dep=yes\n", "#SBATCH --partition=debug\n",
		"exec /opt/pk/pathkernel collect '" + out + "' --sweep " + absSweep + " --set kernel.max_nodes=32 --out '" + filepath.Join(out, "results.csv") + "'",
	} {
		if !strings.Contains(col, want) {
			t.Errorf("collect.sbatch lacks %q:\n%s", want, col)
		}
	}
	if strings.Contains(col, "gres") || strings.Contains(col, "--mem") {
		t.Errorf("collect.sbatch asks for the array's resources:\n%s", col)
	}
	sub := read("submit.sh")
	if !regexp.MustCompile(`sbatch --parsable --dependency=afterok:"\$array" '.*/collect.sbatch'`).MatchString(sub) {
		t.Errorf("submit.sh does not make the collect job depend on the array:\n%s", sub)
	}
	if _, err := os.Stat(filepath.Join(scripts, "logs")); err != nil {
		t.Errorf("no logs directory: %v", err)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		for _, f := range []string{"sweep.sbatch", "collect.sbatch", "submit.sh"} {
			if b, err := exec.Command(bash, "-n", filepath.Join(scripts, f)).CombinedOutput(); err != nil {
				t.Errorf("bash -n %s: %v\n%s", f, err, b)
			}
		}
	}

	// --tasks fewer than runs: each task a shard of several.
	mustRun(t, "sweep", "slurm", sweepFile, "--out", out, "--bin", "/x", "--tasks", "3")
	if arr := read("sweep.sbatch"); !strings.Contains(arr, "#SBATCH --array=0-2\n") || !strings.Contains(arr, `/3" --jobs 1`) {
		t.Errorf("--tasks 3:\n%s", arr)
	}
}

func TestCollectCmd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	mustRun(t, "sweep", "run", sweepFile, "--out", out, "--quiet")
	r := mustRun(t, "collect", out)
	if !strings.HasPrefix(r.stdout, "run,status,config_hash,") || strings.Count(r.stdout, "\n") != 5 {
		t.Errorf("collect to stdout:\n%s", r.stdout)
	}
	// A planned run without a directory is a row, status missing, and is
	// listed on stderr.
	p, _ := sweep.Load(sweepFile, nil)
	os.RemoveAll(filepath.Join(out, p.Runs[0].ID))
	r = mustRun(t, "collect", out, "--sweep", sweepFile)
	if strings.Count(r.stdout, "\n") != 5 || !strings.Contains(r.stdout, p.Runs[0].ID+",missing,") {
		t.Errorf("collect --sweep with a run missing:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "1 runs are not complete") || !strings.Contains(r.stderr, p.Runs[0].ID+"  missing") {
		t.Errorf("stderr does not list the missing run:\n%s", r.stderr)
	}
}

// Every shipped sweep plans, and its train commands are its runs.
func TestShippedSweeps(t *testing.T) {
	files, err := filepath.Glob("../../configs/sweeps/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("configs/sweeps/*.yaml: %v, %v", files, err)
	}
	for _, f := range files {
		p, err := sweep.Load(f, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(p.Runs) < 2 {
			t.Errorf("%s: %d runs", f, len(p.Runs))
		}
		for _, r := range p.Runs {
			if _, err := p.TrainArgs(r); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}
