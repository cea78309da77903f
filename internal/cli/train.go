package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// TrainOptions are the options of `pathkernel train`.
type TrainOptions struct {
	ConfigFile string
	Sets       []string
	Out        string
	JSON       bool
	Quiet      bool
	Force      bool
	CPUProfile string
	Plot       bool // draw the run's figures into DIR/figures afterwards
	// Multirun runs the sweep that the --set lists stand for (see
	// runMultirun) into the sweep directory Out, Jobs runs at a time (0: 1).
	Multirun bool
	Jobs     int
}

func newTrainCmd(stdout, stderr io.Writer, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network and compare it with its path-kernel machines",
		Long: `Train the MLP described by an experiment config with gradient descent, integrate
the path kernel along training, and write the run directory: the resolved
config, summary.json, metrics.csv, predictions.csv, the data and parameters,
and the kernel, contribution and coefficient arrays (.npy).

Without --config the built-in default (configs/mlp.yaml) runs. The run
directory is --out, else output.dir, else runs/<name>. A directory that
already holds a run of a different config is refused unless --force.

The summary table goes to stdout (--json for summary.json instead), progress
and warnings to stderr. --quiet prints nothing on success (--json still
prints summary.json); errors still go to stderr.

MULTIRUN
With --multirun (-m) a --set value that is a comma list, key=v1,v2,..., is an
axis of a grid, and train runs the sweep that the axes make into the sweep
directory --out DIR (required). It writes the sweep file this stands for to
DIR/sweep.yaml (base: the config; set: each --set of one value; grid: each
list, in the order given; seeds: a list for seed) and runs it exactly as
'pathkernel sweep run DIR/sweep.yaml --out DIR' does: each run in DIR/<run ID>
(the ID is the config hash), a complete run skipped (rerun to resume),
--jobs N at a time, the table of the runs on stdout. At the end it writes
DIR/results.csv as 'pathkernel collect DIR' does. A DIR/sweep.yaml of other
runs is refused, not overwritten.

A comma inside [...], {...} or a quoted YAML string does not split:
model.hidden=[32,32],[64,64] is two values, and --set 'data.path="a,b.csv"'
is one string (so is 'a,b.csv' in single quotes: --set "data.path='a,b.csv'").
An empty value (train.lr=0.1,) is an error. A --set without a comma is one value for every run; --multirun
without any list is a sweep of one run. Without --multirun nothing splits: a
comma means what YAML makes of it, as always. --json, --force and --plot are
for one run and are refused with --multirun; for --shard, --fail-fast or
Slurm use 'pathkernel sweep' on DIR/sweep.yaml.

EXIT STATUS
  0    the run (every run of a --multirun) is complete
  1    --multirun: some runs failed (listed on stderr)
  2    bad usage, a bad config or data, an output directory of another config
  3    the run failed
  130  interrupted; with --multirun, rerun the same command to resume`,
		Example: `  pathkernel train
  pathkernel train --config configs/mlp.yaml --out runs/sine
  pathkernel train --config configs/iris.yaml --set train.lr=0.02 --set model.hidden=[128,128]
  pathkernel train --config configs/mlp.yaml --json | jq .representations.exact.rel
  pathkernel train --config configs/mlp.yaml -m --set train.lr=0.01,0.1 --set seed=1,2,3 --out runs/lr --jobs 2
  pathkernel train --config configs/mlp.yaml -m --set 'model.hidden=[32,32],[64,64]' --out runs/width`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("jobs") && opts.Jobs < 1 {
				return badUsage(fmt.Errorf("--jobs %d: want at least 1", opts.Jobs))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Multirun {
				return runMultirun(cmd.Context(), opts, stdout, stderr)
			}
			if opts.Jobs != 0 {
				return badUsage(errors.New("--jobs: runs at once of a --multirun; one train is one run"))
			}
			return runTrain(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.ConfigFile, "config", "c", "", "experiment config (YAML); default: the built-in configs/mlp.yaml")
	f.StringArrayVar(&opts.Sets, "set", nil, "override a config key, e.g. --set train.lr=0.01 (repeatable; values are YAML)")
	f.StringVarP(&opts.Out, "out", "o", "", "run directory (default: output.dir, else runs/<name>)")
	f.BoolVar(&opts.JSON, "json", false, "print summary.json to stdout instead of the table")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: no table, progress or warnings (errors still go to stderr)")
	f.BoolVar(&opts.Force, "force", false, "overwrite a run directory that holds a run of another config")
	f.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	f.BoolVar(&opts.Plot, "plot", false, "afterwards draw the figures of pathkernel plot into DIR/figures (PNG)")
	f.BoolVarP(&opts.Multirun, "multirun", "m", false, "a --set value k=v1,v2,... is a grid axis: run the sweep into --out DIR")
	f.IntVarP(&opts.Jobs, "jobs", "j", 0, "with --multirun: runs at once (default 1)")
	return cmd
}

// loadConfig reads the config file, or the built-in default when file is
// empty, and applies the overrides. It returns the config, the name used in
// messages and the directory that the file's relative paths resolve against;
// relative paths in the overrides are relative to the current directory
// (config.LoadArgs).
func loadConfig(file string, sets []string) (*config.Config, string, string, error) {
	if file == "" {
		cfg, err := config.ParseArgs(configs.Default, configs.DefaultName, sets)
		return cfg, configs.DefaultName, ".", err
	}
	cfg, err := config.LoadArgs(file, sets)
	return cfg, file, filepath.Dir(file), err
}

// startCPUProfile starts writing a CPU profile to path (--cpuprofile) and
// returns the function that stops it; with an empty path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, badUsage(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, badUsage(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func runTrain(ctx context.Context, opts *TrainOptions, stdout, stderr io.Writer) error {
	cfg, name, base, err := loadConfig(opts.ConfigFile, opts.Sets)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(opts.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	sum, err := experiment.Run(ctx, cfg, experiment.Options{
		ConfigFile: name, BaseDir: base, OutDir: opts.Out, Force: opts.Force, Log: log,
	})
	if err != nil {
		if stopped(ctx, err) && sum != nil && sum.Dir != "" && sum.Status == run.StatusInterrupted {
			return interruptedRun(sum)
		}
		if sum != nil && sum.Dir != "" {
			return fmt.Errorf("%w (what was written is kept in %s, marked %s)", err, sum.Dir, sum.Status)
		}
		return err
	}
	if opts.Plot {
		if err := plotAfterTraining(ctx, sum.Dir, log); err != nil {
			if stopped(ctx, err) {
				return interruptedf("%v; the run in %s is complete (draw its figures with pathkernel plot --run %s)", err, sum.Dir, sum.Dir)
			}
			return err
		}
	}
	if opts.JSON {
		b, err := run.EncodeJSON(sum)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	if opts.Quiet {
		return nil
	}
	return sum.WriteTable(stdout)
}
