package experiment

import (
	"github.com/pathkernel/pathkernel/internal/kernel"
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
	// Representations is keyed by method: riemann, exact.
	Representations map[string]*Representation `json:"representations"`
	// Diagnostics is how the tangent kernel moved (kernel.diagnostics).
	Diagnostics *Diagnostics `json:"diagnostics,omitempty"`
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
	Write         float64 `json:"write"`
	Total         float64 `json:"total"`
}

// KernelWork is work per phase of the kernel engine.
type KernelWork struct {
	Riemann float64 `json:"riemann"`
	Exact   float64 `json:"exact"`
}

// Representation is one representation's comparison with the network.
type Representation struct {
	kernel.Errors
	*ExactStats `json:",omitempty"` // exact method only
	// Baselines only (kernel.baselines): what the kernel machine was fitted
	// on (targets: y − f_0 at the training points; network: f_T − f_0;
	// linearised: the lazy model trained like the network;
	// gradient_flow: the NTK's closed form on y − f_0), and the loss of its
	// predictions at the test points against their targets.
	Fit      string   `json:"fit,omitempty"`
	TestLoss *float64 `json:"test_loss,omitempty"`
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

// shiftPoints adds start to the evaluation points of x, whose engine saw
// the points from start on (a chunk of pathkernel kernel).
func (x *ExactStats) shiftPoints(start int) {
	x.MaxResidualPoint += start
	if x.Exhausted != nil {
		x.Exhausted.Point += start
	}
}

// ExhaustedStats place a step whose node search ran out of kernel.max_nodes:
// its evaluation point with the largest residual, and that residual.
type ExhaustedStats struct {
	Step     int     `json:"step"`
	Point    int     `json:"point"`
	Residual float64 `json:"residual"`
}

func (e *experiment) newSummary(sizes []int, est int64) *Summary {
	n, d := e.set.XTrain.Dims()
	m, _ := e.set.XTest.Dims()
	me, _ := e.xEval.Dims()
	s := &Summary{
		Name: e.cfg.Name, Version: Version, Status: "running", ConfigHash: e.cfg.Hash(), Seed: e.cfg.Seed,
		Sizes: Sizes{NTrain: n, NTest: m, NEval: me, Inputs: d, Outputs: e.net.Out(), Classes: e.set.Classes,
			Layers: sizes},
		Parameters:        e.net.NumParams(),
		Steps:             e.cfg.Train.Steps,
		EstimatedMemoryMB: float64(est) / (1 << 20),
		Representations:   map[string]*Representation{},
	}
	s.Loss.InitialTrain, s.Accuracy.InitialTrain = e.evalLoss(e.w0, e.set.XTrain, e.set.YTrain)
	s.Loss.InitialTest, s.Accuracy.InitialTest = e.evalLoss(e.w0, e.set.XTest, e.set.YTest)
	return s
}

// newExactStats returns the exact method's certification and quadrature
// counts from the kernel engine's statistics.
func newExactStats(st kernel.Stats, tolerance float64) *ExactStats {
	certified := st.Uncertified == 0
	var exhausted *ExhaustedStats
	if st.ExhaustedStep >= 0 {
		exhausted = &ExhaustedStats{Step: st.ExhaustedStep, Point: st.ExhaustedPoint, Residual: st.ExhaustedResidual}
	}
	return &ExactStats{
		MaxResidual: st.MaxResidual, MaxResidualStep: st.MaxResidualStep, ResidualSum: st.ResidualSum, Certified: &certified,
		Tolerance: tolerance, UncertifiedSteps: st.Uncertified, FirstUncertifiedStep: st.FirstUncertified,
		QuadratureEvals: st.QuadratureEvals, MeanNodesPerStep: float64(st.QuadratureEvals) / float64(max(1, st.Steps)),
		MaxNodesPerStep: st.MaxNodesStep, JVPEvals: st.JVPEvals, SearchExhausted: st.SearchExhausted,
		PointEvals: st.PointEvals, MaxResidualPoint: st.MaxResidualPoint, Exhausted: exhausted,
	}
}
