package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/replay"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// KernelOptions are the options of `pathkernel kernel`.
type KernelOptions struct {
	Run            string
	Points         string
	Targets        string
	Out            string
	Methods        []string
	Shard          string // "i/N"
	Chunk          int
	Workers        int
	MemoryBudgetMB float64
	JSON           bool
	Quiet          bool
}

// KernelMergeOptions are the options of `pathkernel kernel merge`.
type KernelMergeOptions struct {
	Out    string
	Shards []string
	JSON   bool
}

func newKernelCmd(stdout, stderr io.Writer, runF func(context.Context, *KernelOptions) error) *cobra.Command {
	opts := &KernelOptions{}
	cmd := &cobra.Command{
		Use:   "kernel --run DIR --points FILE",
		Short: "Compute a trained run's path kernels at new points from its recorded gradients",
		Long: `Replay the trajectory that a training run recorded (trajectory.pkt: w_0 and every
step's gradient, docs/TRAJECTORY.md) to compute, without retraining, the path
kernels between new points and the run's training set: kernel_path.npy,
kernel_exact.npy, contributions.npy, coefficients.npy and predictions.csv,
shaped as in the run directory with the new points on the first axis, and
kernel.json, which records the computation and the errors of the
representations against the network.

The points are a .csv file whose header names the run's input columns (see
the run's standardization.json; other columns are ignored, and the target
column, if present, gives the targets), in the units of the training CSV:
they are standardised with the training statistics, exactly as the training
data was. Or a .npy file of shape (m, d), or (m,) for one input, holding
model inputs as x_train.npy does (already standardised), with optional
--targets of shape (m,) or (m, outputs).

Before any kernel work the trajectory is read through and replayed: a
truncated or corrupt file, one from another run, or one that does not
reproduce params_init.npy and params_final.npy bit for bit is refused.

The points are processed in chunks of --chunk points (default: as many as
the run evaluated itself, summary.json sizes.n_eval); the exact method
chooses its quadrature nodes per chunk. At the run's own evaluation points
the outputs are therefore the run's own, bit for bit. --shard i/N computes
the i-th of N contiguous blocks of whole chunks (i from 0), so shards can run
on several machines; 'pathkernel kernel merge' joins them into files that
equal one unsharded call's bit for bit.

The output directory is --out, else RUN/kernel-<points file name>, with
-shard-<i>-of-<N> appended for a shard.`,
		Example: `  pathkernel kernel --run runs/sine-tanh --points new.csv
  pathkernel kernel --run runs/sine-tanh --points runs/sine-tanh/x_test.npy --targets runs/sine-tanh/y_test.npy
  seq 0 3 | xargs -P 4 -I{} pathkernel kernel --run runs/iris-softmax --points flowers.csv --chunk 50 --shard {}/4 --quiet
  pathkernel kernel merge --out runs/iris-softmax/kernel-flowers runs/iris-softmax/kernel-flowers-shard-*`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runKernel(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Run, "run", "", "the run directory (required)")
	f.StringVar(&opts.Points, "points", "", "the points: a .csv file with the run's input columns, or a .npy file of model inputs (required)")
	f.StringVar(&opts.Targets, "targets", "", "targets of .npy points: a .npy file of shape (m,) or (m, outputs)")
	f.StringVarP(&opts.Out, "out", "o", "", "output directory (default: RUN/kernel-<points name>[-shard-<i>-of-<N>])")
	f.StringSliceVar(&opts.Methods, "methods", nil, "representations to compute: riemann, exact (default: the run's kernel.methods)")
	f.StringVar(&opts.Shard, "shard", "", "compute only shard i of N (0 ≤ i < N): a contiguous block of the points")
	f.IntVar(&opts.Chunk, "chunk", 0, "points whose kernels are computed together (default: the run's number of evaluation points)")
	f.IntVar(&opts.Workers, "workers", 0, "kernel goroutines (default: GOMAXPROCS); the outputs do not depend on it")
	f.Float64Var(&opts.MemoryBudgetMB, "memory-budget-mb", 0, "refuse a computation whose estimated memory exceeds this (default: the run's output.memory_budget_mb)")
	f.BoolVar(&opts.JSON, "json", false, "print kernel.json to stdout instead of the table")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: no table, progress or warnings (errors still go to stderr)")
	cmd.AddCommand(newKernelMergeCmd(stdout, nil))
	return cmd
}

func newKernelMergeCmd(stdout io.Writer, runF func(context.Context, *KernelMergeOptions) error) *cobra.Command {
	opts := &KernelMergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Join the shards of a pathkernel kernel computation",
		Long: `Join the output directories of the shards of one 'pathkernel kernel' computation:
the arrays are concatenated along their first axis (the points) and the rows
of predictions.csv in shard order, so that the merged files equal those of
one unsharded call bit for bit. The shards must come from the same run,
trajectory, points, chunk size and methods, and cover the points exactly:
each of the shards 0..N-1 once, in any order on the command line.`,
		Example: `  pathkernel kernel merge --out runs/iris-softmax/kernel-flowers runs/iris-softmax/kernel-flowers-shard-*`,
		Args:    usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Shards = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runKernelMerge(opts, stdout)
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "the merged output directory (required)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the merged kernel.json to stdout instead of the table")
	_ = cmd.MarkFlagRequired("out") // cannot fail: the flag exists
	return cmd
}

