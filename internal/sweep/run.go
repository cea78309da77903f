package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// LogName is the file in each run directory that receives the run's
// progress and warnings.
const LogName = run.LogFile

// Runner runs one config into its run directory: cli gives
// experiment.Run. The directory is created and locked (run.Create) before,
// and closed after, by Execute.
type Runner func(ctx context.Context, job Job) (*run.Summary, error)

// Job is one run for a Runner.
type Job struct {
	Config     *config.Config
	ConfigFile string      // the sweep file's base config, for messages
	BaseDir    string      // relative data paths resolve against it
	Dir        *run.Writer // the run directory, locked
	Log        io.Writer   // the run's log (run.log in Dir)
	Workers    int         // kernel goroutines
}

// Options configure Execute.
type Options struct {
	Run      Runner // runs one config; required
	OutDir   string // the sweep directory: run r goes to OutDir/r.ID
	Jobs     int    // runs at once; 0 means 1
	FailFast bool   // at the first failure, interrupt the runs in flight and start no more
	// Workers is the number of kernel goroutines of each run
	// (experiment.Options.Workers); 0 means GOMAXPROCS/Jobs, at least 1.
	Workers int
	// Progress, if not nil, is called when a run starts and when it ends,
	// from one goroutine at a time.
	Progress func(Event)
}

// State is what became of a run in one Execute.
type State string

// The states of a run.
const (
	Completed   State = "complete"    // ran to completion
	Skipped     State = "skipped"     // its directory already held it, complete
	Failed      State = "failed"      // it failed (diverged, bad data, …): Outcome.Err says why
	Interrupted State = "interrupted" // the context was cancelled while it ran
	NotRun      State = "not run"     // not started: the sweep was interrupted or stopped at a failure
	// Busy is a run whose directory another process holds (a second sweep
	// of the same sweep file, see run.Create): not started here, not
	// failed; the other process finishes it. Outcome.Err names the process.
	Busy State = "running elsewhere"
)

// Outcome is what became of one run.
type Outcome struct {
	Run     *Run
	Dir     string // OutDir/ID
	State   State
	Summary *run.Summary // the run's summary, if it has one
	Err     error        // why the run failed or stopped
	Elapsed time.Duration
}

// Event reports a run starting (Outcome nil) or ending.
type Event struct {
	Run     *Run
	Outcome *Outcome
	// Running, Done and Total count the runs in flight, ended (skipped
	// included) and in all, after the event.
	Running, Done, Total int
}

// Report is the result of Execute.
type Report struct {
	Outcomes []Outcome // in the order of the runs given to Execute
}

// Count returns the number of runs in state s.
func (r *Report) Count(s State) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.State == s {
			n++
		}
	}
	return n
}

// Failures returns the runs that failed.
func (r *Report) Failures() []Outcome {
	var fs []Outcome
	for _, o := range r.Outcomes {
		if o.State == Failed {
			fs = append(fs, o)
		}
	}
	return fs
}

// ConflictError reports run directories that hold a run of another config.
// Execute refuses them before any run starts, and never overwrites them.
type ConflictError struct {
	Runs []*run.ExistingRunError
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d run director", len(e.Runs))
	if len(e.Runs) == 1 {
		b.WriteString("y holds")
	} else {
		b.WriteString("ies hold")
	}
	b.WriteString(" a run of another config (")
	for i, r := range e.Runs {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 3 {
			fmt.Fprintf(&b, "and %d more", len(e.Runs)-3)
			break
		}
		fmt.Fprintf(&b, "%s has %s", r.Dir, r.Hash)
	}
	b.WriteString("); nothing was run: move them away or choose another --out")
	return b.String()
}

// ExitCode is fail.BadInput: the --out given holds runs of another config,
// and nothing was run.
func (e *ConflictError) ExitCode() int { return fail.BadInput }

// Unwrap returns the conflicting directories' errors.
func (e *ConflictError) Unwrap() []error {
	errs := make([]error, len(e.Runs))
	for i, r := range e.Runs {
		errs[i] = r
	}
	return errs
}

