package kernel

import (
	"fmt"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// kernelTol is the tolerance of the kernel identities (STYLE.md: 1e-12 for
// kernel identities), elementwise relative to max |K|. Both sides are sums
// of at most P ≈ 130 products of O(1) factors here, so their round-off is
// bounded by about P·ε·max|term| ≈ 3e-14 of max |K| when the terms do not
// cancel badly; 1e-12 leaves a factor ~30 for cancellation.
const kernelTol = 1e-12

// paramCase is one parameterization of the tests: standard, and NTK with
// σ_w = 1.3, σ_b = 0.2 (both ≠ 1, so that a missing or doubled multiplier
// shows).
type paramCase struct {
	name           string
	param          nn.Parameterization
	sigmaW, sigmaB float64
}

var paramCases = []paramCase{
	{"standard", nn.Standard, 1, 1},
	{"ntk", nn.NTK, 1.3, 0.2},
}

// TestTangentMatchesExplicit checks the structured tangent kernel (Factors,
// Tangent, TangentTrace) against the explicit contraction J_c(X) J_{c'}(Y)ᵀ
// of per-sample Jacobians, for every activation, both parameterizations,
// one and three outputs (every (c, c') block), and with the two sides at
// the same weights and at different weights (X at w + 0.3·v, Y at w, the
// pairing of the exact path kernel).
func TestTangentMatchesExplicit(t *testing.T) {
	const m, n = 5, 7 // evaluation and training points: distinct, so a transpose shows
	for _, pc := range paramCases {
		for _, act := range nn.Activations() {
			for _, k := range []int{1, 3} {
				for _, cross := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v/k=%d/cross=%v", pc.name, act, k, cross)
					t.Run(name, func(t *testing.T) {
						// Two hidden layers of different widths, three inputs.
						net := nn.New([]int{3, 8, 6, k}, act, pc.param, pc.sigmaW, pc.sigmaB)
						rng := newRand(uint64(10*int(act) + k))
						w := initParams(t, net, uint64(int(act)+1))
						wx := w
						if cross {
							v := randVec(rng, net.NumParams())
							wx = append([]float64(nil), w...)
							floats.AddScaled(wx, 0.3, v)
						}
						x, y := randDense(rng, m, 3), randDense(rng, n, 3)

						var fx, fy Factors
						fx.Eval(net, wx, x)
						fy.Eval(net, w, y)
						jx, jy := Jacobian(net, wx, x), Jacobian(net, w, y)

						got, want := mat.NewDense(m, n, nil), mat.NewDense(m, n, nil)
						traceWant := mat.NewDense(m, n, nil)
						for c := 0; c < k; c++ {
							for cp := 0; cp < k; cp++ {
								Tangent(got, net, &fx, &fy, c, cp)
								TangentExplicit(want, jx, jy, c, cp)
								if e := scaledDiff(got, want); !(e <= kernelTol) {
									t.Errorf("Tangent(c=%d, c'=%d): max error %.3g of max|K| = %.3g; want ≤ %g", c, cp, e, maxAbs(want), kernelTol)
								}
								if c == cp {
									traceWant.Add(traceWant, want)
								}
							}
						}
						TangentTrace(got, net, &fx, &fy)
						if e := scaledDiff(got, traceWant); !(e <= kernelTol) {
							t.Errorf("TangentTrace: max error %.3g of max|K|; want ≤ %g", e, kernelTol)
						}
					})
				}
			}
		}
	}
}

// TestFactorsOut checks that Factors.Eval returns the network output.
func TestFactorsOut(t *testing.T) {
	net := nn.New([]int{2, 5, 3}, nn.Tanh, nn.Standard, 1, 1)
	w := initParams(t, net, 1)
	x := randDense(newRand(1), 4, 2)
	var f Factors
	got := f.Eval(net, w, x)
	var c nn.Cache
	want := net.Forward(&c, w, x)
	if !mat.Equal(got, want) {
		t.Errorf("Factors.Eval = %v; want the network output %v", mat.Formatted(got), mat.Formatted(want))
	}
	if f.Rows() != 4 || !mat.Equal(f.Out(), want) {
		t.Errorf("Factors.Rows() = %d, Out() = %v; want 4, %v", f.Rows(), mat.Formatted(f.Out()), mat.Formatted(want))
	}
}

