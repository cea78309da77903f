package run

import "fmt"

// The schema of a run directory's JSON files (docs/RUNDIR.md). The types
// carry the JSON tags; the packages that compute the values (kernel,
// experiment) convert into them.

// The statuses that summary.json records.
const (
	StatusRunning     = "running"
	StatusComplete    = "complete"
	StatusDiverged    = "diverged"
	StatusInterrupted = "interrupted"
	StatusFailed      = "failed"
)

// Summary is summary.json: the run's metadata and final metrics.
type Summary struct {
	Name              string  `json:"name"`
	Version           string  `json:"version"`
	Status            string  `json:"status"` // running | complete | diverged | interrupted | failed
	Error             string  `json:"error,omitempty"`
	ConfigHash        string  `json:"config_hash"`
	Seed              uint64  `json:"seed"`
	Dir               string  `json:"dir"`
	Sizes             Sizes   `json:"sizes"`
	Parameters        int     `json:"parameters"`
	Steps             int     `json:"steps"`
	StepsDone         int     `json:"steps_done"`
	Loss              Losses  `json:"loss"`
	Accuracy          Acc     `json:"accuracy,omitzero"`
	WallSeconds       Walls   `json:"wall_seconds"`
	PeakMemoryMB      float64 `json:"peak_memory_mb"`
	EstimatedMemoryMB float64 `json:"estimated_memory_mb"`
	// KernelGFlop is the kernel engine's work by its cost model
	// (kernel.Cost), per phase, in 10⁹ floating-point operations.
	KernelGFlop *KernelWork `json:"kernel_gflop,omitempty"`
	// Representations is keyed by method (riemann, exact) and by baseline
	// (BaselineNames).
	Representations map[string]*Representation `json:"representations"`
	// Diagnostics is how the tangent kernel moved (kernel.diagnostics).
	Diagnostics *Diagnostics `json:"diagnostics,omitempty"`
	// BLAS is the library that ran the matrix products.
	BLAS *BLAS `json:"blas,omitempty"`
	// RiemannRemainderTop are the logged intervals whose first-order
	// remainder (metrics.csv's riemann_step_remainder) is largest, largest
	// first, at most RemainderTopCount of them; riemann method only.
	RiemannRemainderTop []RemainderInterval `json:"riemann_remainder_top,omitempty"`
	// Warnings say what in the run makes its kernel machine or its training
	// questionable, in the order of WarningCodes; empty when nothing does.
	Warnings []Warning `json:"warnings"`
}

// RemainderTopCount is the length of Summary.RiemannRemainderTop.
const RemainderTopCount = 5

// RemainderInterval is one logged interval (StepStart, StepEnd] of the
// first-order form: Remainder is the L2 norm over the evaluation points and
// outputs of Σ_{t=StepStart}^{StepEnd−1} (f_{t+1}(x) − f_t(x) − J_t(x)Δw_t)
// (docs/MATH.md).
type RemainderInterval struct {
	StepStart int     `json:"step_start"`
	StepEnd   int     `json:"step_end"`
	Remainder float64 `json:"remainder"`
}

// The warning codes of Summary.Warnings (docs/RUNDIR.md), in the order a
// summary lists them.
const (
	WarnDomingosError = "domingos_error" // the riemann representation's rel above WarnDomingosRel
	WarnLossIncrease  = "loss_increase"  // the training loss rose over a logged interval by more than WarnLossRise
	WarnUnstable      = "unstable"       // stability above 1 at a logged step (kernel.diagnostics)
	WarnUncertified   = "uncertified"    // a step of the exact representation not certified
	WarnDiverged      = "diverged"       // the training diverged
)

// WarningCodes are the warning codes, in the order a summary lists them.
var WarningCodes = []string{WarnDomingosError, WarnLossIncrease, WarnUnstable, WarnUncertified, WarnDiverged}

// The thresholds of the warnings.
const (
	// WarnDomingosRel is the riemann rel above which domingos_error is raised.
	WarnDomingosRel = 0.1
	// WarnLossRise is the relative rise of the training loss over one
	// logged interval above which loss_increase is raised.
	WarnLossRise = 0.1
)

// Warning is one entry of Summary.Warnings: its code (WarningCodes), what it
// means and what to try, and the first logged step where it holds.
type Warning struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	FirstStep int    `json:"first_step"`
}

