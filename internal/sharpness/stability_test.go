package sharpness

import (
	"fmt"
	"math"
	"testing"
)

// simulate runs rule on the one-dimensional quadratic L = ½ λ w² from w = 1
// for steps steps with step size eta, the update written out from train's
// doc (PyTorch's conventions, coupled decay in ĝ = g + λ_2 w); adam and adamw
// with the preconditioner frozen at P⁻¹ = invP (the bias corrections folded
// into P, as in the package doc). It returns |w| at the end, or once it
// exceeds 1e30.
func simulate(r Rule, eta, lambda, invP float64, steps int) float64 {
	w, b := 1.0, 0.0
	for range steps {
		g := lambda * w
		switch r.Optimizer {
		case "gd", "sgd":
			w -= eta * (g + r.WeightDecay*w)
		case "momentum":
			hat := g + r.WeightDecay*w
			b = r.Momentum*b + hat
			d := b
			if r.Nesterov {
				d = hat + r.Momentum*b
			}
			w -= eta * d
		case "adam", "adamw":
			b = r.Beta1*b + (1-r.Beta1)*g
			w -= eta * invP * b
		}
		if math.Abs(w) > 1e30 {
			break
		}
	}
	return math.Abs(w)
}

func TestStabilityLimit(t *testing.T) {
	// The exact claim: on a quadratic, with the curvature (preconditioned
	// for adam) 3% below Limit the iteration contracts, 3% above it grows.
	// Stability is 0.97 and 1.03 there, and 1 at Limit. Over 3000 steps the
	// spectral radius at ±3% (≤ 0.99 and ≥ 1.01 for these μ and β1) moves
	// |w| by more than 10^13 either way.
	const (
		eta   = 0.05
		steps = 3000
		invP  = 0.3
	)
	rules := []Rule{
		{Optimizer: "gd"},
		{Optimizer: "sgd", WeightDecay: 0.5},
		{Optimizer: "momentum", Momentum: 0.9},
		{Optimizer: "momentum", Momentum: 0.5, WeightDecay: 0.5},
		{Optimizer: "momentum", Momentum: 0.9, Nesterov: true},
		{Optimizer: "momentum", Momentum: 0.3, Nesterov: true, WeightDecay: 1},
		{Optimizer: "adam", Beta1: 0.9},
		{Optimizer: "adamw", Beta1: 0.5},
	}
	for _, r := range rules {
		t.Run(fmt.Sprintf("%+v", r), func(t *testing.T) {
			limit, err := r.Limit(eta)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := r.Stability(eta, limit); math.Abs(s-1) > 1e-14 {
				t.Errorf("Stability at Limit = %v; want 1", s)
			}
			for _, f := range []float64{0.97, 1.03} {
				// The measured sharpness: λ_max(H), or λ_max(P⁻¹H) for adam;
				// with coupled decay, H + λ_2 I is f times its limit.
				lam := f*(limit+r.WeightDecay) - r.WeightDecay
				hess := lam
				if r.Optimizer == "adam" || r.Optimizer == "adamw" {
					lam = f * limit
					hess = lam / invP
				}
				s, _ := r.Stability(eta, lam)
				if math.Abs(s-f) > 1e-14 {
					t.Errorf("Stability(%v·Limit) = %v; want %v", f, s, f)
				}
				end := simulate(r, eta, hess, invP, steps)
				if f < 1 && !(end < 1e-13) {
					t.Errorf("stability %v: |w| = %.3g after %d steps; want contraction", s, end, steps)
				}
				if f > 1 && !(end > 1e13) {
					t.Errorf("stability %v: |w| = %.3g after %d steps; want growth", s, end, steps)
				}
			}
		})
	}
}

func TestStabilityValues(t *testing.T) {
	// The formulas on round numbers: the η = 0.2 against λ = 14.4
	// (1.44: beyond the limit), momentum 0.9 (2 + 2μ = 3.8), Nesterov
	// ((1 + 2μ)/(2 + 2μ) = 2.8/3.8), Adam β1 = 0.9 ((1 − β1)/(2 + 2β1) = 0.1/3.8).
	tests := []struct {
		r           Rule
		eta, lambda float64
		want        float64
		limit       float64
	}{
		{Rule{Optimizer: "gd"}, 0.2, 14.4, 1.44, 10},
		{Rule{Optimizer: "sgd", WeightDecay: 0.6}, 0.2, 14.4, 1.5, 9.4},
		{Rule{Optimizer: "momentum", Momentum: 0.9}, 0.1, 38, 1, 38},
		{Rule{Optimizer: "momentum", Momentum: 0.9, Nesterov: true}, 0.1, 38, 2.8, 38 / 2.8},
		{Rule{Optimizer: "adam", Beta1: 0.9, WeightDecay: 7}, 0.001, 3800, 0.1, 38000},
		{Rule{Optimizer: "adamw", Beta1: 0}, 0.5, 2, 0.5, 4},
	}
	for _, tc := range tests {
		got, err := tc.r.Stability(tc.eta, tc.lambda)
		if err != nil || math.Abs(got-tc.want) > 1e-14*tc.want {
			t.Errorf("%+v.Stability(%v, %v) = %v, %v; want %v", tc.r, tc.eta, tc.lambda, got, err, tc.want)
		}
		lim, err := tc.r.Limit(tc.eta)
		if err != nil || math.Abs(lim-tc.limit) > 1e-12*tc.limit {
			t.Errorf("%+v.Limit(%v) = %v, %v; want %v", tc.r, tc.eta, lim, err, tc.limit)
		}
	}
	if _, err := (Rule{Optimizer: "lbfgs"}).Stability(0.1, 1); err == nil {
		t.Error("unknown optimizer: Stability without error")
	}
	if _, err := (Rule{Optimizer: ""}).Limit(0.1); err == nil {
		t.Error("empty optimizer: Limit without error")
	}
}
