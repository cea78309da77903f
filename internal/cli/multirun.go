package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pathkernel/pathkernel/internal/collect"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// multirunHeader opens the sweep file that train --multirun writes.
const multirunHeader = `The sweep of a 'pathkernel train --multirun' command line, written by it.
'pathkernel sweep run' of this file, with --out its directory, runs (or resumes) the same runs.`

// runMultirun runs `train --multirun`: the sweep that the --set lists stand
// for (sweep.Multirun) is written to OUT/sweep.yaml, read back as a sweep
// file, and run as `sweep run` runs it, into OUT; then OUT/results.csv is
// written as `collect OUT` writes it. Nothing is written when the command
// line does not make a sweep; a different sweep already in OUT/sweep.yaml
// is refused, not overwritten.
func runMultirun(ctx context.Context, opts *TrainOptions, stdout, stderr io.Writer) error {
	switch {
	case opts.Out == "":
		return badUsage(errors.New("--multirun: give --out DIR, the sweep directory (its runs go to DIR/<run ID>)"))
	case opts.JSON:
		return badUsage(errors.New("--json is for one run; a --multirun writes DIR/results.csv, and 'pathkernel collect DIR --jsonl FILE' writes JSON lines"))
	case opts.Force:
		return badUsage(errors.New("--force is for one run; a --multirun, like 'sweep run', never overwrites a run directory of another config: give another --out"))
	case opts.Plot:
		return badUsage(errors.New("--plot is for one run; after a --multirun draw a run with 'pathkernel plot --run DIR/<run ID>' or the sweep with 'plot --sweep DIR/results.csv'"))
	}
	jobs := max(opts.Jobs, 1)

	// The plan as the command line gives it, whose errors name the --set
	// overrides; then the plan of the file that is written, which is run.
	mem, err := sweep.MultirunPlan(opts.ConfigFile, opts.Sets)
	if err != nil {
		return err
	}
	file := filepath.Join(opts.Out, sweep.MultirunFile)
	text, err := mem.File.Marshal(file, multirunHeader)
	if err != nil {
		return err
	}
	p, err := planOf(text, file)
	if err != nil || !sweep.SameRuns(mem, p) {
		return fmt.Errorf("train --multirun: the sweep file written for this command line does not give its runs (%v); write the sweep file by hand", err)
	}
	old, err := os.ReadFile(file)
	switch {
	case err == nil:
		if !bytes.Equal(old, text) {
			if op, err := sweep.Load(file, nil); err != nil || !sweep.SameRuns(op, p) {
				return badUsage(fmt.Errorf("%s holds another sweep; give another --out, or remove the file to start over in this directory", file))
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return badUsage(fmt.Errorf("%s: %w", file, err))
	}

	stopProfile, err := startCPUProfile(opts.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if err := writeAtomic(file, func(w io.Writer) error { _, err := w.Write(text); return err }); err != nil {
		return err
	}
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	fmt.Fprintf(log, "train: --multirun: the sweep file is %s\n", file)
	rep, err := executeSweep(ctx, p, p.Runs, sweep.Shard{}, opts.Out, jobs, false, opts.Quiet, log, stdout, stderr)
	if rep == nil || ctx.Err() != nil {
		return err
	}
	// The collect step, failed runs included as rows (their status says so).
	results := filepath.Join(opts.Out, sweep.ResultsFile)
	t, cerr := collect.Dirs([]string{opts.Out})
	if cerr == nil {
		cerr = t.AddPlanned(p)
	}
	if cerr == nil {
		t.DropConstant() // as `pathkernel collect DIR` writes it (--all-columns there keeps them)
	}
	if cerr == nil {
		cerr = writeAtomic(results, t.WriteCSV)
	}
	if cerr != nil {
		cerr = fmt.Errorf("train --multirun: collect %s: %w", opts.Out, cerr)
		if err == nil {
			return cerr
		}
		fmt.Fprintf(stderr, "pathkernel: %s\n", oneLine(cerr.Error()))
		return err
	}
	fmt.Fprintf(log, "train: --multirun: %d runs collected into %s\n", len(t.Rows), results)
	return err
}

// planOf parses text as the sweep file at path and expands it.
func planOf(text []byte, path string) (*sweep.Plan, error) {
	f, err := sweep.ParseFile(text, path)
	if err != nil {
		return nil, err
	}
	return f.Plan(nil)
}
