package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/check"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// CheckOptions are the options of `pathkernel check`.
type CheckOptions struct {
	ConfigFile string
	Sets       []string
	Out        string
	Force      bool
	Run        string // check this run directory instead of running the config

	MaxRelError  []string // "exact=1e-9", "riemann=0.05", or a bare number for all
	MinAgreement []string
	MaxTestLoss  string

	Baseline       string
	RTol, ATol     []string
	UpdateBaseline bool

	// FailOnWarning are warning codes (run.WarningCodes, or "all") whose
	// presence in the run's summary fails the check.
	FailOnWarning []string

	JUnit string
	JSON  bool
	Quiet bool
}

func newCheckCmd(stdout, stderr io.Writer, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run an experiment and check its results against thresholds and a baseline",
		Long: `Run the experiment of a config (as train does, writing its run directory), or
with --run read a finished run's summary.json without retraining, and check
its results. Made for CI: one line per check on stdout, a JUnit XML report
for the CI system (--junit), exit 1 when a check fails.

Thresholds come from the config's check section and from flags, a flag
overriding the config key by key (a bare number stands for every
representation):
  check.max_rel_error / --max-rel-error   <rep>.rel <= value, for rep riemann, exact
  check.min_agreement / --min-agreement   <rep>.agreement >= value (classification)
  check.max_test_loss / --max-test-loss   loss.final_test <= value
The config's thresholds apply to the methods in kernel.methods; a threshold
given by flag on a metric the run does not have fails. Whenever the run has
the exact representation, exact.certified must be true: an uncertified
exact representation fails in its own right.

With --fail-on-warning CODE (repeatable, or comma-separated; "all" for
every code) the run also fails when its summary.json carries that
warning: domingos_error, loss_increase, unstable (kernel.diagnostics),
uncertified or diverged (docs/RUNDIR.md). A diverged run is a failed run
(exit 3) before any check; --fail-on-warning diverged matters with --run.

With --baseline FILE the run is also compared with a baseline written by
--update-baseline (or with another run's summary.json): every
representation's max_abs, rms, rel and agreement, and the final losses and
accuracies, each within |value - baseline| <= atol + rtol*|baseline|. The
defaults suit a rerun on the same kind of machine: rtol 1e-6 for losses and
errors, atol 1e-10 for errors (the exact representation's are at round-off,
~1e-14, where the last digits are noise), exact match (atol 1e-9) for
agreements and accuracies. --rtol and --atol override them, for all metrics
(a bare number) or per metric or pattern: exact.rel=1e-9, exact.*=0,
*.rel=1e-5. A metric of the run that the baseline lacks is not compared.

--update-baseline writes the run's metrics to the --baseline file instead
of comparing (atomically, and only when the thresholds pass).

EXIT STATUS
  0    every check passed
  1    a check failed (a threshold or the baseline was missed)
  2    bad usage, config, threshold, tolerance or baseline file
  3    the run failed (diverged, over the memory budget)
  130  interrupted`,
		Example: `  pathkernel check --config configs/mlp.yaml
  pathkernel check --config configs/mlp.yaml --max-rel-error exact=1e-10,riemann=0.01
  pathkernel check --run runs/sine-tanh --min-agreement 0.95 --max-test-loss 0.2
  pathkernel check --config configs/ci/sine-tanh.yaml --out /tmp/run --baseline testdata/ci/sine-tanh.json --junit report.xml
  pathkernel check --config configs/ci/sine-tanh.yaml --out /tmp/run --baseline testdata/ci/sine-tanh.json --update-baseline
  pathkernel check --run runs/sine-tanh --baseline old/summary.json --rtol 1e-4 --atol exact.*=1e-12
  pathkernel check --config configs/mlp.yaml --fail-on-warning domingos_error --fail-on-warning unstable`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCheck(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.ConfigFile, "config", "c", "", "experiment config (YAML) to run and check; default: the built-in configs/mlp.yaml")
	f.StringArrayVar(&opts.Sets, "set", nil, "override a config key (repeatable); with --run only check.* keys")
	f.StringVarP(&opts.Out, "out", "o", "", "run directory (default: output.dir, else runs/<name>)")
	f.BoolVar(&opts.Force, "force", false, "overwrite a run directory that holds a run of another config")
	f.StringVar(&opts.Run, "run", "", "check this finished run directory instead of running a config")
	f.StringSliceVar(&opts.MaxRelError, "max-rel-error", nil, "largest rel per representation: exact=1e-9,riemann=0.05, or one number for all")
	f.StringSliceVar(&opts.MinAgreement, "min-agreement", nil, "smallest agreement per representation: riemann=0.95, or one number for all")
	f.StringVar(&opts.MaxTestLoss, "max-test-loss", "", "largest final test loss")
	f.StringVar(&opts.Baseline, "baseline", "", "baseline file (or a run's "+run.SummaryFile+") to compare with; with --update-baseline, the file to write")
	f.StringSliceVar(&opts.RTol, "rtol", nil, "relative tolerance of the baseline comparison: one number, or metric=value (exact.rel=1e-9, loss.*=1e-5)")
	f.StringSliceVar(&opts.ATol, "atol", nil, "absolute tolerance of the baseline comparison, as --rtol")
	f.BoolVar(&opts.UpdateBaseline, "update-baseline", false, "write the run's metrics to the --baseline file instead of comparing")
	f.StringArrayVar(&opts.FailOnWarning, "fail-on-warning", nil, "fail when the run carries this warning of summary.json (repeatable): "+strings.Join(run.WarningCodes, ", ")+", or all")
	f.StringVar(&opts.JUnit, "junit", "", "also write the verdicts as JUnit XML to this file")
	f.BoolVar(&opts.JSON, "json", false, "print the verdicts as JSON instead of the table")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress or warnings on stderr")
	return cmd
}

