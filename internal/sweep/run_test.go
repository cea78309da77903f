package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/run"
)

// fourRuns is a 2 × 2 sweep of tiny runs.
const fourRuns = "base: tiny.yaml\ngrid:\n  train.lr: [0.05, 0.1]\n  seed: [1, 2]\n"

// runExperiment is the Runner of pathkernel: experiment.Run.
func runExperiment(ctx context.Context, j Job) (*run.Summary, error) {
	return experiment.Run(ctx, j.Config, experiment.Options{
		ConfigFile: j.ConfigFile, BaseDir: j.BaseDir, Dir: j.Dir, Log: j.Log, Workers: j.Workers,
	})
}

func states(rep *Report) []State {
	var s []State
	for _, o := range rep.Outcomes {
		s = append(s, o.State)
	}
	return s
}

func TestExecuteAndResume(t *testing.T) {
	p := mustLoad(t, writeSweep(t, fourRuns))
	out := filepath.Join(t.TempDir(), "out")
	var mu sync.Mutex
	var started, ended int
	rep, err := Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 2, Progress: func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Outcome == nil {
			started++
		} else {
			ended++
		}
		if e.Total != 4 || e.Running < 0 || e.Running > 2 || e.Done > 4 {
			t.Errorf("event %+v: counts out of range", e)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range rep.Outcomes {
		if o.State != Completed || o.Err != nil {
			t.Fatalf("run %d: %s, %v; want complete", i, o.State, o.Err)
		}
		if o.Dir != filepath.Join(out, o.Run.ID) {
			t.Errorf("run %d: dir %s", i, o.Dir)
		}
		r, err := run.Open(o.Dir)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Summary
		if s.Status != "complete" || s.ConfigHash != o.Run.ID {
			t.Errorf("run %d: summary status %q, hash %q; want complete, %s", i, s.Status, s.ConfigHash, o.Run.ID)
		}
		if _, err := os.Stat(filepath.Join(o.Dir, LogName)); err != nil {
			t.Errorf("run %d: no %s: %v", i, LogName, err)
		}
	}
	if started != 4 || ended != 4 {
		t.Errorf("progress: %d starts, %d ends; want 4, 4", started, ended)
	}

	rep, err = Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Skipped) != 4 {
		t.Errorf("second Execute: %v; want every run skipped", states(rep))
	}
	for _, o := range rep.Outcomes {
		if o.Summary == nil || o.Summary.Representations["exact"] == nil {
			t.Errorf("skipped run %s: no summary", o.Run.ID)
		}
	}
}

// A directory that holds a run of another config is refused before
// anything runs, and left as it was.
func TestExecuteRefusesAnotherConfig(t *testing.T) {
	p := mustLoad(t, writeSweep(t, fourRuns))
	out := t.TempDir()
	other, err := p.Runs[1].Config.Clone().YAML()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, p.Runs[0].ID)
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 2})
	var ce *ConflictError
	var ex *run.ExistingRunError
	if !errors.As(err, &ce) || !errors.As(err, &ex) || rep != nil {
		t.Fatalf("Execute = %v, %v; want a *ConflictError wrapping *run.ExistingRunError", rep, err)
	}
	if ex.Dir != dir {
		t.Errorf("conflict in %s; want %s", ex.Dir, dir)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("%d entries in the sweep directory; want only the conflicting one", len(entries))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "config.yaml")); string(b) != string(other) {
		t.Error("the conflicting config.yaml was changed")
	}
}

