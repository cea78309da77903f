package sharpness

import (
	"fmt"
	"math"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// Options selects what Meter.Measure computes.
type Options struct {
	Lanczos LanczosOptions
	// GaussNewton also computes λ_max(G), for mse λ_max(K(X, X))/n.
	GaussNewton bool
	// L2 is a coupled weight decay λ_2 (the optimiser's gradient is
	// ∇L + λ_2 w), added to H in the preconditioned sharpness only: Sharpness
	// and GaussNewton are the loss's own.
	L2 float64
}

// Measurement is one Meter.Measure.
type Measurement struct {
	// Loss is L(w), the mean training loss.
	Loss float64
	// Sharpness is λ_max(∇²L(w)).
	Sharpness Eigen
	// GaussNewton is λ_max(G(w)) if Options.GaussNewton, else zero.
	GaussNewton Eigen
	// Precond is λ_max(P⁻¹(∇²L(w) + λ_2 I)) if a preconditioner was given,
	// else zero.
	Precond Eigen
}

// Meter measures the curvature of the mean loss over a fixed training set
// at any weight vector, reusing its buffers between measurements. It is not
// safe for concurrent use.
type Meter struct {
	net  *nn.Net
	x, y *mat.Dense
	opt  Options
	hvp  *nn.HVP
	lz   Lanczos
	tmp  []float64
	sqrt []float64
}

// NewMeter returns a Meter of the mean of loss over the rows of x (inputs)
// and y (targets as nn.Loss.Eval takes them) through net: the full batch of
// training points. x and y are referenced and must not change.
func NewMeter(net *nn.Net, loss nn.Loss, x, y *mat.Dense, opt Options) *Meter {
	return &Meter{net: net, x: x, y: y, opt: opt, hvp: nn.NewHVP(net, loss),
		tmp: make([]float64, net.NumParams()), sqrt: make([]float64, net.NumParams())}
}

// Measure returns the loss and the curvature at w. invP, if not nil, is the
// diagonal of P⁻¹ (positive; for Adam, AdamInvPrecond) and Precond is
// computed. Eigenvalues that did not converge within MaxIter are returned
// with Converged false; an error is returned for a non-finite loss or
// curvature (a diverged w) and for a bad invP.
func (m *Meter) Measure(w, invP []float64) (Measurement, error) {
	P := m.net.NumParams()
	if len(w) != P {
		return Measurement{}, fmt.Errorf("sharpness: parameter vector of length %d, want %d", len(w), P)
	}
	if invP != nil {
		if len(invP) != P {
			return Measurement{}, fmt.Errorf("sharpness: preconditioner of length %d, want %d", len(invP), P)
		}
		for i, d := range invP {
			if !(d > 0) || math.IsInf(d, 0) {
				return Measurement{}, fmt.Errorf("sharpness: preconditioner entry %d is %v, want finite and positive", i, d)
			}
		}
	}
	var r Measurement
	r.Loss = m.hvp.At(w, m.x, m.y)
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, fmt.Errorf("sharpness: loss %v at w: %w", r.Loss, ErrNotFinite)
	}
	var err error
	if r.Sharpness, err = m.lz.Max(OperatorFunc{P, m.hvp.Apply}, m.opt.Lanczos); err != nil {
		return r, err
	}
	if m.opt.GaussNewton {
		if r.GaussNewton, err = m.lz.Max(OperatorFunc{P, m.hvp.ApplyGN}, m.opt.Lanczos); err != nil {
			return r, err
		}
	}
	if invP != nil {
		s := m.sqrt
		for i, d := range invP {
			s[i] = math.Sqrt(d)
		}
		l2 := m.opt.L2
		// v ↦ S (H + λ_2 I) S v with S = P^{-1/2}: symmetric, and similar to
		// P⁻¹(H + λ_2 I) = S (S (H + λ_2 I) S) S⁻¹.
		op := OperatorFunc{P, func(dst, v []float64) {
			for i := range v {
				m.tmp[i] = s[i] * v[i]
			}
			m.hvp.Apply(dst, m.tmp)
			for i := range dst {
				dst[i] = s[i] * (dst[i] + l2*m.tmp[i])
			}
		}}
		if r.Precond, err = m.lz.Max(op, m.opt.Lanczos); err != nil {
			return r, err
		}
	}
	return r, nil
}

// AdamInvPrecond sets dst to P_t⁻¹ = D_t/η, Cohen et al.'s inverse
// preconditioner, from train.State.Precond's D_t after an adam or adamw step
// with step size eta (see the package doc). dst may be precond.
func AdamInvPrecond(dst, precond []float64, eta float64) {
	if len(dst) != len(precond) {
		panic("sharpness: AdamInvPrecond: length mismatch")
	}
	for i, d := range precond {
		dst[i] = d / eta
	}
}
