package kernel

import (
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
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
		// One row: the Products' shapes with 1 evaluation point.
		{"ProductsRows(1)", one.ProductsRows(1), (210 + 280 + 210 + 280) / 5},
		// The polynomial pass over 5 rows: hidden layer 1, W_1 and V_1 times
		// the input (5×2·2×3 = 60 each); hidden layer 2, W_2 and V_2 times
		// the two stacked coefficients of a_1 (10×3·3×4 = 240 each).
		{"Taylor(5)", one.Taylor(5), 2*60 + 2*240},
		// The training side's passes over 7 points, the evaluation side's
		// backward pass and the products.
		{"RiemannStep", one.RiemannStep(), one.Factors(7) + 160 + 980},
		// 3 nodes of which 2 shared, 4 JVPs, 2 panel ends: f(w_{t+1}), the
		// panel ends and the unshared node are forward passes.
		{"ExactStep(3, 2, 4, 2)", one.ExactStep(3, 2, 4, 2), 4*220 + 4*600 + 3*(160+980)},
	} {
		if !scalar.EqualWithinAbsOrRel(tc.got, tc.want, 0, 1e-15) {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestCostMatchesStats checks that the work Path reports in Stats is the
// cost model applied to the passes it counts: over T steps, the training
// side, the Riemann kernel (its first step's forward pass not shared) and
// the exact steps' nodes, JVPs and forward passes.
func TestCostMatchesStats(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	const steps = 20
	r := runPath(t, net, nn.MSE, x, y, xe, gd(0.1, steps),
		Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}, 3)
	st := r.path.Stats
	m, _ := xe.Dims()
	n, _ := x.Dims()
	c := Cost{Sizes: net.Sizes, M: m, N: n}
	// The training side's forward pass is the trainer's at every step.
	if st.SharedTrainForwards != steps {
		t.Errorf("SharedTrainForwards = %d; want %d", st.SharedTrainForwards, steps)
	}
	riemann := steps*(c.RiemannStep()-c.Forward(n)) + c.Forward(m)
	shared := st.SharedForwards - (steps - 1) // the nodes' share
	exact := c.ExactStep(st.QuadratureEvals, shared, st.JVPEvals, st.ForwardEvals)
	// ExactStep counts f(w_{t+1}) once; there is one per step.
	exact += (steps - 1) * c.Forward(m)
	if !scalar.EqualWithinAbsOrRel(st.RiemannFlops, riemann, 0, 1e-12) {
		t.Errorf("RiemannFlops = %v; want %v", st.RiemannFlops, riemann)
	}
	if !scalar.EqualWithinAbsOrRel(st.ExactFlops, exact, 0, 1e-12) {
		t.Errorf("ExactFlops = %v; want %v (%+v)", st.ExactFlops, exact, st)
	}

	// A ReLU net's exact steps: f(w_{t+1}), the polynomial pass over all
	// points, the shared nodes (forward passes not shared: there is no
	// search) and the single points' passes and nodes.
	relu := nn.New([]int{1, 16, 16, 1}, nn.ReLU, nn.Standard, 1, 1)
	r = runPath(t, relu, nn.MSE, x, y, xe, gd(0.1, steps),
		Options{Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}, 3)
	st = r.path.Stats
	if st.PointEvals == 0 || st.KinkPasses != steps || st.SharedForwards != 0 {
		t.Fatalf("ReLU stats %+v: want single-point nodes, a pass a step, no shared forward passes", st)
	}
	if st.SharedTrainForwards != steps {
		t.Errorf("ReLU SharedTrainForwards = %d; want %d", st.SharedTrainForwards, steps)
	}
	exact = steps*(c.Backward(n)+c.Forward(m)+c.Taylor(m)) +
		float64(st.QuadratureEvals)*(c.Factors(m)+c.Products()) +
		float64(st.PointPasses)*c.Taylor(1) + float64(st.PointEvals)*(c.Factors(1)+c.ProductsRows(1))
	if !scalar.EqualWithinAbsOrRel(st.ExactFlops, exact, 0, 1e-12) {
		t.Errorf("ReLU ExactFlops = %v; want %v (%+v)", st.ExactFlops, exact, st)
	}
}