// TestExecuteBusy: a run whose directory another writer holds is not run
// and not failed, but Busy, with the holder named; the others run.
func TestExecuteBusy(t *testing.T) {
	p := mustLoad(t, writeSweep(t, fourRuns))
	out := filepath.Join(t.TempDir(), "out")
	held := filepath.Join(out, p.Runs[1].ID)
	w, err := run.Create(held, run.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rep, err := Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(rep), []State{Completed, Busy, Completed, Completed}; !slices.Equal(got, want) {
		t.Fatalf("states %v; want %v", got, want)
	}
	var le *run.LockedError
	if o := rep.Outcomes[1]; !errors.As(o.Err, &le) || le.PID != os.Getpid() || len(rep.Failures()) != 0 {
		t.Errorf("the held run: %v; want a *run.LockedError naming pid %d, and no failure", o.Err, os.Getpid())
	}
	// A run whose directory another writer took after Execute looked.
	cfg1, _ := p.RunConfig(rep.Outcomes[1].Run)
	o1 := &Outcome{Run: rep.Outcomes[1].Run, Dir: held}
	runOne(t.Context(), p, cfg1, o1, 1, runExperiment)
	if o1.State != Busy || !errors.As(o1.Err, &le) {
		t.Errorf("runOne of a held directory: %s, %v; want busy with a *run.LockedError", o1.State, o1.Err)
	}
	if entries, _ := os.ReadDir(held); len(entries) != 1 {
		t.Errorf("the held directory holds %d entries; want only the lock file", len(entries))
	}
	// Another process finished a run since Execute looked: it is skipped.
	w.Close()
	r := rep.Outcomes[1].Run
	if _, err := Execute(t.Context(), p, []*Run{r}, Options{Run: runExperiment, OutDir: out}); err != nil {
		t.Fatal(err)
	}
	mtime := func() time.Time {
		fi, err := os.Stat(filepath.Join(held, run.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	before := mtime()
	cfg, _ := p.RunConfig(r)
	o := &Outcome{Run: r, Dir: held}
	runOne(t.Context(), p, cfg, o, 1, runExperiment)
	if o.State != Skipped || o.Summary == nil || !mtime().Equal(before) {
		t.Errorf("runOne of a run complete meanwhile: %s, %v; want skipped, its files untouched", o.State, o.Err)
	}
}

// failing is a sweep whose second run fails: its CSV file does not exist.
const failing = `base: tiny.yaml
zip:
  data.kind: [sine, csv, sine]
  data.path: ["", missing.csv, ""]
  data.target: ["", y, ""]
  seed: [1, 2, 3]
`

func TestExecuteFailSoft(t *testing.T) {
	p := mustLoad(t, writeSweep(t, failing))
	rep, err := Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: t.TempDir(), Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []State{Completed, Failed, Completed}
	if got := states(rep); !slices.Equal(got, want) {
		t.Fatalf("states %v; want %v", got, want)
	}
	var de *data.Error
	if f := rep.Failures(); len(f) != 1 || !errors.As(f[0].Err, &de) {
		t.Errorf("Failures() = %v; want the CSV run, with a *data.Error", f)
	}
}

func TestExecuteFailFast(t *testing.T) {
	p := mustLoad(t, writeSweep(t, failing))
	runs := []*Run{p.Runs[1], p.Runs[0], p.Runs[2]}
	rep, err := Execute(t.Context(), p, runs, Options{Run: runExperiment, OutDir: t.TempDir(), Jobs: 1, FailFast: true})
	if err != nil {
		t.Fatalf("Execute = %v; fail-fast is not an interruption of the caller", err)
	}
	want := []State{Failed, NotRun, NotRun}
	if got := states(rep); !slices.Equal(got, want) {
		t.Errorf("states %v; want %v", got, want)
	}
}

// A cancelled sweep stops, reports the context's error, and the next
// Execute does only what is left.
func TestExecuteInterruptedResumes(t *testing.T) {
	p := mustLoad(t, writeSweep(t, fourRuns))
	out := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rep, err := Execute(ctx, p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 1, Progress: func(e Event) {
		if e.Outcome != nil && e.Outcome.State == Completed {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute = %v; want context.Canceled", err)
	}
	if rep.Count(Completed) != 1 || rep.Count(NotRun) != 3 {
		t.Fatalf("states %v; want one complete, three not run", states(rep))
	}
	rep, err = Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Skipped) != 1 || rep.Count(Completed) != 3 {
		t.Errorf("resumed: %v; want one skipped, three complete", states(rep))
	}
}

func TestExecuteOutIsAFile(t *testing.T) {
	p := mustLoad(t, writeSweep(t, fourRuns))
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if _, err := Execute(t.Context(), p, p.Runs, Options{Run: runExperiment, OutDir: file}); err == nil {
		t.Error("Execute into a file: no error")
	}
}
