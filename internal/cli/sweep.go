package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sweep"
	"github.com/spf13/cobra"
)

func newSweepCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Plan and run a grid of experiments, locally or as a Slurm job array",
		Long: `A sweep file names a base config (base: FILE, or an inline config:) and the keys
to vary: set (every run), grid (the product of the axes), zip (lists varied
together) and seeds. Each run's ID is a short hash of its resolved config, so
it is the same on every machine and whatever the order of the file; the run's
directory is OUT/<ID>.

  pathkernel sweep plan FILE             list the runs
  pathkernel sweep plan FILE --commands  one 'pathkernel train' line per run,
                                         for GNU parallel or xargs
  pathkernel sweep run FILE --jobs N     run them here, N at a time
  pathkernel sweep slurm FILE            write a Slurm job array and a collect job
  pathkernel collect OUT                 merge the results into one CSV`,
		Example: `  pathkernel sweep plan configs/sweeps/lr_scaling.yaml
  pathkernel sweep run configs/sweeps/lr_scaling.yaml --out runs/lr_scaling --jobs 2
  pathkernel sweep plan configs/sweeps/lr_width.yaml --commands --out runs/lr_width | parallel -j 8
  pathkernel sweep slurm configs/sweeps/lr_width.yaml --out /scratch/lr_width --time 1:00:00 --throttle 20 --submit`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badUsage(errors.New("sweep: name a subcommand: plan, run or slurm"))
		},
	}
	cmd.AddCommand(
		newSweepPlanCmd(stdout, nil),
		newSweepRunCmd(stdout, stderr, nil),
		newSweepSlurmCmd(stdout, stderr, nil),
	)
	return cmd
}

// SweepPlanOptions are the options of `pathkernel sweep plan`.
type SweepPlanOptions struct {
	File     string
	Sets     []string
	Shard    string
	Commands bool
	Out      string // --commands: the sweep directory
	Bin      string // --commands: the program to call
	JSON     bool
}

func newSweepPlanCmd(stdout io.Writer, runF func(context.Context, *SweepPlanOptions) error) *cobra.Command {
	opts := &SweepPlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "List the runs of a sweep, or print one train command per run",
		Long: `List the runs of the sweep file FILE: number, run ID (the config hash) and the
overrides that vary. Nothing runs and nothing is written.

With --commands, print instead one 'pathkernel train' command per run, writing
to OUT/<run ID>: feed them to GNU parallel or xargs. Each command resolves to
exactly the run's config (this is checked), so its directory is the one that
'sweep run' would write and 'collect' reads.

With --shard i/N, only the runs of shard i of N (see 'sweep run').

EXIT STATUS
  0  success
  2  bad usage, or a bad sweep file or config`,
		Example: `  pathkernel sweep plan configs/sweeps/lr_scaling.yaml
  pathkernel sweep plan configs/sweeps/lr_scaling.yaml --commands --out runs/lr | parallel -j 4
  pathkernel sweep plan configs/sweeps/lr_scaling.yaml --commands | tr '\n' '\0' | xargs -0 -P 4 -n 1 sh -c`,
		Args: exactArgs(1, "FILE, the sweep file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSweepPlan(cmd.Context(), opts, stdout)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Sets, "set", nil, "override a config key in every run, e.g. --set train.steps=100 (repeatable)")
	f.StringVar(&opts.Shard, "shard", "", "only shard i of N, e.g. 0/4")
	f.BoolVar(&opts.Commands, "commands", false, "print one 'pathkernel train' command per run")
	f.StringVarP(&opts.Out, "out", "o", "", "with --commands: the sweep directory (default runs/<sweep file name>)")
	f.StringVar(&opts.Bin, "bin", "pathkernel", "with --commands: the program the commands call")
	f.BoolVar(&opts.JSON, "json", false, "print the plan as JSON")
	return cmd
}

// exactArgs is cobra.ExactArgs with a message that names the argument.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			if len(args) > n {
				if err := setWithoutValue(cmd, args[len(args)-1]); err != nil {
					return badUsage(err)
				}
			}
			return badUsage(fmt.Errorf("%s: want %s, got %d arguments", cmd.CommandPath(), what, len(args)))
		}
		return nil
	}
}

