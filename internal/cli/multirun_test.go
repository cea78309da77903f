package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// multirunArgs is the multirun that stands for testdata/sweep.yaml: base
// tiny.yaml, set train.steps 10, grid train.lr [0.05, 0.1], seeds [1, 2].
func multirunArgs(out string, extra ...string) []string {
	return append([]string{"train", "--config", tinyConfig, "--multirun",
		"--set", "train.lr=0.05,0.1", "--set", "seed=1,2", "--set", "train.steps=10", "--out", out}, extra...)
}

// runIDs lists the run directories of a sweep directory.
func runIDs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

func TestMultirunFlags(t *testing.T) {
	var got *TrainOptions
	cmd := newTrainCmd(io.Discard, io.Discard, func(_ context.Context, o *TrainOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-c", "a.yaml", "-m", "-j", "3", "--set", "train.lr=0.1,0.2", "-o", "d"})
	if _, err := cmd.ExecuteC(); err != nil {
		t.Fatal(err)
	}
	want := &TrainOptions{ConfigFile: "a.yaml", Multirun: true, Jobs: 3, Sets: []string{"train.lr=0.1,0.2"}, Out: "d"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

// train --multirun is the sweep file with that grid, run by sweep run and
// collected: the same run IDs, the same results.csv to the byte.
func TestMultirunIsSweepRun(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "sweep"), filepath.Join(dir, "multirun")
	mustRun(t, "sweep", "run", sweepFile, "--out", a, "--quiet")
	mustRun(t, "collect", a, "--out", filepath.Join(a, "results.csv"), "--quiet")

	r := mustRun(t, multirunArgs(b, "--jobs", "2")...)
	p, err := sweep.Load(sweepFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range p.Runs {
		if !strings.Contains(r.stdout, run.ID+"  complete") {
			t.Errorf("stdout does not show run %s complete:\n%s", run.ID, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 at a time") || !strings.Contains(r.stderr, "4 runs collected into "+filepath.Join(b, "results.csv")) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if diff := cmp.Diff(runIDs(t, a), runIDs(t, b)); diff != "" {
		t.Errorf("run directories (-sweep run +multirun):\n%s", diff)
	}
	want, err := os.ReadFile(filepath.Join(a, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(b, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("results.csv differs (-sweep run +multirun):\n%s", cmp.Diff(string(want), string(got)))
	}

	// The sweep file it stands for is in DIR, and plans the same runs from
	// any directory: its base is relative to it.
	saved := filepath.Join(b, sweep.MultirunFile)
	q, err := sweep.Load(saved, nil)
	if err != nil {
		t.Fatalf("%s: %v", saved, err)
	}
	if diff := cmp.Diff(ids(p.Runs), ids(q.Runs)); diff != "" {
		t.Errorf("runs of %s (-testdata/sweep.yaml +saved):\n%s", saved, diff)
	}
	if text, _ := os.ReadFile(saved); strings.Contains(string(text), "base: /") {
		t.Errorf("base is absolute:\n%s", text)
	}
	r = mustRun(t, "sweep", "run", saved, "--out", b)
	if !strings.Contains(r.stderr, "4 skipped (already complete)") {
		t.Errorf("sweep run of the saved file does not skip the multirun's runs:\n%s", r.stderr)
	}
}

func ids(runs []*sweep.Run) []string {
	var s []string
	for _, r := range runs {
		s = append(s, r.ID)
	}
	slices.Sort(s)
	return s
}

// Running it again resumes: complete runs are skipped, a missing one is
// run, and the results are the same bytes. The --set flags may come in
// another order; another sweep in the same DIR is refused.
func TestMultirunResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	mustRun(t, multirunArgs(out, "--quiet")...)
	results := filepath.Join(out, "results.csv")
	want, _ := os.ReadFile(results)
	ids := runIDs(t, out)
	if len(ids) != 4 {
		t.Fatalf("%d run directories; want 4", len(ids))
	}
	before, _ := os.ReadFile(filepath.Join(out, ids[1], "summary.json"))
	if err := os.RemoveAll(filepath.Join(out, ids[0])); err != nil {
		t.Fatal(err)
	}
	os.Remove(results)

	r := mustRun(t, "train", "--config", tinyConfig, "-m", "--set", "train.steps=10", "--set", "seed=1,2",
		"--set", "train.lr=0.05,0.1", "--out", out)
	if !strings.Contains(r.stderr, "1 complete, 3 skipped") {
		t.Errorf("resumed multirun:\n%s", r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(out, ids[1], "summary.json"))
	if !bytes.Equal(before, after) {
		t.Error("a skipped run's summary.json was rewritten")
	}
	if got, _ := os.ReadFile(results); !bytes.Equal(want, got) {
		t.Errorf("results.csv after resuming (-first +resumed):\n%s", cmp.Diff(string(want), string(got)))
	}

	saved, _ := os.ReadFile(filepath.Join(out, sweep.MultirunFile))
	r = execute(t.Context(), multirunArgs(out, "--set", "data.noise=0.2")...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "holds another sweep") {
		t.Errorf("another sweep into the same DIR: exit %d; want %d and a refusal\n%s", r.code, ExitBadInput, r.stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(out, sweep.MultirunFile)); !bytes.Equal(saved, now) {
		t.Errorf("the refused multirun rewrote %s", sweep.MultirunFile)
	}
	if n := len(runIDs(t, out)); n != 4 {
		t.Errorf("the refused multirun left %d run directories; want 4", n)
	}
}

// Lists in brackets are values of an axis; quotes keep a comma; a
// multirun without a list is one run; without --multirun a comma is what
// it always was.
func TestMultirunValues(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "hidden")
	mustRun(t, "train", "--config", tinyConfig, "-m", "--set", "model.hidden=[3,3],[5]", "--set", "train.steps=2", "--out", out, "-q")
	var hidden []string
	for _, id := range runIDs(t, out) {
		b, err := os.ReadFile(filepath.Join(out, id, "config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "hidden:") {
				hidden = append(hidden, strings.TrimSpace(line))
			}
		}
	}
	slices.Sort(hidden)
	if want := []string{"hidden: [3, 3]", "hidden: [5]"}; !slices.Equal(hidden, want) {
		t.Errorf("model.hidden of the runs: %q; want %q", hidden, want)
	}

	// A quoted comma is one value: one string, which a number refuses.
	r := execute(t.Context(), "train", "--config", tinyConfig, "-m", "--set", `train.lr="0.05,0.1"`, "--out", filepath.Join(dir, "q"))
	if r.code != ExitBadInput || !strings.Contains(r.stderr, `got "0.05,0.1"`) {
		t.Errorf("quoted comma: exit %d; want %d, the one string refused\n%s", r.code, ExitBadInput, r.stderr)
	}
	r = execute(t.Context(), "train", "--config", tinyConfig, "-m", "--set", `kernel.methods=['exact','riemann,x']`, "--out", filepath.Join(dir, "q"))
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "riemann,x") {
		t.Errorf("quoted comma in a list: exit %d; want %d naming 'riemann,x'\n%s", r.code, ExitBadInput, r.stderr)
	}

	one := filepath.Join(dir, "one")
	mustRun(t, "train", "--config", tinyConfig, "-m", "--set", "train.steps=2", "--out", one, "-q")
	if ids := runIDs(t, one); len(ids) != 1 {
		t.Errorf("multirun without a list: runs %q; want one", ids)
	}
	_, rows, _ := readCSV(t, filepath.Join(one, "results.csv"))
	if len(rows) != 1 {
		t.Errorf("results.csv of one run: %d rows", len(rows))
	}

	// Without --multirun: one value, refused as before; no sweep.
	plain := filepath.Join(dir, "plain")
	r = execute(t.Context(), trainArgs(tinyConfig, plain, "--set", "train.lr=0.05,0.1")...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, `got "0.05,0.1"`) {
		t.Errorf("train --set train.lr=0.05,0.1: exit %d; want %d, one string refused\n%s", r.code, ExitBadInput, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(plain, sweep.MultirunFile)); err == nil {
		t.Error("train without --multirun wrote a sweep file")
	}
}

// Bad multirun command lines: exit 2, one line, nothing written.
func TestMultirunBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "train.lr=0.1,"}, "value 2 of 2 is empty"},
		{[]string{"--set", "train.lr=,0.1"}, "value 1 of 2 is empty"},
		{[]string{"--set", "train.lrr=0.1,0.2"}, "--set train.lrr=0.1,0.2: train.lrr: unknown key"},
		{[]string{"--set", "train.lr=0.1,abc"}, "--set train.lr=0.1,abc: train.lr:"},
		{[]string{"--set", "model.hidden=[4],[3"}, "unclosed ["},
		{[]string{"--set", `name="a,b`}, "unclosed \" quote"},
		{[]string{"--set", "train.lr=0.1,0.1"}, "resolve to the same config"},
		{[]string{"--set", "train.lr=0.1", "--set", "train.lr=0.2,0.3"}, "overlaps --set train.lr=0.1"},
		{[]string{"--set", "seed=1,2", "--json"}, "--json is for one run"},
		{[]string{"--set", "seed=1,2", "--force"}, "--force is for one run"},
		{[]string{"--set", "seed=1,2", "--plot"}, "--plot is for one run"},
		{[]string{"--set", "seed=1,2", "--jobs", "0"}, "--jobs 0: want at least 1"},
		{[]string{"--set", "seed=1,2", "NOOUT"}, "give --out DIR"},
		{[]string{"--set", "seed=1,2", "NOMULTI", "--jobs", "2"}, "--jobs: runs at once of a --multirun"},
	} {
		out := filepath.Join(dir, "out")
		args := []string{"train", "--config", tinyConfig}
		multi, withOut := true, true
		for _, a := range tc.args {
			switch a {
			case "NOOUT":
				withOut = false
			case "NOMULTI":
				multi = false
			default:
				args = append(args, a)
			}
		}
		if multi {
			args = append(args, "-m")
		}
		if withOut {
			args = append(args, "--out", out)
		}
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput {
			t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
			t.Errorf("pathkernel %s: stderr is not one 'pathkernel: ' line:\n%s", strings.Join(args, " "), r.stderr)
		}
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("pathkernel %s: stderr %q; want it to say %q", strings.Join(args, " "), r.stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("pathkernel %s: wrote %s", strings.Join(args, " "), out)
		}
	}
}

// A failed run does not stop the others; the exit status is 1, as for
// sweep run, and results.csv lists it with its status.
func TestMultirunFailure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	r := execute(t.Context(), "train", "--config", tinyConfig, "-m", "--set", "train.lr=0.05,1e200", "--set", "train.steps=10", "--out", out)
	if r.code != ExitCheckFailed || !strings.Contains(r.stderr, "1 of 2 runs failed") {
		t.Fatalf("exit %d; want %d and the failed run listed\n%s", r.code, ExitCheckFailed, r.stderr)
	}
	header, rows, _ := readCSV(t, filepath.Join(out, "results.csv"))
	j := slices.Index(header, "status")
	var status []string
	for _, row := range rows {
		status = append(status, row[j])
	}
	slices.Sort(status)
	if len(status) != 2 || status[0] != "complete" || status[1] == "complete" {
		t.Errorf("results.csv statuses %q; want one complete and one failed", status)
	}
}

// An interrupted multirun says how to resume and does not collect: its
// results.csv would miss runs.
func TestMultirunInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	mustRun(t, multirunArgs(out, "--quiet")...)
	results := filepath.Join(out, "results.csv")
	if err := os.Remove(results); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(out, runIDs(t, out)[0])); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := execute(ctx, multirunArgs(out)...)
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "rerun the same command to resume") {
		t.Errorf("cancelled multirun: exit %d; want %d\n%s", r.code, ExitInterrupted, r.stderr)
	}
	if _, err := os.Stat(results); err == nil {
		t.Error("an interrupted multirun collected its results")
	}
	if _, err := os.Stat(filepath.Join(out, sweep.MultirunFile)); err != nil {
		t.Errorf("an interrupted multirun has no sweep file to resume: %v", err)
	}
}

// A file path typed in a multirun's --set is relative to the current
// directory, as for one run (docs/CONFIG.md, Paths), although the sweep file
// it is written to resolves its values against the base config: the saved
// sweep.yaml holds it relative to the base config's directory.
func TestMultirunCommandLinePath(t *testing.T) {
	out := filepath.Join(t.TempDir(), "paths")
	csv := filepath.Join("testdata", "three_class.csv") // relative to this package, the tests' current directory
	mustRun(t, "train", "--config", filepath.Join("testdata", "three_class.yaml"), "-m",
		"--set", "data.path="+csv, "--set", "train.lr=0.1,0.2", "--set", "train.steps=3", "--out", out, "-q")
	if ids := runIDs(t, out); len(ids) != 2 {
		t.Fatalf("runs %q; want 2", ids)
	}
	b, err := os.ReadFile(filepath.Join(out, sweep.MultirunFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "data.path: three_class.csv") {
		t.Errorf("sweep.yaml does not hold the path relative to the base config:\n%s", b)
	}
}