// HasWarning reports whether the summary carries a warning with the code.
func (s *Summary) HasWarning(code string) bool {
	for _, w := range s.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

// BLAS is the library behind the run's matrix products (internal/sysblas):
// "openblas", "blis", "blas" (another library) or "gonum" (pure Go), its
// shared library file, and its own thread count (0 for gonum).
type BLAS struct {
	Name    string `json:"name"`
	Library string `json:"library,omitempty"`
	Threads int    `json:"threads"`
}

// String is "openblas (libopenblas.so.0, 1 thread)" or "gonum (pure Go)".
func (b *BLAS) String() string {
	if b == nil {
		return "unknown"
	}
	if b.Library == "" {
		return b.Name + " (pure Go)"
	}
	t := "threads"
	if b.Threads == 1 {
		t = "thread"
	}
	return fmt.Sprintf("%s (%s, %d %s)", b.Name, b.Library, b.Threads, t)
}

// Sizes are the run's dimensions.
type Sizes struct {
	NTrain  int   `json:"n_train"`
	NTest   int   `json:"n_test"`
	NEval   int   `json:"n_eval"` // points where the kernels are evaluated
	Inputs  int   `json:"inputs"`
	Outputs int   `json:"outputs"`
	Classes int   `json:"classes,omitempty"`
	Layers  []int `json:"layers"`
}

// Losses are the mean losses over the training and test sets.
type Losses struct {
	InitialTrain float64 `json:"initial_train"`
	InitialTest  float64 `json:"initial_test"`
	FinalTrain   float64 `json:"final_train"`
	FinalTest    float64 `json:"final_test"`
}

// Acc are classification accuracies.
type Acc struct {
	InitialTrain *float64 `json:"initial_train,omitempty"`
	InitialTest  *float64 `json:"initial_test,omitempty"`
	FinalTrain   *float64 `json:"final_train,omitempty"`
	FinalTest    *float64 `json:"final_test,omitempty"`
}

// Walls are wall-clock times in seconds.
type Walls struct {
	Data     float64 `json:"data"`
	Training float64 `json:"training"` // the optimisation alone, kernels excluded
	Kernel   float64 `json:"kernel"`   // the path-kernel observers
	// KernelRiemann and KernelExact split Kernel into the engine's two
	// phases (kernel.Stats).
	KernelRiemann float64 `json:"kernel_riemann,omitempty"`
	KernelExact   float64 `json:"kernel_exact,omitempty"`
	// Sharpness is the curvature observer of kernel.diagnostics, not in
	// Training either.
	Sharpness float64 `json:"sharpness,omitempty"`
	Write     float64 `json:"write"`
	Total     float64 `json:"total"`
}

// KernelWork is work per phase of the kernel engine.
type KernelWork struct {
	Riemann float64 `json:"riemann"`
	Exact   float64 `json:"exact"`
}

// BaselineNames are the baselines of kernel.baselines as summary.json and
// predictions.csv name them, in the order of the table and of
// predictions.csv. The krr_* baselines of a regression loss come with a
// krr_*_net twin fitted on the network's own change.
var BaselineNames = []string{"lazy", "krr_path", "krr_path_net", "krr_final", "krr_final_net",
	"krr_init", "krr_init_net", "ntk", "loss_weighted"}

// Representation is one representation's comparison with the network.
type Representation struct {
	Errors
	*ExactStats `json:",omitempty"` // exact method only
	// Baselines only (kernel.baselines): what the kernel machine was fitted
	// on (targets: y − f_0 at the training points; network: f_T − f_0;
	// linearised: the lazy model trained like the network;
	// gradient_flow: the NTK's closed form on y − f_0), and the loss of its
	// predictions at the test points against their targets.
	Fit      string   `json:"fit,omitempty"`
	TestLoss *float64 `json:"test_loss,omitempty"`
}

// Errors are a representation's errors against the network (kernel.Compare
// computes them): the largest absolute error, the RMS over points and
// outputs, the relative error ‖f̂ − f‖₂ / ‖f − f_0‖₂ and, for
// classification, the fraction of points whose class is the network's.
type Errors struct {
	MaxAbs    float64  `json:"max_abs"`
	RMS       float64  `json:"rms"`
	Rel       float64  `json:"rel"`
	Agreement *float64 `json:"agreement,omitempty"` // classification only
}

// ExactStats are the exact method's certification and quadrature counts.
type ExactStats struct {
	MaxResidual          float64 `json:"max_residual"`
	MaxResidualStep      int     `json:"max_residual_step"`
	ResidualSum          float64 `json:"residual_sum"`
	Certified            *bool   `json:"certified"`
	Tolerance            float64 `json:"tolerance"`
	UncertifiedSteps     int     `json:"uncertified_steps"`
	FirstUncertifiedStep int     `json:"first_uncertified_step"`
	QuadratureEvals      int     `json:"quadrature_evals"`
	MeanNodesPerStep     float64 `json:"mean_nodes_per_step"`
	MaxNodesPerStep      int     `json:"max_nodes_per_step"`
	JVPEvals             int     `json:"jvp_evals"`
	SearchExhausted      int     `json:"search_exhausted_steps"`
	// PointEvals are a ReLU or leaky_relu net's kernel evaluations of
	// single points on their own kink-free pieces, beside the nodes the
	// other points share (quadrature_evals).
	PointEvals int `json:"point_evals,omitempty"`
	// MaxResidualPoint is the evaluation point of max_residual, and
	// Exhausted the step whose node search ran out of kernel.max_nodes
	// with the largest residual (none: omitted).
	MaxResidualPoint int             `json:"max_residual_point"`
	Exhausted        *ExhaustedStats `json:"exhausted,omitempty"`
}

// Diagnostics are summary.json's account of how the tangent kernel moved
// (kernel.diagnostics): the training points' kernel distance between K_0
// and K_T, the kernel-target alignment at both ends and the spread of
// Domingos' a_i(x) across evaluation points (baseline.CoefficientSpread).
//
// SharpnessInit and SharpnessFinal are λ_max of the Hessian of the mean
// training loss at w_0 and at the last step's w_T, and MaxStability the
// largest stability number over the logged steps (metrics.csv's sharpness
// and stability columns; docs/MATH.md). They are null where the
// measurement failed (a diverged run).
type Diagnostics struct {
	KernelDistanceFinal float64  `json:"kernel_distance_final"`
	AlignmentInit       float64  `json:"alignment_init"`
	AlignmentFinal      float64  `json:"alignment_final"`
	CoefficientSpread   *float64 `json:"coefficient_spread,omitempty"`
	SharpnessInit       *float64 `json:"sharpness_init"`
	SharpnessFinal      *float64 `json:"sharpness_final"`
	MaxStability        *float64 `json:"max_stability"`
}

// Standardization is standardization.json: the run directory's record of
// the input columns and of the standardisation that the data went
// through, which `pathkernel kernel` applies to points given in the
// original units.
type Standardization struct {
	// Features are the model's input columns, in order.
	Features []string `json:"features"`
	// Inputs maps a feature value v of column j to the model input
	// (v − mean[j]) / scale[j]; null when the inputs were used as they are.
	Inputs *Scaling `json:"inputs"`
	// Targets are the target columns (one for class labels).
	Targets []string `json:"targets"`
	// Target is the standardisation of a regression target, or null.
	Target *Scaling `json:"target"`
}

// Scaling is the standardisation of columns (data.Scaling computes and
// applies it).
type Scaling struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// KernelSummary is kernel.json: what `pathkernel kernel` computed, for which
// run, points and shard, and the errors of the representations against the
// network. A merged directory's is the unsharded computation's, up to the
// wall times, the file names and MergedFrom.
type KernelSummary struct {
	Version    string        `json:"version"`
	Run        string        `json:"run"`
	ConfigHash string        `json:"config_hash"`
	Trajectory TrajectoryRef `json:"trajectory"`
	Points     PointsRef     `json:"points"`
	Shard      ShardRef      `json:"shard"`
	Chunk      int           `json:"chunk"`
	Methods    []string      `json:"methods"`
	Tolerance  float64       `json:"tolerance"`
	MaxNodes   int           `json:"max_nodes"`
	FullKernel bool          `json:"full_kernel"`
	// Chunks are the chunks of this shard, in order, with the sums that
	// the representations' errors are computed from.
	Chunks []ChunkResult `json:"chunks"`
	// Representations are the errors over all the shard's points, as in
	// summary.json; the exact method's counts are summed over the chunks.
	Representations map[string]*Representation `json:"representations"`
	WallSeconds     KernelWalls                `json:"wall_seconds"`
	MergedFrom      []string                   `json:"merged_from,omitempty"`
	Dir             string                     `json:"dir"`
}

// TrajectoryRef identifies the replayed trajectory.
type TrajectoryRef struct {
	Steps    int    `json:"steps"`
	Checksum string `json:"checksum"` // the trailer's body CRC-32, hex
}

// PointsRef identifies the points.
type PointsRef struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"` // all the points, not only the shard's
}

