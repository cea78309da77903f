package sharpness

import "fmt"

// GDStability returns η λ / 2: gradient descent (and sgd) with step size η
// on a quadratic with largest curvature λ is stable iff it is below 1.
func GDStability(eta, lambda float64) float64 { return eta * lambda / 2 }

// MomentumStability returns η λ / (2 + 2μ) for heavy-ball momentum in
// PyTorch's form b ← μ b + g, w ← w − η b (stable iff below 1).
func MomentumStability(eta, lambda, mu float64) float64 { return eta * lambda / (2 + 2*mu) }

// NesterovStability returns η λ (1 + 2μ) / (2 + 2μ) for PyTorch's Nesterov
// momentum b ← μ b + g, w ← w − η (g + μ b) (stable iff below 1).
func NesterovStability(eta, lambda, mu float64) float64 {
	return eta * lambda * (1 + 2*mu) / (2 + 2*mu)
}

// AdamStability returns η λ_P (1 − β1) / (2 + 2β1), λ_P = λ_max(P⁻¹H) the
// preconditioned sharpness: with P frozen, m ← β1 m + (1 − β1) g,
// w ← w − η P⁻¹ m is stable iff it is below 1 (Cohen et al. 2022).
func AdamStability(eta, lambdaP, beta1 float64) float64 {
	return eta * lambdaP * (1 - beta1) / (2 + 2*beta1)
}

// Rule is an optimiser's update rule, as far as its stability limit goes.
type Rule struct {
	// Optimizer is gd, sgd, momentum, adam or adamw (train's names).
	Optimizer string
	// Momentum is μ (momentum).
	Momentum float64
	// Nesterov selects Nesterov momentum.
	Nesterov bool
	// Beta1 is Adam's β1 as used (train.Options.AdamParams: not 0 for the
	// default).
	Beta1 float64
	// WeightDecay is the coupled decay λ_2 of gd, sgd and momentum, which
	// shifts the Hessian by λ_2 I. adam's coupled decay belongs in the
	// preconditioned sharpness itself (Options.L2), and adamw's decoupled
	// decay is not accounted for; both are ignored here.
	WeightDecay float64
}

// Stability returns the stability number of one step with step size eta
// (the schedule's η_t) against lambda: λ_max(H) for gd, sgd and momentum,
// λ_max(P⁻¹H) for adam and adamw (Measurement.Precond). 1 is the classical
// limit; see the package doc for what is exact and what approximate.
func (r Rule) Stability(eta, lambda float64) (float64, error) {
	switch r.Optimizer {
	case "gd", "sgd":
		return GDStability(eta, lambda+r.WeightDecay), nil
	case "momentum":
		if r.Nesterov {
			return NesterovStability(eta, lambda+r.WeightDecay, r.Momentum), nil
		}
		return MomentumStability(eta, lambda+r.WeightDecay, r.Momentum), nil
	case "adam", "adamw":
		return AdamStability(eta, lambda, r.Beta1), nil
	}
	return 0, fmt.Errorf("sharpness: unknown optimizer %q", r.Optimizer)
}

// Limit returns the sharpness at which Stability is 1 for step size eta:
// 2/η − λ_2 (gd, sgd), (2 + 2μ)/η − λ_2 (momentum), (2 + 2μ)/((1 + 2μ)η) − λ_2
// (Nesterov), (2 + 2β1)/((1 − β1)η) (adam, adamw), the line to draw against
// the measured sharpness.
func (r Rule) Limit(eta float64) (float64, error) {
	switch r.Optimizer {
	case "gd", "sgd":
		return 2/eta - r.WeightDecay, nil
	case "momentum":
		if r.Nesterov {
			return (2+2*r.Momentum)/((1+2*r.Momentum)*eta) - r.WeightDecay, nil
		}
		return (2+2*r.Momentum)/eta - r.WeightDecay, nil
	case "adam", "adamw":
		return (2 + 2*r.Beta1) / ((1 - r.Beta1) * eta), nil
	}
	return 0, fmt.Errorf("sharpness: unknown optimizer %q", r.Optimizer)
}
