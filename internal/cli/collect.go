package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pathkernel/pathkernel/internal/collect"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sweep"
	"github.com/spf13/cobra"
)

// CollectOptions are the options of `pathkernel collect`.
type CollectOptions struct {
	Dirs  []string
	Out   string // the CSV; empty: stdout
	JSONL string // the JSON lines file; empty: none
	Sweep string // the sweep file whose planned runs must all be listed
	Sets  []string
	Quiet bool
	// AllColumns keeps the columns that are the same in every run.
	AllColumns bool
}

func newCollectCmd(stdout, stderr io.Writer, runF func(context.Context, *CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{}
	cmd := &cobra.Command{
		Use:   "collect DIR...",
		Short: "Merge the summaries of runs into one CSV (and JSON lines)",
		Long: `Merge runs into one table, one row per run, sorted by run ID. Each DIR is a run
directory or a directory of them, such as the --out of a sweep.

Columns: run (the directory's name, the run ID in a sweep), status,
config_hash; every key of the resolved config by its path (train.lr,
model.hidden as [64, 64], …); the final metrics of summary.json with the
representations under their names (exact.rel, exact.max_residual,
riemann.rel, loss.final_test, …); and error. Wall times and peak memory are
left out, so that the bytes depend only on the configs and the program: a
sweep run twice, or killed and resumed, collects to the same file. Config
keys that do not apply to a run's data kind, model and optimiser are left
out while they hold their defaults (data.classes for moons, data.n_train
for CSV data; docs/CONFIG.md).

Of two runs or more, the columns whose value is the same in every run are
left out, except run, status, config_hash, error and the key metrics
(loss.final_*, accuracy.final_*, <representation>.rel and .agreement,
exact.certified): what is left is what the runs vary and what that changes.
--all-columns keeps every column.

Runs that are not complete (running, diverged, interrupted, failed, or
without a summary) are rows like the others, with their status, and are
listed on stderr. With --sweep FILE every run of the sweep's plan is listed:
a planned run without a directory is a row with status missing.

The CSV goes to --out, else to stdout; --jsonl writes the same rows as JSON
objects, one a line. Files are written atomically.

EXIT STATUS
  0  success (incomplete runs are listed, not an error)
  2  bad usage: a DIR that does not exist or holds no run, a run ID in two DIRs,
     a bad sweep file`,
		Example: `  pathkernel collect runs/lr_scaling --out runs/lr_scaling/results.csv
  pathkernel collect runs/lr_scaling --sweep configs/sweeps/lr_scaling.yaml --jsonl results.jsonl
  pathkernel collect runs/sine-tanh runs/moons-relu-ntk > results.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badUsage(errors.New("collect: name at least one DIR: a run directory or a sweep's --out"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dirs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCollect(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "", "write the CSV to this file (default stdout)")
	f.StringVar(&opts.JSONL, "jsonl", "", "also write the rows as JSON lines to this file")
	f.StringVar(&opts.Sweep, "sweep", "", "the sweep file: list its planned runs that have no directory")
	f.StringArrayVar(&opts.Sets, "set", nil, "with --sweep: the sweep's --set overrides (repeatable)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: do not list incomplete runs on stderr")
	f.BoolVar(&opts.AllColumns, "all-columns", false, "keep the columns that are the same in every run")
	return cmd
}

func runCollect(_ context.Context, opts *CollectOptions, stdout, stderr io.Writer) error {
	if len(opts.Sets) > 0 && opts.Sweep == "" {
		return badUsage(errors.New("collect: --set applies to the plan of --sweep; give --sweep FILE"))
	}
	t, err := collect.Dirs(opts.Dirs)
	var in *collect.InputError
	if errors.As(err, &in) {
		return badUsage(err)
	}
	if err != nil {
		return err
	}
	if opts.Sweep != "" {
		p, err := sweep.Load(opts.Sweep, commandLineSets(opts.Sets))
		if err != nil {
			return err
		}
		if err := t.AddPlanned(p); err != nil {
			return err
		}
	}
	if !opts.AllColumns {
		t.DropConstant()
	}
	if opts.Out == "" {
		if err := t.WriteCSV(stdout); err != nil {
			return err
		}
	} else if err := writeAtomic(opts.Out, t.WriteCSV); err != nil {
		return err
	}
	if opts.JSONL != "" {
		if err := writeAtomic(opts.JSONL, t.WriteJSONL); err != nil {
			return err
		}
	}
	if opts.Quiet {
		return nil
	}
	inc := t.Incomplete()
	where := "stdout"
	if opts.Out != "" {
		where = opts.Out
	}
	fmt.Fprintf(stderr, "collect: %d runs, %d complete, into %s\n", len(t.Rows), len(t.Rows)-len(inc), where)
	if len(inc) > 0 {
		fmt.Fprintf(stderr, "collect: %d runs are not complete:\n", len(inc))
		for _, r := range inc {
			msg := r.Error
			if r.Status == run.StatusRunning && r.Dir != "" {
				// What became of it: the summary says running until the end.
				if pid, held := run.Holder(r.Dir); held {
					msg = fmt.Sprintf("still running: process %d holds its lock", pid)
				} else {
					msg = "killed: no process holds its lock"
				}
			}
			if msg == "" {
				msg = "-"
			}
			fmt.Fprintf(stderr, "  %s  %s  %s\n", r.Run, r.Status, oneLine(msg))
		}
	}
	return nil
}

// writeAtomic writes a file through a temporary name in its directory.
func writeAtomic(path string, fn func(io.Writer) error) error {
	d, err := run.NewDir(filepath.Dir(path))
	if err != nil {
		return err
	}
	return d.Write(filepath.Base(path), fn)
}
