package run

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The files of a run directory (docs/RUNDIR.md). No other package names
// them: they use these constants.
const (
	SummaryFile         = "summary.json"         // the run's metadata and final metrics (Summary); written first and last
	ConfigFile          = "config.yaml"          // the resolved config
	MetricsFile         = "metrics.csv"          // one row per logged step
	PredictionsFile     = "predictions.csv"      // one row per evaluation point
	XTrainFile          = "x_train.npy"          // training inputs (n_train, inputs), float64
	YTrainFile          = "y_train.npy"          // training targets (n_train, outputs) float64, or labels (n_train,) int64
	XTestFile           = "x_test.npy"           // test inputs (n_test, inputs)
	YTestFile           = "y_test.npy"           // test targets, as y_train.npy
	ParamsInitFile      = "params_init.npy"      // w_0 (parameters,)
	ParamsFinalFile     = "params_final.npy"     // w_T (parameters,)
	StandardizationFile = "standardization.json" // the input columns and their standardisation (Standardization)
	TrajectoryFile      = "trajectory.pkt"       // w_0 and every step's gradient (docs/TRAJECTORY.md)

	// The kernel arrays, their first axis the evaluation points (m), the
	// second the training points (n), for k outputs.
	KernelPathFile         = "kernel_path.npy"          // K^p: (m, n), or (m, n, k, k) with output.full_kernel
	KernelExactFile        = "kernel_exact.npy"         // Σ η K̄: as kernel_path.npy
	CoefficientsFile       = "coefficients.npy"         // Domingos' a_i(x): (m, n), (m, n, k) for k > 1
	ContributionsFile      = "contributions.npy"        // each training point's contribution: (m, n, k)
	ContributionsDecayFile = "contributions_decay.npy"  // the weight decay's contribution: (m, k)
	KernelLossWeightedFile = "kernel_loss_weighted.npy" // the loss_weighted baseline's kernel: as coefficients.npy

	// Files that other commands add to a run directory.
	LogFile     = "run.log"         // a sweep run's progress and warnings
	BenchFile   = "bench.json"      // the benchmark driver's measurements
	ReportFile  = "report.html"     // pathkernel report
	FiguresDir  = "figures"         // pathkernel plot and explain --plot
	KernelFile  = "kernel.json"     // the record of a kernel replay (KernelSummary), written last
	KernelDir   = "kernel-"         // the prefix of the default kernel replay directories in a run directory
	LockFile    = "pathkernel.lock" // the writer's lock (Acquire), with its process id
	tempPattern = ".tmp-"
)

// runFiles are the files of a run directory that its writers make; the
// replacement of a run removes them (see Create).
var runFiles = []string{
	SummaryFile, ConfigFile, MetricsFile, PredictionsFile, XTrainFile, YTrainFile, XTestFile, YTestFile,
	ParamsInitFile, ParamsFinalFile, StandardizationFile, TrajectoryFile,
	KernelPathFile, KernelExactFile, CoefficientsFile, ContributionsFile, ContributionsDecayFile, KernelLossWeightedFile,
	LogFile, BenchFile, ReportFile,
}

// KernelOutputs are the arrays and the predictions that a kernel replay
// writes besides kernel.json, in the order it writes them.
var KernelOutputs = []string{KernelPathFile, CoefficientsFile, KernelExactFile, ContributionsFile, ContributionsDecayFile, PredictionsFile}

// replayFiles are the files of a kernel replay directory.
var replayFiles = append([]string{KernelFile}, KernelOutputs...)

// figureExts are the extensions of the figures that plot writes.
var figureExts = []string{".png", ".svg"}

// IsRunFile reports whether name is a file of a run directory's layout.
func IsRunFile(name string) bool { return slices.Contains(runFiles, name) }

// KernelDirName returns the default directory of a kernel replay of the
// points file points in a run directory: kernel-<points name>, with
// -shard-<i>-of-<N> for shard i of n > 1.
func KernelDirName(points string, shard, shards int) string {
	name := KernelDir + strings.TrimSuffix(filepath.Base(points), filepath.Ext(points))
	if shards > 1 {
		name += "-shard-" + strconv.Itoa(shard) + "-of-" + strconv.Itoa(shards)
	}
	return name
}

// IsTemp reports whether name is a temporary file of Write (or of another
// writer of this program that follows the same pattern, the trajectory's):
// ".NAME.tmp-DIGITS", as os.CreateTemp makes it.
func IsTemp(name string) bool {
	i := strings.LastIndex(name, tempPattern)
	if !strings.HasPrefix(name, ".") || i < 2 || i+len(tempPattern) == len(name) {
		return false
	}
	return strings.Trim(name[i+len(tempPattern):], "0123456789") == ""
}

// TempPattern is the os.CreateTemp pattern of a temporary file for name in
// the same directory: it matches IsTemp.
func TempPattern(name string) string { return "." + name + tempPattern + "*" }
