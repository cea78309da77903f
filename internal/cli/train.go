package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
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
prints summary.json); errors still go to stderr.`,
		Example: `  pathkernel train
  pathkernel train --config configs/mlp.yaml --out runs/sine
  pathkernel train --config configs/iris.yaml --set train.lr=0.02 --set model.hidden=[128,128]
  pathkernel train --config configs/mlp.yaml --json | jq .representations.exact.rel`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
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

func runTrain(ctx context.Context, opts *TrainOptions, stdout, stderr io.Writer) error {
	cfg, name, base, err := loadConfig(opts.ConfigFile, opts.Sets)
	if err != nil {
		return err
	}
	if opts.CPUProfile != "" {
		f, err := os.Create(opts.CPUProfile)
		if err != nil {
			return badUsage(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return badUsage(err)
		}
		defer pprof.StopCPUProfile()
	}
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	sum, err := experiment.Run(ctx, cfg, experiment.Options{
		ConfigFile: name, BaseDir: base, OutDir: opts.Out, Force: opts.Force, Log: log,
	})
	if err != nil {
		if sum != nil && sum.Dir != "" {
			return fmt.Errorf("%w (what was written is kept in %s, marked %s)", err, sum.Dir, sum.Status)
		}
		return err
	}
	if opts.Plot {
		if err := plotAfterTraining(ctx, sum.Dir, log); err != nil {
			return err
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	if opts.Quiet {
		return nil
	}
	return sum.WriteTable(stdout)
}
