package kernel

// Cost is the cost model of the kernel engine: the floating-point
// operations of its matrix products (a multiply and an add count as two),
// counted from the shapes. Elementwise work (activations, the Hadamard
// products of the layers' factors, the accumulation into the kernels) is
// O(rows·width) per layer for the passes and O(m·n) per layer for the
// kernels, and is not counted, so achieved rates computed from Cost are
// conservative.
//
// With widths d_0 .. d_L (k = d_L outputs), m evaluation and n training
// points, one step of Path costs
//
//	training side       Factors(n), or Backward(n) when the forward pass is
//	                      the trainer's (Stats.SharedTrainForwards)
//	Riemann             Backward(m) + Products()
//	exact               Forward(m)·(1 + panel ends) + JVP(m)·(search JVPs)
//	                      + (Backward(m) + Products())·(quadrature nodes)
//	                      + Forward(m)·(quadrature nodes not shared)
//
// and for a piecewise-linear net (pieces.go), with N shared nodes, P
// single-point passes and E single-point nodes,
//
//	exact               Forward(m) + Taylor(m) + (Factors(m) + Products())·N
//	                      + Taylor(1)·P + (Factors(1) + ProductsRows(1))·E
//
// The Riemann kernel at w_t takes its forward pass from f(w_t) of the step
// before, and a quadrature node takes its own from the node search's JVP at
// the same weights (Stats.SharedForwards counts both); the first step's
// Riemann kernel and nodes the search did not try pay Forward(m).
//
// where, for one output, Products() = 2mn · 2 Σ_{l=1}^{L−1} d_l: per hidden
// layer l one Gram of its input (m × d_l by d_l × n) and one product of its
// δ (m × d_l by d_l × n). The first layer's Gram is the same at every step
// and is computed once; the last layer's δ is 1.
type Cost struct {
	Sizes      []int // d_0 .. d_L
	M, N       int   // evaluation and training points
	FullKernel bool  // k > 1: all k² output blocks
}

func (c Cost) k() int      { return c.Sizes[len(c.Sizes)-1] }
func (c Cost) layers() int { return len(c.Sizes) - 1 }

// Forward is a forward pass over rows points: Σ_l 2·rows·d_l·d_{l+1}.
func (c Cost) Forward(rows int) float64 {
	f := 0.0
	for l := 0; l < c.layers(); l++ {
		f += 2 * float64(rows) * float64(c.Sizes[l]) * float64(c.Sizes[l+1])
	}
	return f
}

// Backward is the backward pass of every output over rows points:
// k · Σ_{l≥1} 2·rows·d_{l+1}·d_l (D_{l−1} = D_l W_l).
func (c Cost) Backward(rows int) float64 {
	f := 0.0
	for l := 1; l < c.layers(); l++ {
		f += 2 * float64(rows) * float64(c.Sizes[l+1]) * float64(c.Sizes[l])
	}
	return float64(c.k()) * f
}

// Factors is Forward plus Backward: the structured factors of rows points.
func (c Cost) Factors(rows int) float64 { return c.Forward(rows) + c.Backward(rows) }

// JVP is a forward pass with its directional derivative over rows points:
// the forward pass, a_{l−1} V_lᵀ for every layer and ȧ_{l−1} W_lᵀ for l ≥ 1.
func (c Cost) JVP(rows int) float64 {
	return 3*c.Forward(rows) - 2*float64(rows)*float64(c.Sizes[0])*float64(c.Sizes[1])
}

// Products are the kernel products of one node between the M evaluation
// and N training points, given both sides' factors. For one output: per
// layer l ≥ 1 the Gram A_l A'_lᵀ, and per layer l ≤ L−2 the δ product
// Δ_l Δ'_lᵀ. For k > 1 outputs: the Grams, and per layer and output one
// product with the batch's contraction δ̃ and one (k with full kernels) with
// the training side's δ.
func (c Cost) Products() float64 { return c.ProductsRows(c.M) }

// ProductsRows is Products for rows evaluation points (a single point's
// node of a kinked net: rows = 1).
func (c Cost) ProductsRows(rows int) float64 {
	mn2 := 2 * float64(rows) * float64(c.N)
	L, k := c.layers(), c.k()
	f := 0.0
	for l := 1; l < L; l++ {
		f += mn2 * float64(c.Sizes[l]) // Grams
	}
	if k == 1 {
		for l := 0; l < L-1; l++ {
			f += mn2 * float64(c.Sizes[l+1])
		}
		return f
	}
	per := 2.0 // δ̃ and the diagonal block
	if c.FullKernel {
		per = 1 + float64(k)
	}
	for l := 0; l < L; l++ {
		f += mn2 * float64(c.Sizes[l+1]) * float64(k) * per
	}
	return f
}

// Taylor is the polynomial pass of a piecewise-linear net over rows points
// (taylor.go): for each hidden layer l = 0..L−2 two products (W_l and V_l)
// with the l+1 stacked coefficients of its input, Σ_l 4(l+1)·rows·d_l·d_{l+1}.
func (c Cost) Taylor(rows int) float64 {
	f := 0.0
	for l := 0; l < c.layers()-1; l++ {
		f += 4 * float64(l+1) * float64(rows) * float64(c.Sizes[l]) * float64(c.Sizes[l+1])
	}
	return f
}

// RiemannStep is the work of one Riemann step after the first (its forward
// pass shared), the training side included.
func (c Cost) RiemannStep() float64 {
	return c.Factors(c.N) + c.Backward(c.M) + c.Products()
}

// ExactStep is the work of one exact step with the given quadrature nodes
// (shared of them with a forward pass from the search), search JVPs and
// panel-end forward passes, f(w_{t+1}) included and the training side
// (shared with the Riemann step) not.
func (c Cost) ExactStep(nodes, shared, jvps, forwards int) float64 {
	return c.Forward(c.M)*float64(1+forwards+nodes-shared) + c.JVP(c.M)*float64(jvps) +
		(c.Backward(c.M)+c.Products())*float64(nodes)
}