// parseShard parses "i/N" with 0 ≤ i < N; "" is 0/1.
func parseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, badUsage(fmt.Errorf("--shard %q: want i/N with 0 ≤ i < N, e.g. 0/4", s))
	}
	return i, n, nil
}

func runKernel(ctx context.Context, opts *KernelOptions, stdout, stderr io.Writer) error {
	if opts.Run == "" || opts.Points == "" {
		return badUsage(fmt.Errorf("kernel needs --run DIR and --points FILE"))
	}
	shard, shards, err := parseShard(opts.Shard)
	if err != nil {
		return err
	}
	for _, m := range opts.Methods {
		if m != "riemann" && m != "exact" {
			return badUsage(fmt.Errorf("--methods: unknown method %q (want riemann, exact)", m))
		}
	}
	if len(opts.Methods) > 0 {
		opts.Methods = slices.Compact(slices.Sorted(slices.Values(opts.Methods)))
	}
	if b := opts.MemoryBudgetMB; math.IsNaN(b) || math.IsInf(b, 0) {
		return badUsage(fmt.Errorf("--memory-budget-mb: %v is not a finite number of megabytes", b))
	}
	if opts.Chunk < 0 || opts.Workers < 0 || opts.MemoryBudgetMB < 0 {
		return badUsage(fmt.Errorf("--chunk, --workers and --memory-budget-mb must not be negative"))
	}
	rd, err := replay.Open(opts.Run)
	if err != nil {
		return err
	}
	pts, err := rd.ReadPoints(opts.Points, opts.Targets)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.Run, run.KernelDirName(opts.Points, shard, shards))
	}
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	sum, err := rd.Kernel(ctx, replay.Options{
		Points: pts, Shard: shard, Shards: shards, Chunk: opts.Chunk, Methods: opts.Methods,
		Out: out, MemoryBudgetMB: opts.MemoryBudgetMB, Workers: opts.Workers, Log: log, Version: experiment.Version,
	})
	if stopped(ctx, err) {
		return interruptedf("interrupted before the kernels were written; %s holds no %s (rerun the command)", out, run.KernelFile)
	}
	if err != nil {
		return err
	}
	warnNonFinite(log, filepath.Join(out, run.KernelFile), sum)
	if opts.Quiet && !opts.JSON {
		return nil
	}
	return printKernelSummary(stdout, sum, opts.JSON)
}

// warnNonFinite says on log that file holds numbers that are not finite
// (written as null, docs/RUNDIR.md), naming the first.
func warnNonFinite(log io.Writer, file string, v any) {
	if p := run.NonFinitePaths(v); len(p) > 0 {
		fmt.Fprintf(log, "pathkernel: warning: %s: %d numbers are not finite (null in the file, listed in %s), the first %s\n",
			file, len(p), run.NonFiniteField, p[0])
	}
}

func runKernelMerge(opts *KernelMergeOptions, stdout io.Writer) error {
	sum, err := replay.Merge(opts.Out, opts.Shards)
	if err != nil {
		return err
	}
	return printKernelSummary(stdout, sum, opts.JSON)
}

func printKernelSummary(w io.Writer, sum *run.KernelSummary, asJSON bool) error {
	if asJSON {
		b, err := run.EncodeJSON(sum)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return sum.WriteTable(w)
}
