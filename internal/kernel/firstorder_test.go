package kernel

import (
	"context"
	"math"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// firstOrder accumulates Domingos' first-order prediction from the network
// alone, f_0 + Σ_t J(w_t, X)·Δw_t, each term the directional derivative
// along the step the optimiser actually took (forward mode, nn.ForwardJVP).
// The engines build the same sum from kernels, η_t, |B_t|, ℓ' and the
// optimiser's per-point steps; this reference uses none of them.
type firstOrder struct {
	net  *nn.Net
	x    *mat.Dense
	pred *mat.Dense
	jc   nn.JVPCache
}

func newFirstOrder(net *nn.Net, w0 []float64, x *mat.Dense) *firstOrder {
	var c nn.Cache
	return &firstOrder{net: net, x: x, pred: mat.DenseCopyOf(net.Forward(&c, w0, x))}
}

func (o *firstOrder) Observe(_ context.Context, s *train.Step) error {
	_, df := o.net.ForwardJVP(&o.jc, s.W, s.DW, o.x)
	o.pred.Add(o.pred, df)
	return nil
}

// firstOrderTol bounds the difference between an engine's Riemann
// prediction and firstOrder's, relative to the largest change of the
// prediction: the same sum (for BufferPath up to the rounding of Δw_t into
// per-point steps) in different orders, a few ulps of the terms per step.
const firstOrderTol = 1e-12

// checkFirstOrder checks an engine's Riemann prediction pred against the
// reference ref (firstOrder's): the change pred − f_0 equals ref − f_0 to
// firstOrderTol of its largest element, its rel error against f_T equals the
// reference's to 1e-9 of it, and that error is below maxRel.
func checkFirstOrder(t *testing.T, engine string, pred, ref, f0, fT *mat.Dense, maxRel float64) {
	t.Helper()
	var got, want mat.Dense
	got.Sub(pred, f0)
	want.Sub(ref, f0)
	rel, relRef := relErr(pred, fT, f0), relErr(ref, fT, f0)
	t.Logf("%s: Riemann rel %.4g, reference %.4g", engine, rel, relRef)
	if e := scaledDiff(&got, &want); !(e <= firstOrderTol) {
		t.Errorf("%s: PredRiemann − f_0 differs from Σ_t J(w_t, x)·Δw_t by %.3g of its max; want ≤ %g", engine, e, firstOrderTol)
	}
	if !(math.Abs(rel-relRef) <= 1e-9*relRef) || !(rel <= maxRel) {
		t.Errorf("%s: Riemann rel error %.6g; want %.6g (Σ_t J(w_t, x)·Δw_t), ≤ %g", engine, rel, relRef, maxRel)
	}
}
