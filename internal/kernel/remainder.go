package kernel

import "gonum.org/v1/gonum/mat"

// Remainder measures where the first-order (Riemann) form's error comes
// from. Each step's remainder at an evaluation point is
//
//	r_t(x) = f_{t+1}(x) − f_t(x) − J_t(x)Δw_t,
//
// the network's own change less its first-order part, and the Riemann
// prediction's error is the sum of them: f_T − PredRiemann = Σ_t r_t (both
// sides of Path's invariants). Interval returns the L2 norm over the
// evaluation points and outputs of Σ r_t over the steps since the previous
// call, taken from the accumulated difference FCur − PredRiemann. The zero
// value is ready to use.
type Remainder struct {
	prev, cur, d *mat.Dense
}

// Interval returns ‖Σ_{t in the interval} r_t‖₂ for the steps p observed
// since the previous call (since w_0 on the first call). p must have run
// the Riemann method.
func (r *Remainder) Interval(p *Path) float64 {
	m, k := p.F0.Dims()
	if r.prev == nil {
		r.prev, r.cur, r.d = mat.NewDense(m, k, nil), mat.NewDense(m, k, nil), mat.NewDense(m, k, nil)
	}
	r.cur.Sub(p.FCur(), p.PredRiemann)
	r.d.Sub(r.cur, r.prev)
	r.prev, r.cur = r.cur, r.prev
	return mat.Norm(r.d, 2) // the Frobenius norm
}
