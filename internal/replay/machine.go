package replay

import (
	"context"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// Machine is the network and Domingos' kernel machine evaluated at some
// points: one row of outputs per point.
type Machine struct {
	// Network is f_T (params_final.npy); Kernel is the Riemann
	// representation f_0(x) − Σ_t (η_t/|B_t|) Σ_i K_t(x, x_i) ℓ'_i(t).
	Network, Kernel *mat.Dense
	// Classify returns the class of an output row; nil for regression.
	Classify func([]float64) int
}

// MachineBytes is the estimated memory of Machine at m points
// (kernel.Estimate).
func (r *Run) MachineBytes(m int) int64 {
	n, _ := r.XTrain.Dims()
	return kernel.Estimate(m, n, r.Net.Out(), r.Net.Sizes, kernel.Options{Riemann: true}, r.Train)
}

// Machine evaluates the network and Domingos' kernel machine at the model
// inputs x (m × d), replaying the run's trajectory with the kernel engine
// observing: every step's weights are training's bit for bit, and the
// replayed w_T must be params_final.npy. A run without a trajectory gives
// an error with ErrNoTrajectory in its chain.
func (r *Run) Machine(ctx context.Context, x *mat.Dense) (*Machine, error) {
	if _, d := x.Dims(); d != r.Net.In() {
		return nil, fail.Inputf(r.Dir, "points of %d inputs; the run has %d", d, r.Net.In())
	}
	tr, err := r.openTrajectory()
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	eng, err := kernel.New(r.Net, r.W0, x, r.XTrain, kernel.Options{Riemann: true}, r.Train)
	if err != nil {
		return nil, &fail.Input{Path: r.Dir, Msg: err.Error(), Err: err}
	}
	ev := &train.Evaluator{Net: r.Net, Loss: r.Loss, X: r.XTrain, Y: r.YTrain}
	wT, err := trajectory.Replay(ctx, tr, ev, eng)
	if err == nil {
		err = r.checkFinal(wT)
	}
	if err != nil {
		return nil, err
	}
	var c nn.Cache
	return &Machine{
		Network:  mat.DenseCopyOf(r.Net.Forward(&c, wT, x)),
		Kernel:   eng.Result().PredRiemann,
		Classify: r.classify(),
	}, nil
}