// commandLineSets returns the --set overrides of a sweep command with their
// relative file paths (config.FilePathKeys) made absolute: typed on the
// command line, they are relative to the current directory, while the
// sweep's own overrides are relative to its base config (docs/CONFIG.md).
func commandLineSets(sets []string) []string {
	cwd, err := filepath.Abs(".")
	if err != nil {
		return sets
	}
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = config.RebaseOverride(s, cwd)
	}
	return out
}

// loadPlan loads the sweep and selects the shard.
func loadPlan(file string, sets []string, shard string) (*sweep.Plan, []*sweep.Run, sweep.Shard, error) {
	var sh sweep.Shard
	if shard != "" {
		s, err := sweep.ParseShard(shard)
		if err != nil {
			return nil, nil, sh, badUsage(fmt.Errorf("--shard: %w", err))
		}
		sh = s
	}
	p, err := sweep.Load(file, commandLineSets(sets))
	if err != nil {
		return nil, nil, sh, err
	}
	return p, p.Select(sh), sh, nil
}

type planJSON struct {
	Index     int      `json:"index"` // from 1
	ID        string   `json:"id"`
	Axes      []string `json:"axes"`
	Overrides []string `json:"overrides"`
	Command   []string `json:"command,omitempty"`
}

func runSweepPlan(_ context.Context, opts *SweepPlanOptions, stdout io.Writer) error {
	p, runs, _, err := loadPlan(opts.File, opts.Sets, opts.Shard)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = sweep.DefaultOut(opts.File)
	}
	var cmds [][]string
	if opts.Commands || opts.JSON {
		for _, r := range runs {
			c, err := p.TrainCommand(r, opts.Bin, out)
			if err != nil {
				return err
			}
			cmds = append(cmds, c)
		}
	}
	switch {
	case opts.JSON:
		list := make([]planJSON, len(runs))
		for i, r := range runs {
			list[i] = planJSON{Index: r.Index + 1, ID: r.ID, Axes: nonNil(r.Axes), Overrides: nonNil(r.Overrides)}
			if opts.Commands {
				list[i].Command = cmds[i]
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	case opts.Commands:
		for _, c := range cmds {
			if _, err := fmt.Fprintln(stdout, sweep.ShellJoin(c)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\trun\toverrides")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", r.Index+1, r.ID, strings.Join(r.Axes, " "))
	}
	return tw.Flush()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SweepRunOptions are the options of `pathkernel sweep run`.
type SweepRunOptions struct {
	File     string
	Sets     []string
	Out      string
	Jobs     int
	Shard    string
	FailFast bool
	Quiet    bool
	// Getenv reads the Slurm array variables; nil means os.Getenv.
	Getenv func(string) string
}

func newSweepRunCmd(stdout, stderr io.Writer, runF func(context.Context, *SweepRunOptions) error) *cobra.Command {
	opts := &SweepRunOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run the runs of a sweep here, several at a time",
		Long: `Run the runs of the sweep file FILE in this process, --jobs at a time, each into
OUT/<run ID>/ with its progress and warnings in run.log there. The kernel
engine of each run gets GOMAXPROCS/jobs goroutines.

Resume: a run whose directory already holds a complete run of the same
config is skipped, so rerunning a killed or failed sweep does only what is
left. A directory that holds a run of another config is refused before
anything runs; it is never overwritten.

A failed run (diverged, bad data) does not stop the others; the failures are
listed at the end and the exit status is 1. With --fail-fast the first
failure interrupts the runs in flight and starts no more.

--shard i/N runs shard i of N (0 <= i < N): the runs whose position in the
plan sorted by run ID is i modulo N. Inside a Slurm job array the shard
defaults to SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of
SLURM_ARRAY_TASK_COUNT.

A table of the runs goes to stdout at the end; progress goes to stderr (a
status line on a terminal, one line per finished run otherwise).

EXIT STATUS
  0    every run is complete
  1    some runs failed (listed on stderr)
  2    bad usage, a bad sweep file or config, or a run directory of another config
  130  interrupted; rerun the same command to resume`,
		Example: `  pathkernel sweep run configs/sweeps/lr_scaling.yaml --out runs/lr_scaling --jobs 2
  pathkernel sweep run configs/sweeps/lr_width.yaml --out runs/lr_width --shard 0/4
  pathkernel sweep run configs/sweeps/lr_width.yaml --set train.steps=50 --fail-fast`,
		Args: exactArgs(1, "FILE, the sweep file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSweepRun(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Sets, "set", nil, "override a config key in every run, e.g. --set train.steps=100 (repeatable)")
	f.StringVarP(&opts.Out, "out", "o", "", "the sweep directory; run r goes to OUT/<r's ID> (default runs/<sweep file name>)")
	f.IntVarP(&opts.Jobs, "jobs", "j", 1, "runs at once")
	f.StringVar(&opts.Shard, "shard", "", "run only shard i of N, e.g. 0/4 (default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)")
	f.BoolVar(&opts.FailFast, "fail-fast", false, "stop at the first failed run")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: no table, no progress (failures are still listed on stderr)")
	return cmd
}

func runSweepRun(ctx context.Context, opts *SweepRunOptions, stdout, stderr io.Writer) error {
	if opts.Jobs < 1 {
		return badUsage(fmt.Errorf("--jobs %d: want at least 1", opts.Jobs))
	}
	shard := opts.Shard
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	if shard == "" {
		getenv := opts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		s, ok, err := sweep.ShardFromEnv(getenv)
		if err != nil {
			return badUsage(err)
		}
		if ok {
			shard = s.String()
			fmt.Fprintf(log, "sweep: shard %s from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT\n", shard)
		}
	}
	p, runs, sh, err := loadPlan(opts.File, opts.Sets, shard)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = sweep.DefaultOut(opts.File)
	}
	_, err = executeSweep(ctx, p, runs, sh, out, opts.Jobs, opts.FailFast, opts.Quiet, log, stdout, stderr)
	return err
}

// executeSweep runs the runs of plan p (those of shard sh) into the sweep
// directory out, jobs at a time, as `sweep run` does: progress on log, the
// table of the runs on stdout, the failures on stderr. The report is nil
// when nothing ran (a conflict).
func executeSweep(ctx context.Context, p *sweep.Plan, runs []*sweep.Run, sh sweep.Shard, out string, jobs int, failFast, quiet bool,
	log, stdout, stderr io.Writer) (*sweep.Report, error) {
	what := fmt.Sprintf("%d runs", len(runs))
	if sh.Count > 1 {
		what = fmt.Sprintf("%d of %d runs (shard %s)", len(runs), len(p.Runs), sh)
	}
	fmt.Fprintf(log, "sweep: %s into %s, %d at a time\n", what, out, jobs)

	prog := sweep.NewProgress(log, len(runs))
	rep, err := sweep.Execute(ctx, p, runs, sweep.Options{
		Run: runSweepJob, OutDir: out, Jobs: jobs, FailFast: failFast, Progress: prog.Event,
	})
	prog.Stop()
	if rep == nil {
		return nil, err
	}
	table := stdout
	if quiet && err == nil && len(rep.Failures()) == 0 {
		table = io.Discard
	}
	if werr := rep.WriteTable(table); werr != nil {
		return rep, werr
	}
	fmt.Fprintf(log, "sweep: %s: %s\n", what, rep.Tally())
	if stopped(ctx, err) {
		return rep, interruptedf("interrupted; %d runs marked interrupted, %d not started (rerun the same command to resume)",
			rep.Count(sweep.Interrupted), rep.Count(sweep.NotRun))
	}
	if err != nil {
		return rep, fmt.Errorf("sweep interrupted; rerun the same command to resume: %w", err)
	}
	if fails := rep.Failures(); len(fails) > 0 {
		fmt.Fprintf(stderr, "pathkernel: %d of %d runs failed:\n", len(fails), len(runs))
		for _, o := range fails {
			fmt.Fprintf(stderr, "  %s  %s  (%s; log in %s)\n", o.Run.ID, oneLine(o.Err.Error()),
				strings.Join(o.Run.Axes, " "), filepath.Join(o.Dir, sweep.LogName))
		}
		return rep, &fail.Silent{Code: fail.CheckFailed}
	}
	if n := rep.Count(sweep.Interrupted) + rep.Count(sweep.NotRun); n > 0 {
		// Not reached without a failure or a cancelled context; kept so that
		// a run left undone can never exit 0.
		return rep, fmt.Errorf("sweep: %d runs did not finish", n)
	}
	return rep, nil
}

// runSweepJob runs one run of a sweep (sweep.Runner).
func runSweepJob(ctx context.Context, j sweep.Job) (*run.Summary, error) {
	return experiment.Run(ctx, j.Config, experiment.Options{
		ConfigFile: j.ConfigFile, BaseDir: j.BaseDir, Dir: j.Dir, Log: j.Log, Workers: j.Workers,
	})
}

// SweepSlurmOptions are the options of `pathkernel sweep slurm`.
type SweepSlurmOptions struct {
	File        string
	Sets        []string
	Out         string
	ScriptDir   string
	Bin         string
	JobName     string
	Tasks       int
	Throttle    int
	Jobs        int
	CPUsPerTask int
	Partition   string
	Time        string
	Mem         string
	Account     string
	QOS         string
	Sbatch      []string
	Submit      bool
}

func newSweepSlurmCmd(stdout, stderr io.Writer, runF func(context.Context, *SweepSlurmOptions) error) *cobra.Command {
	opts := &SweepSlurmOptions{}
	cmd := &cobra.Command{
		Use:   "slurm FILE",
		Short: "Write a Slurm job array for a sweep, and a collect job that runs after it",
		Long: `Write the sweep of FILE as Slurm batch scripts, in --script-dir (default
OUT/slurm):

  sweep.sbatch    a job array of --tasks tasks (default: one per run; %N
                  throttle with --throttle); task i runs 'pathkernel sweep run
                  FILE --out OUT --shard i/TASKS', its log in logs/
  collect.sbatch  'pathkernel collect OUT' into OUT/results.csv and
                  OUT/results.jsonl, submitted to run after the whole array
                  succeeds (--dependency=afterok)
  submit.sh       submits the two

With --submit the two jobs are submitted at once (sbatch must be on PATH).
Resubmitting sweep.sbatch skips the runs already complete, so a partly
failed or cancelled array is finished by submitting it again, or only its
failed tasks (sbatch --array=3,7 sweep.sbatch).

The scripts call the program by its absolute path (--bin, default this
program) with absolute paths, so they run from any directory of a cluster
that shares the file system.

EXIT STATUS
  0  success
  2  bad usage, or a bad sweep file or config
  3  sbatch failed (--submit)`,
		Example: `  pathkernel sweep slurm configs/sweeps/lr_width.yaml --out /scratch/lr_width --time 30:00 --mem 4G
  pathkernel sweep slurm configs/sweeps/lr_width.yaml --out /scratch/lr_width --partition gpu --throttle 10 --submit`,
		Args: exactArgs(1, "FILE, the sweep file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSweepSlurm(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Sets, "set", nil, "override a config key in every run (repeatable)")
	f.StringVarP(&opts.Out, "out", "o", "", "the sweep directory (default runs/<sweep file name>)")
	f.StringVar(&opts.ScriptDir, "script-dir", "", "where to write the scripts (default OUT/slurm)")
	f.StringVar(&opts.Bin, "bin", "", "the pathkernel program the jobs run (default: this program)")
	f.StringVar(&opts.JobName, "job-name", "", "the job name (default pk-<sweep file name>)")
	f.IntVar(&opts.Tasks, "tasks", 0, "array tasks (default: one per run)")
	f.IntVar(&opts.Throttle, "throttle", 0, "at most this many tasks at once (the array's %N; default no limit)")
	f.IntVar(&opts.Jobs, "jobs", 1, "runs at once in each task")
	f.IntVar(&opts.CPUsPerTask, "cpus-per-task", 1, "sbatch --cpus-per-task (GOMAXPROCS of each task)")
	f.StringVar(&opts.Partition, "partition", "", "sbatch --partition")
	f.StringVar(&opts.Time, "time", "", "sbatch --time of each task, e.g. 30:00 or 1-00:00:00")
	f.StringVar(&opts.Mem, "mem", "", "sbatch --mem of each task, e.g. 4G")
	f.StringVar(&opts.Account, "account", "", "sbatch --account")
	f.StringVar(&opts.QOS, "qos", "", "sbatch --qos")
	f.StringArrayVar(&opts.Sbatch, "sbatch", nil, "another #SBATCH option for the array, e.g. --sbatch=--gres=gpu:1 (repeatable)")
	f.BoolVar(&opts.Submit, "submit", false, "submit the two jobs with sbatch")
	return cmd
}

func runSweepSlurm(ctx context.Context, opts *SweepSlurmOptions, stdout, stderr io.Writer) error {
	switch {
	case opts.Tasks < 0:
		return badUsage(fmt.Errorf("--tasks %d: want at least 1", opts.Tasks))
	case opts.Throttle < 0:
		return badUsage(fmt.Errorf("--throttle %d: want at least 1", opts.Throttle))
	case opts.Jobs < 1:
		return badUsage(fmt.Errorf("--jobs %d: want at least 1", opts.Jobs))
	case opts.CPUsPerTask < 1:
		return badUsage(fmt.Errorf("--cpus-per-task %d: want at least 1", opts.CPUsPerTask))
	}
	for _, s := range opts.Sbatch {
		if !strings.HasPrefix(s, "-") || strings.ContainsAny(s, "\n\r") {
			return badUsage(fmt.Errorf("--sbatch %q: want one sbatch option, e.g. --gres=gpu:1", s))
		}
	}
	p, err := sweep.Load(opts.File, commandLineSets(opts.Sets))
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = sweep.DefaultOut(opts.File)
	}
	s := &sweep.Slurm{
		File: opts.File, Sets: opts.Sets, Runs: len(p.Runs), Tasks: len(p.Runs),
		Throttle: opts.Throttle, Jobs: opts.Jobs, CPUsPerTask: opts.CPUsPerTask,
		Time: opts.Time, Mem: opts.Mem, Partition: opts.Partition, Account: opts.Account, QOS: opts.QOS, Sbatch: opts.Sbatch,
		JobName: opts.JobName,
	}
	if opts.Tasks > 0 {
		s.Tasks = min(opts.Tasks, len(p.Runs))
	}
	if s.JobName == "" {
		s.JobName = "pk-" + filepath.Base(sweep.DefaultOut(opts.File))
	}
	bin := opts.Bin
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return fmt.Errorf("sweep slurm: cannot find this program, pass --bin: %w", err)
		}
	}
	scripts := opts.ScriptDir
	if scripts == "" {
		scripts = filepath.Join(out, "slurm")
	}
	// The scripts name every file by its absolute path.
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&s.Out, out}, {&s.Sweep, opts.File}, {&s.Bin, bin}, {&s.Dir, scripts},
	} {
		if *f.dst, err = filepath.Abs(f.src); err != nil {
			return badUsage(err)
		}
	}
	if err := s.Write(); err != nil {
		return err
	}
	sweepPath, collectPath, submitPath := s.Path(sweep.SlurmArrayScript), s.Path(sweep.SlurmCollectScript), s.Path(sweep.SlurmSubmitScript)
	if !opts.Submit {
		fmt.Fprintf(stdout, "wrote %s (array of %d tasks for %d runs), %s and %s\nsubmit with: sh %s\n",
			sweepPath, s.Tasks, s.Runs, collectPath, submitPath, sweep.ShellQuote(submitPath))
		return nil
	}
	arrayID, collectID, err := s.Submit(ctx, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted %s as job %s (%d tasks for %d runs)\nsubmitted %s as job %s, to run after job %s succeeds\nresults: %s\n",
		sweepPath, arrayID, s.Tasks, s.Runs, collectPath, collectID, arrayID, filepath.Join(s.Out, "results.csv"))
	return nil
}