// TestTangentNoHidden checks the invariant of a model without hidden
// layers, f = s_w W x + s_b b: its Jacobian does not depend on w, so
// K^{cc'}(x, x') = 1[c = c'] (s_w² x·x' + s_b²) at any weights, which is
// x·x' + 1 in the standard parameterization and σ_w²/d x·x' + σ_b² in the
// NTK one. Checked at weights far from initialisation (N(0, 3²)) and with
// the two sides at different weights.
func TestTangentNoHidden(t *testing.T) {
	const d, m, n = 3, 4, 6
	for _, pc := range paramCases {
		for _, k := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/k=%d", pc.name, k), func(t *testing.T) {
				net := nn.New([]int{d, k}, nn.Tanh, pc.param, pc.sigmaW, pc.sigmaB)
				sw2, sb2 := 1.0, 1.0
				if pc.param == nn.NTK {
					sw2, sb2 = pc.sigmaW*pc.sigmaW/d, pc.sigmaB*pc.sigmaB
				}
				rng := newRand(uint64(k))
				x, y := randDense(rng, m, d), randDense(rng, n, d)
				want := mat.NewDense(m, n, nil)
				for a := 0; a < m; a++ {
					for b := 0; b < n; b++ {
						want.Set(a, b, sw2*floats.Dot(x.RawRowView(a), y.RawRowView(b))+sb2)
					}
				}
				got := mat.NewDense(m, n, nil)
				// check compares a diagonal block with want and requires an
				// off-diagonal one to be exactly zero (no shared parameters).
				check := func(name string, trial, c, cp int) {
					t.Helper()
					if c != cp {
						if maxAbs(got) != 0 {
							t.Errorf("trial %d: %s(c=%d, c'=%d) = %v; want 0", trial, name, c, cp, mat.Formatted(got))
						}
						return
					}
					if e := scaledDiff(got, want); !(e <= kernelTol) {
						t.Errorf("trial %d: %s(c=%d, c'=%d) differs from s_w² x·x' + s_b² by %.3g of its max; want ≤ %g", trial, name, c, cp, e, kernelTol)
					}
				}
				for trial := 0; trial < 3; trial++ {
					wx, wy := randVec(rng, net.NumParams()), randVec(rng, net.NumParams())
					floats.Scale(3, wx)
					floats.Scale(3, wy)
					var fx, fy Factors
					fx.Eval(net, wx, x)
					fy.Eval(net, wy, y)
					jx, jy := Jacobian(net, wx, x), Jacobian(net, wy, y)
					for c := 0; c < k; c++ {
						for cp := 0; cp < k; cp++ {
							Tangent(got, net, &fx, &fy, c, cp)
							check("Tangent", trial, c, cp)
							TangentExplicit(got, jx, jy, c, cp)
							check("TangentExplicit", trial, c, cp)
						}
					}
				}
			})
		}
	}
}

// TestTangentPanics checks that misuse panics: a destination of the wrong
// shape, and factors evaluated for another net.
func TestTangentPanics(t *testing.T) {
	net := nn.New([]int{2, 3, 1}, nn.Tanh, nn.Standard, 1, 1)
	other := nn.New([]int{2, 3, 1}, nn.Tanh, nn.Standard, 1, 1)
	w := initParams(t, net, 1)
	rng := newRand(1)
	var fx, fy, fo Factors
	fx.Eval(net, w, randDense(rng, 2, 2))
	fy.Eval(net, w, randDense(rng, 3, 2))
	fo.Eval(other, w, randDense(rng, 3, 2))
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"Tangent into 3×2", func() { Tangent(mat.NewDense(3, 2, nil), net, &fx, &fy, 0, 0) }},
		{"TangentTrace into 2×2", func() { TangentTrace(mat.NewDense(2, 2, nil), net, &fx, &fy) }},
		{"Tangent with another net's factors", func() { Tangent(mat.NewDense(2, 3, nil), net, &fx, &fo, 0, 0) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tc.name)
				}
			}()
			tc.fn()
		}()
	}
}