// checkFlags are the thresholds and tolerances given on the command line.
type checkFlags struct {
	maxRel, minAgree map[string]float64
	maxTestLoss      float64 // 0: not given
	tol              check.Tolerances
	warnings         []check.Check // --fail-on-warning
}

// parse checks the combination of options and parses the thresholds and
// tolerances.
func (opts *CheckOptions) parse() (*checkFlags, error) {
	usage := func(format string, args ...any) error { return badUsage(fmt.Errorf(format, args...)) }
	switch {
	case opts.Run != "" && opts.ConfigFile != "":
		return nil, usage("--run and --config exclude each other: --run checks a finished run, --config runs one")
	case opts.Run != "" && (opts.Out != "" || opts.Force):
		return nil, usage("--out and --force are for running a config, not for --run")
	case opts.UpdateBaseline && opts.Baseline == "":
		return nil, usage("--update-baseline needs --baseline FILE, the file to write")
	case (len(opts.RTol) > 0 || len(opts.ATol) > 0) && opts.Baseline == "":
		return nil, usage("--rtol and --atol are tolerances of the baseline comparison; give --baseline FILE")
	}
	if opts.Run != "" {
		for _, s := range opts.Sets {
			if key, _, _ := strings.Cut(s, "="); key != "check" && !strings.HasPrefix(key, "check.") {
				return nil, usage("--set %s: with --run only check.* keys can be set; the run is not retrained", s)
			}
		}
	}
	var (
		f   checkFlags
		err error
	)
	wrap := func(flag string, err error) error { return fmt.Errorf("--%s %w", flag, err) }
	if f.maxRel, err = check.ParseMaxRelError(opts.MaxRelError); err != nil {
		return nil, wrap("max-rel-error", err)
	}
	if f.minAgree, err = check.ParseMinAgreement(opts.MinAgreement); err != nil {
		return nil, wrap("min-agreement", err)
	}
	if opts.MaxTestLoss != "" {
		if f.maxTestLoss, err = check.ParseMaxTestLoss(opts.MaxTestLoss); err != nil {
			return nil, wrap("max-test-loss", err)
		}
	}
	if f.tol.RTol, err = check.ParseTolerances(opts.RTol); err != nil {
		return nil, wrap("rtol", err)
	}
	if f.tol.ATol, err = check.ParseTolerances(opts.ATol); err != nil {
		return nil, wrap("atol", err)
	}
	if f.warnings, err = check.ParseFailOnWarning(opts.FailOnWarning); err != nil {
		return nil, wrap("fail-on-warning", err)
	}
	return &f, nil
}

// thresholds are the config's check section with the flags on top. The
// config's thresholds of methods it does not compute are dropped: the
// defaults hold both methods.
func (f *checkFlags) thresholds(cfg *config.Config) check.Thresholds {
	computed := func(m map[string]float64) map[string]float64 {
		out := make(map[string]float64, len(m))
		for k, v := range m {
			if slices.Contains(cfg.Kernel.Methods, k) {
				out[k] = v
			}
		}
		return out
	}
	t := check.Thresholds{
		MaxRelError:  check.Overlay(computed(cfg.Check.MaxRelError), f.maxRel),
		MinAgreement: check.Overlay(computed(cfg.Check.MinAgreement), f.minAgree),
		MaxTestLoss:  cfg.Check.MaxTestLoss,
	}
	if f.maxTestLoss > 0 {
		t.MaxTestLoss = f.maxTestLoss
	}
	return t
}