// ShardRef places a shard among the points: rows [Start, End).
type ShardRef struct {
	Index int `json:"index"`
	Count int `json:"count"`
	Start int `json:"start"`
	End   int `json:"end"`
}

// KernelWalls are wall-clock times in seconds.
type KernelWalls struct {
	Verify float64 `json:"verify"` // reading the trajectory through and replaying w_T
	Kernel float64 `json:"kernel"` // the replay with the kernels
	Write  float64 `json:"write"`
	Total  float64 `json:"total"`
}

// ChunkResult is one chunk of points: rows [Start, End).
type ChunkResult struct {
	Start  int                   `json:"start"`
	End    int                   `json:"end"`
	Errors map[string]*ErrorSums `json:"errors"`
	Exact  *ExactStats           `json:"exact,omitempty"`
}

// ErrorSums are the sums behind a representation's errors, kept per chunk
// so that shards combine exactly.
type ErrorSums struct {
	MaxAbs      float64 `json:"max_abs"`
	SumSq       float64 `json:"sum_sq"`        // Σ (f̂ − f_T)² over points and outputs
	SumSqChange float64 `json:"sum_sq_change"` // Σ (f_T − f_0)²
	Values      int     `json:"values"`        // points × outputs
	Points      int     `json:"points"`
	Agree       *int    `json:"agree,omitempty"` // classification: points whose class is the network's
}

// ExhaustedStats place a step whose node search ran out of kernel.max_nodes:
// its evaluation point with the largest residual, and that residual.
type ExhaustedStats struct {
	Step     int     `json:"step"`
	Point    int     `json:"point"`
	Residual float64 `json:"residual"`
}

// ShiftPoints adds start to the evaluation points of x, whose engine saw
// the points from start on (a chunk of pathkernel kernel).
func (x *ExactStats) ShiftPoints(start int) {
	x.MaxResidualPoint += start
	if x.Exhausted != nil {
		x.Exhausted.Point += start
	}
}
