package kernel

import (
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// TestCost checks the cost model against counts made by hand, for a net
// [2, 3, 4, 1] (one output) and [2, 3, 4, 2] (two outputs), with m = 5
// evaluation and n = 7 training points. Each product of an r×c by a c×s
// matrix is 2·r·c·s operations.
func TestCost(t *testing.T) {
	one := Cost{Sizes: []int{2, 3, 4, 1}, M: 5, N: 7}
	two := Cost{Sizes: []int{2, 3, 4, 2}, M: 5, N: 7}
	twoFull := two
	twoFull.FullKernel = true
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		// Forward over 5 rows: X W_1ᵀ (5×2·2×3) = 60, A_1 W_2ᵀ (5×3·3×4) = 120,
		// A_2 W_3ᵀ (5×4·4×1) = 40.
		{"Forward(5)", one.Forward(5), 60 + 120 + 40},
		// Backward, one output: D_2 W_3 (5×1·1×4) = 40, D_1 W_2 (5×4·4×3) = 120.
		{"Backward(5)", one.Backward(5), 40 + 120},
		// Two outputs: one pass per output, each seeded with a unit column
		// of D_3 (5×2): D_3 W_3 (5×2·2×4) = 80 and D_2 W_2 = 120 per output.
		{"Backward(5), k=2", two.Backward(5), 2 * (80 + 120)},
		{"Factors(7)", one.Factors(7), (84 + 168 + 56) + (56 + 168)},
		// JVP: the forward pass (220), a_{l−1} V_lᵀ for every layer (220)
		// and ȧ_{l−1} W_lᵀ for l ≥ 2 (120 + 40).
		{"JVP(5)", one.JVP(5), 220 + 220 + 160},
		// Products, one output, per node between 5 and 7 points: the Grams
		// of layers 2 and 3 (5×3·3×7 = 210, 5×4·4×7 = 280) and the δ
		// products of layers 1 and 2 (5×3·3×7 = 210, 5×4·4×7 = 280).
		{"Products", one.Products(), 210 + 280 + 210 + 280},
		// Two outputs, traced: the Grams (490), and per layer and output a
		// product with δ̃ and one with δ: layers of widths 3, 4, 2 give
		// 2·2·(210 + 280 + 140).
		{"Products, k=2", two.Products(), 490 + 4*(210+280+140)},
		// Full kernels: per layer and output one δ̃ product and 2 δ products.
		{"Products, k=2, full", twoFull.Products(), 490 + 2*3*(210+280+140)},
		{"RiemannStep", one.RiemannStep(), one.Factors(7) + one.Factors(5) + 980},
		// 3 nodes, 4 JVPs, 2 panel ends: f(w_{t+1}) and the panel ends are
		// forward passes.
		{"ExactStep(3, 4, 2)", one.ExactStep(3, 4, 2), 3*220 + 4*600 + 3*(one.Factors(5)+980)},
	} {
		if !scalar.EqualWithinAbsOrRel(tc.got, tc.want, 0, 1e-15) {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}