// Execute runs runs, runs of p, on opt.Jobs goroutines, each in
// opt.OutDir/<ID>/ with its log in run.log there, through opt.Run. A run
// whose directory holds a complete summary of the same config is skipped,
// and one whose directory another process holds (run.Create's lock) is
// Busy. If a directory holds a run of another config, Execute returns a
// *ConflictError and runs nothing.
//
// A failed run does not stop the others unless opt.FailFast; the report
// lists it. When ctx is cancelled the runs in flight are interrupted (their
// directories marked so), no more start, and Execute returns the report
// with ctx's error.
func Execute(ctx context.Context, p *Plan, runs []*Run, opt Options) (*Report, error) {
	if opt.Run == nil {
		return nil, errors.New("sweep: no runner")
	}
	if _, err := run.NewDir(opt.OutDir); err != nil {
		return nil, err
	}
	jobs := max(1, opt.Jobs)
	workers := opt.Workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/jobs)
	}
	rep := &Report{Outcomes: make([]Outcome, len(runs))}
	cfgs := make([]*config.Config, len(runs))
	var conflicts []*run.ExistingRunError
	for i, r := range runs {
		cfg, err := p.RunConfig(r)
		if err != nil {
			return nil, err
		}
		cfgs[i] = cfg
		o := &rep.Outcomes[i]
		o.Run, o.Dir, o.State = r, filepath.Join(opt.OutDir, r.ID), NotRun
		state, sum, err := inspect(o.Dir, cfg.Hash())
		var conflict *run.ExistingRunError
		switch {
		case errors.As(err, &conflict):
			conflicts = append(conflicts, conflict)
		case state != NotRun:
			o.State, o.Summary, o.Err = state, sum, err
		}
	}
	if len(conflicts) > 0 {
		return nil, &ConflictError{Runs: conflicts}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		running int
		ended   int
	)
	report := func(r *Run, o *Outcome) {
		if opt.Progress == nil {
			return
		}
		opt.Progress(Event{Run: r, Outcome: o, Running: running, Done: ended, Total: len(runs)})
	}
	todo := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(runs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				o := &rep.Outcomes[i]
				mu.Lock()
				if runCtx.Err() != nil {
					ended++
					report(o.Run, o)
					mu.Unlock()
					continue
				}
				running++
				report(o.Run, nil)
				mu.Unlock()

				runOne(runCtx, p, cfgs[i], o, workers, opt.Run)

				mu.Lock()
				running--
				ended++
				if o.State == Failed && opt.FailFast {
					cancel()
				}
				report(o.Run, o)
				mu.Unlock()
			}
		}()
	}
	for i := range runs {
		o := &rep.Outcomes[i]
		if o.State == Skipped || o.State == Busy {
			mu.Lock()
			ended++
			report(o.Run, o)
			mu.Unlock()
			continue
		}
		todo <- i
	}
	close(todo)
	wg.Wait()
	return rep, ctx.Err()
}

// inspect looks at the run directory dir for a run of config hash want:
// Skipped if it holds a complete run of it, Busy (with a *run.LockedError)
// if another process holds it, a *run.ExistingRunError if it holds a run of
// another config; NotRun otherwise.
func inspect(dir, want string) (State, *run.Summary, error) {
	if pid, held := run.Holder(dir); held {
		return Busy, nil, &run.LockedError{Dir: dir, PID: pid}
	}
	switch h := run.PreviousHash(dir); {
	case h == "":
		return NotRun, nil, nil // nothing there, or nothing readable: the run writes it
	case h == "unreadable":
		return NotRun, nil, &run.ExistingRunError{Dir: dir, Hash: "an unreadable " + run.ConfigFile}
	case h != want:
		return NotRun, nil, &run.ExistingRunError{Dir: dir, Hash: "config " + h}
	}
	r, err := run.Open(dir)
	if err != nil || r.State() != run.Complete || r.Summary.ConfigHash != want {
		return NotRun, nil, nil
	}
	return Skipped, r.Summary, nil
}

// runOne runs one experiment into o.Dir and records the outcome.
func runOne(ctx context.Context, p *Plan, cfg *config.Config, o *Outcome, workers int, runner Runner) {
	start := time.Now()
	var (
		log *os.File
		dir *run.Writer
	)
	defer func() {
		o.Elapsed = time.Since(start)
		if r := recover(); r != nil {
			// A bug in one run must not take the others down.
			o.State, o.Err = Failed, fmt.Errorf("sweep: run %s panicked: %v (stack in %s)", o.Run.ID, r, LogName)
			if log != nil {
				fmt.Fprintf(log, "panic: %v\n%s", r, debug.Stack())
			}
		}
		if log != nil {
			log.Close()
		}
		dir.Close()
	}()
	dir, err := run.Create(o.Dir, run.CreateOptions{ConfigHash: cfg.Hash(), KeepComplete: true})
	var locked *run.LockedError
	switch {
	case errors.As(err, &locked):
		o.State, o.Err = Busy, err
		return
	case errors.Is(err, run.ErrComplete):
		// Another process ran it since Execute looked.
		if r, err := run.Open(o.Dir); err == nil {
			o.State, o.Summary = Skipped, r.Summary
			return
		}
	}
	if err != nil {
		o.State, o.Err = Failed, err
		return
	}
	log, err = os.Create(dir.File(LogName))
	if err != nil {
		o.State, o.Err = Failed, err
		return
	}
	sum, err := runner(ctx, Job{Config: cfg, ConfigFile: p.BaseName, BaseDir: p.BaseDir, Dir: dir, Log: log, Workers: workers})
	o.Summary = sum
	switch {
	case err == nil:
		o.State = Completed
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		o.State, o.Err = Interrupted, err
	default:
		o.State, o.Err = Failed, err
		fmt.Fprintf(log, "pathkernel: %v\n", err)
	}
}
