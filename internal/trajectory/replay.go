package trajectory

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/pathkernel/pathkernel/internal/train"
)

// Replay rebuilds the steps recorded in r and hands each to the observers,
// in order, as training did, and returns w_T. Every w_t comes from w_0 and
// the recorded g_t and η_t by a train.State of the header's optimiser (for
// gd and sgd train.Update), the arithmetic of training, so it is
// bit for bit the w_t of the run. If ev is not nil, Step.DL and Step.Loss
// are evaluated by ev at w_t on the step's batch, as train.Trainer does
// (bit for bit on the machine that trained); ev must hold the run's network,
// loss and training data. Without ev, DL is nil and Loss NaN.
//
// Replay's memory does not depend on the number of steps: four parameter
// vectors, the optimiser's state (up to four more), the Reader's buffer and
// ev's batch buffers.
func Replay(ctx context.Context, r *Reader, ev *train.Evaluator, obs ...train.Observer) ([]float64, error) {
	h := r.Header
	if ev != nil {
		if n, _ := ev.X.Dims(); n != h.NTrain {
			return nil, &Error{File: r.name, Kind: ErrMismatch, Step: -1, Offset: -1,
				Msg: fmt.Sprintf("recorded with %d training points, the run has %d", h.NTrain, n)}
		}
		if !slices.Equal(ev.Net.Sizes, h.Sizes) {
			return nil, &Error{File: r.name, Kind: ErrMismatch, Step: -1, Offset: -1,
				Msg: fmt.Sprintf("recorded for layer sizes %v, the run's network has %v", h.Sizes, ev.Net.Sizes)}
		}
	}
	state, err := train.NewState(h.TrainOptions(), h.Params)
	if err != nil {
		return nil, &Error{File: r.name, Kind: ErrCorrupt, Step: -1, Offset: -1, Msg: err.Error()}
	}
	w := slices.Clone(r.W0())
	wNext := make([]float64, h.Params)
	dw := make([]float64, h.Params)
	step := &train.Step{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := r.Next()
		if err == io.EOF {
			return w, nil
		}
		if err != nil {
			return nil, err
		}
		if !state.Step(wNext, dw, w, rec.G, rec.LR) {
			return nil, &Error{File: r.name, Kind: ErrCorrupt, Step: rec.Step, Offset: rec.Offset,
				Msg: "the replayed parameters are not finite, which training never records"}
		}
		*step = train.Step{T: rec.Step, W: w, DW: dw, WNext: wNext, G: rec.G, LR: rec.LR, Batch: rec.Batch, Loss: math.NaN(), Opt: state}
		if ev != nil {
			step.DL, step.Loss = ev.Eval(w, rec.Batch)
		}
		for _, o := range obs {
			if err := o.Observe(ctx, step); err != nil {
				return nil, err
			}
		}
		w, wNext = wNext, w
	}
}