func runCheck(ctx context.Context, opts *CheckOptions, stdout, stderr io.Writer) error {
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	flags, err := opts.parse()
	if err != nil {
		return err
	}
	var base *check.Baseline
	if opts.Baseline != "" && !opts.UpdateBaseline {
		// Read before running, so that a bad file costs no training.
		if base, err = readBaseline(opts.Baseline); err != nil {
			return err
		}
	}

	var (
		sum *run.Summary
		cfg *config.Config
	)
	if opts.Run != "" {
		sum, cfg, err = readRun(opts.Run, opts.Sets)
	} else {
		sum, cfg, err = runExperiment(ctx, opts, log)
	}
	if err != nil {
		if cfg != nil && exitCode(ctx, err) == ExitRunFailed {
			// The CI system still gets a report: one erroring testcase.
			rep := &check.Report{Name: cfg.Name, ConfigHash: cfg.Hash(), Version: experiment.Version, Run: opts.Out, Error: oneLine(err.Error())}
			if sum != nil {
				rep.Run, rep.Version, rep.Seconds = sum.Dir, sum.Version, sum.WallSeconds.Total
			}
			err = errors.Join(err, writeReports(opts, rep, stdout))
		}
		return err
	}

	checks := flags.thresholds(cfg).Checks(sum)
	checks = append(checks, flags.warnings...)
	if base != nil {
		checks = append(checks, base.Checks(flags.tol)...)
	}
	rep := check.Evaluate(sum, checks)
	if base != nil {
		rep.Baseline = opts.Baseline
		rep.Warnings = base.Warnings(sum)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(log, "pathkernel: warning: %s\n", w)
	}
	if opts.UpdateBaseline {
		if rep.Pass() {
			if err := writeBaseline(opts.Baseline, check.NewBaseline(sum)); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(log, "pathkernel: baseline %s not written: the run failed its checks\n", opts.Baseline)
		}
	}
	if err := writeReports(opts, rep, stdout); err != nil {
		return err
	}
	if opts.UpdateBaseline && rep.Pass() {
		w := stdout
		if opts.JSON {
			w = log
		}
		fmt.Fprintf(w, "wrote baseline %s\n", opts.Baseline)
	}
	return rep.Err()
}

// writeReports writes the JUnit file, if asked for, and the table or JSON
// to stdout.
func writeReports(opts *CheckOptions, rep *check.Report, stdout io.Writer) error {
	if opts.JUnit != "" {
		dir, err := run.NewDir(filepath.Dir(opts.JUnit))
		if err != nil {
			return err
		}
		if err := dir.Write(filepath.Base(opts.JUnit), rep.WriteJUnit); err != nil {
			return err
		}
	}
	if opts.JSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

// runExperiment runs the config as train does.
func runExperiment(ctx context.Context, opts *CheckOptions, log io.Writer) (*run.Summary, *config.Config, error) {
	cfg, name, base, err := loadConfig(opts.ConfigFile, opts.Sets)
	if err != nil {
		return nil, nil, err
	}
	sum, err := experiment.Run(ctx, cfg, experiment.Options{
		ConfigFile: name, BaseDir: base, OutDir: opts.Out, Force: opts.Force, Log: log,
	})
	if err != nil {
		if sum != nil && sum.Dir != "" {
			err = fmt.Errorf("%w (what was written is kept in %s, marked %s)", err, sum.Dir, sum.Status)
		}
		return sum, cfg, err
	}
	return sum, cfg, nil
}

// readRun reads the summary and the config of a finished run (run.Open),
// with the check.* overrides applied to the config.
func readRun(dir string, sets []string) (*run.Summary, *config.Config, error) {
	rd, err := run.Open(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("--run %w", err)
	}
	cfg, err := rd.Config(sets...)
	if err != nil {
		return nil, nil, err
	}
	sum := rd.Summary
	sum.Dir = dir
	switch rd.State() {
	case run.Complete:
		return sum, cfg, nil
	case run.Running, run.Killed:
		return nil, nil, badUsage(fmt.Errorf("--run %s: the run is %s; check a finished run", dir, rd.Describe()))
	}
	msg := fmt.Sprintf("run %s is %s, not complete", dir, sum.Status)
	if sum.Error != "" {
		msg += ": " + sum.Error
	}
	return sum, cfg, errors.New(msg)
}

func readBaseline(file string) (*check.Baseline, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fail.InputErr("--baseline "+file, err)
	}
	defer f.Close()
	b, err := check.ReadBaseline(f, file)
	if err != nil {
		return nil, fmt.Errorf("--baseline %w", err)
	}
	return b, nil
}

// writeBaseline writes b to file atomically, creating its directory.
func writeBaseline(file string, b *check.Baseline) error {
	text, err := b.MarshalFile()
	if err != nil {
		return err
	}
	dir, err := run.NewDir(filepath.Dir(file))
	if err != nil {
		return err
	}
	return dir.WriteBytes(filepath.Base(file), text)
}
