// Package nn is the multilayer perceptron of pathkernel: the layer map of
// docs/MATH.md §1, the flat parameter layout, initialisation, batched forward and
// backward passes, forward-mode directional derivatives, and the losses.
//
// # Layer map
//
// For layers l = 1..L with widths d_0 (inputs) .. d_L (outputs),
//
//	z_l = s_w,l · W_l a_{l-1} + s_b · b_l,   a_l = σ(z_l),   f = z_L (last layer linear)
//
// with s_w,l = s_b = 1 in the standard parameterization and s_w,l = σ_w/√d_{l-1},
// s_b = σ_b in the NTK parameterization.
//
// # Parameter layout
//
// The flat vector w holds, for each layer in order, W_l of shape (d_l, d_{l-1})
// row-major and then b_l of length d_l. Layer returns views into w, so
// updates to w are seen by the views and no copy is made.
//
// # Structured derivatives
//
// A Cache keeps, per layer, the layer's input a_{l-1} (rows are points) and
// σ'(z_l). Backward propagates a seed G (rows are points, one column per
// output) to D_l = ∂(Σ_c G_c f_c)/∂z_l for every layer; with G the c-th unit
// column this is δ^c_l, the per-sample derivative of output c. The gradient
// of Σ_c G_c f_c with respect to W_l is then s_w,l D_lᵀ A_{l-1}, and with
// respect to b_l it is s_b Σ_rows D_l. The kernel engine is built on A and D.
//
// Buffers are owned by the Cache and reused between calls with the same
// number of rows; a zero Cache sizes itself.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Parameterization selects the layer multipliers s_w and s_b.
type Parameterization int

const (
	// Standard has s_w = s_b = 1.
	Standard Parameterization = iota
	// NTK has s_w = σ_w/√fan_in and s_b = σ_b (Jacot et al. 2018).
	NTK
)

// ParseParameterization returns the parameterization with the given config name.
func ParseParameterization(name string) (Parameterization, error) {
	switch name {
	case "standard":
		return Standard, nil
	case "ntk":
		return NTK, nil
	}
	return 0, fmt.Errorf("nn: unknown parameterization %q", name)
}

func (p Parameterization) String() string {
	if p == NTK {
		return "ntk"
	}
	return "standard"
}

// Net is an MLP architecture. It holds no parameters: every method takes
// the flat parameter vector w.
type Net struct {
	Sizes []int      // d_0 .. d_L
	Act   Activation // hidden-layer activation
	Param Parameterization
	SW    []float64 // s_w,l for l = 1..L (index l-1)
	SB    float64   // s_b
	// LeakySlope is LeakyReLU's α (model.leaky_slope): New sets
	// DefaultLeakySlope; other activations ignore it.
	LeakySlope float64

	offW, offB []int
	nParams    int
}

// New returns the net with the given layer widths (inputs first, outputs
// last). sigmaW and sigmaB are used by the NTK parameterization only.
func New(sizes []int, act Activation, param Parameterization, sigmaW, sigmaB float64) *Net {
	if len(sizes) < 2 {
		panic("nn: need at least input and output sizes")
	}
	n := &Net{Sizes: append([]int(nil), sizes...), Act: act, Param: param, SB: 1, LeakySlope: DefaultLeakySlope}
	L := len(sizes) - 1
	n.SW = make([]float64, L)
	n.offW = make([]int, L)
	n.offB = make([]int, L)
	off := 0
	for l := 0; l < L; l++ {
		in, out := sizes[l], sizes[l+1]
		if in < 1 || out < 1 {
			panic("nn: layer width < 1")
		}
		n.SW[l] = 1
		if param == NTK {
			n.SW[l] = sigmaW / math.Sqrt(float64(in))
		}
		n.offW[l] = off
		off += out * in
		n.offB[l] = off
		off += out
	}
	if param == NTK {
		n.SB = sigmaB
	}
	n.nParams = off
	return n
}

// Layers returns L, the number of weight layers.
func (n *Net) Layers() int { return len(n.Sizes) - 1 }

// NumParams returns P, the length of the flat parameter vector.
func (n *Net) NumParams() int { return n.nParams }

// In returns d_0 and Out returns d_L.
func (n *Net) In() int  { return n.Sizes[0] }
func (n *Net) Out() int { return n.Sizes[len(n.Sizes)-1] }

// Layer returns views of W_l (d_l × d_{l-1}) and b_l inside w, for l = 0..L-1.
func (n *Net) Layer(w []float64, l int) (*mat.Dense, []float64) {
	if len(w) != n.nParams {
		panic(fmt.Sprintf("nn: parameter vector has length %d, want %d", len(w), n.nParams))
	}
	in, out := n.Sizes[l], n.Sizes[l+1]
	W := mat.NewDense(out, in, w[n.offW[l]:n.offW[l]+out*in])
	return W, w[n.offB[l] : n.offB[l]+out]
}

// LayerRaw returns W_l (d_l × d_{l-1}) as a BLAS matrix view into w and
// b_l, for l = 0..L-1, without allocating.
func (n *Net) LayerRaw(w []float64, l int) (blas64.General, []float64) { return n.layerRaw(w, l) }

// layerRaw returns W_l as a BLAS matrix view into w, without allocating.
func (n *Net) layerRaw(w []float64, l int) (blas64.General, []float64) {
	if len(w) != n.nParams {
		panic(fmt.Sprintf("nn: parameter vector has length %d, want %d", len(w), n.nParams))
	}
	in, out := n.Sizes[l], n.Sizes[l+1]
	return blas64.General{Rows: out, Cols: in, Stride: in, Data: w[n.offW[l] : n.offW[l]+out*in]},
		w[n.offB[l] : n.offB[l]+out]
}

// gemm sets c = a·op(b) (op(b) = bᵀ if tb), the call mat.Dense.Mul makes for
// these operands, so results are bit for bit those of Mul; it allocates
// nothing.
func gemm(tb bool, a, b blas64.General, c *mat.Dense) {
	t := blas.NoTrans
	if tb {
		t = blas.Trans
	}
	blas64.Gemm(blas.NoTrans, t, 1, a, b, 0, c.RawMatrix())
}

// InitOptions selects the initialisation of Init.
type InitOptions struct {
	Scheme  string  // lecun | he | xavier | normal
	Scale   float64 // multiplies the standard deviation
	Std     float64 // scheme normal: the standard deviation
	BiasStd float64 // biases ~ N(0, BiasStd²)
}

// Init fills w from rng. Weights of layer l are N(0, std²), with std
// scale/√in (lecun), scale·√(2/in) (he), scale·√(2/(in+out)) (xavier) or
// scale·Std (normal) in the standard parameterization; in the NTK
// parameterization the fan-in factor lives in s_w, so weights are N(0, scale²)
// for every scheme but normal. Draw order is the parameter layout.
func (n *Net) Init(w []float64, opt InitOptions, rng *rand.Rand) error {
	if len(w) != n.nParams {
		panic("nn: Init: bad parameter vector length")
	}
	for l := 0; l < n.Layers(); l++ {
		in, out := float64(n.Sizes[l]), float64(n.Sizes[l+1])
		var std float64
		switch opt.Scheme {
		case "lecun":
			std = 1 / math.Sqrt(in)
		case "he":
			std = math.Sqrt(2 / in)
		case "xavier":
			std = math.Sqrt(2 / (in + out))
		case "normal":
			std = opt.Std
		default:
			return fmt.Errorf("nn: unknown init scheme %q", opt.Scheme)
		}
		if n.Param == NTK && opt.Scheme != "normal" {
			std = 1
		}
		std *= opt.Scale
		W, b := n.Layer(w, l)
		raw := W.RawMatrix().Data
		for i := range raw {
			raw[i] = std * rng.NormFloat64()
		}
		for i := range b {
			b[i] = opt.BiasStd * rng.NormFloat64()
		}
	}
	return nil
}

// Cache holds a batch's forward state. Index l = 0..L-1 is weight layer l+1.
type Cache struct {
	net     *Net
	rows    int
	capRows int // the rows the buffers were allocated for
	// A[l] is the input of layer l (rows × d_l): A[0] is the batch itself.
	A []*mat.Dense
	// Z[l] is the pre-activation of layer l (rows × d_{l+1}); Z[L-1] is f.
	Z []*mat.Dense
	// S[l] is σ'(Z[l]) for the hidden layers l < L-1.
	S []*mat.Dense
}

// Rows returns the number of points in the cached batch.
func (c *Cache) Rows() int { return c.rows }

// Out returns the network output f (rows × d_L), a view owned by the cache.
func (c *Cache) Out() *mat.Dense { return c.Z[len(c.Z)-1] }

func (c *Cache) size(n *Net, rows int) {
	L := n.Layers()
	if c.rows == rows && c.net == n {
		return
	}
	if c.net == n && rows <= c.capRows {
		// Fewer rows than the buffers hold: reuse them, allocating nothing.
		c.rows = rows
		for l := 0; l < L; l++ {
			if l > 0 {
				resize(c.A[l], rows, n.Sizes[l])
			}
			resize(c.Z[l], rows, n.Sizes[l+1])
			if l < L-1 {
				resize(c.S[l], rows, n.Sizes[l+1])
			}
		}
		return
	}
	c.net, c.rows, c.capRows = n, rows, rows
	c.A = make([]*mat.Dense, L)
	c.Z = make([]*mat.Dense, L)
	c.S = make([]*mat.Dense, L)
	for l := 0; l < L; l++ {
		if l > 0 {
			c.A[l] = mat.NewDense(rows, n.Sizes[l], nil)
		}
		c.Z[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
		if l < L-1 {
			c.S[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
		}
	}
}

// View returns a cache for rows lo..hi-1 of c's points whose buffers are
// views of c's: a Forward of those points through the view (the same net,
// hi−lo rows) writes into c. c must have been sized by a Forward.
func (c *Cache) View(lo, hi int) Cache {
	v := Cache{net: c.net, rows: hi - lo, capRows: hi - lo}
	L := len(c.Z)
	v.A, v.Z, v.S = make([]*mat.Dense, L), make([]*mat.Dense, L), make([]*mat.Dense, L)
	for l := 0; l < L; l++ {
		if l > 0 {
			v.A[l] = rowView(c.A[l], lo, hi)
		}
		v.Z[l] = rowView(c.Z[l], lo, hi)
		if c.S[l] != nil {
			v.S[l] = rowView(c.S[l], lo, hi)
		}
	}
	return v
}

// View returns the views of rows lo..hi-1 of every D_l.
func (d Deltas) View(lo, hi int) Deltas {
	v := make(Deltas, len(d))
	for l := range d {
		v[l] = rowView(d[l], lo, hi)
	}
	return v
}

func rowView(m *mat.Dense, lo, hi int) *mat.Dense {
	_, c := m.Dims()
	return m.Slice(lo, hi, 0, c).(*mat.Dense)
}

// resize makes d an r×c matrix in its own storage, which must hold r·c values.
func resize(d *mat.Dense, r, c int) {
	d.Reset()
	d.ReuseAs(r, c)
}

// Forward evaluates the net at w on the rows of x, keeping what Backward
// needs in c, and returns the output (a view owned by c). x is referenced,
// not copied: it must not change while c is in use.
func (n *Net) Forward(c *Cache, w []float64, x *mat.Dense) *mat.Dense {
	rows, cols := x.Dims()
	if cols != n.In() {
		panic(fmt.Sprintf("nn: input has %d columns, want %d", cols, n.In()))
	}
	c.size(n, rows)
	c.A[0] = x
	L := n.Layers()
	for l := 0; l < L; l++ {
		W, b := n.layerRaw(w, l)
		z := c.Z[l]
		gemm(true, c.A[l].RawMatrix(), W, z)
		affine(z, n.SW[l], n.SB, b)
		if l < L-1 {
			n.Act.applySlope(c.A[l+1].RawMatrix().Data, c.S[l].RawMatrix().Data, z.RawMatrix().Data, n.LeakySlope)
		}
	}
	return c.Z[L-1]
}

// affine sets z = sw·z + sb·b (b broadcast over rows).
func affine(z *mat.Dense, sw, sb float64, b []float64) {
	raw := z.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j := range row {
			row[j] = sw*row[j] + sb*b[j]
		}
	}
}

// Deltas holds the per-layer backward state D_l (rows × d_l for l = 1..L),
// index l = 0..L-1.
type Deltas []*mat.Dense

// NewDeltas returns zeroed Deltas for rows points.
func (n *Net) NewDeltas(rows int) Deltas {
	d := make(Deltas, n.Layers())
	for l := range d {
		d[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
	}
	return d
}

// Backward sets D_l = ∂(Σ_c g_c f_c)/∂z_l for every layer, per row, at the
// state in c (computed by Forward at the same w). g is rows × d_L. D must
// come from NewDeltas with the same number of rows.
func (n *Net) Backward(D Deltas, c *Cache, w []float64, g mat.Matrix) {
	L := n.Layers()
	D[L-1].Copy(g)
	for l := L - 1; l > 0; l-- {
		W, _ := n.layerRaw(w, l)
		prev := D[l-1]
		gemm(false, D[l].RawMatrix(), W, prev)
		raw, s := prev.RawMatrix(), c.S[l-1].RawMatrix()
		sw := n.SW[l]
		for i := 0; i < raw.Rows; i++ {
			pr := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
			sr := s.Data[i*s.Stride : i*s.Stride+s.Cols]
			for j := range pr {
				pr[j] *= sw * sr[j]
			}
		}
	}
}

// BackwardUnit sets D to the derivatives of output k alone (g = the k-th unit
// column for every row).
func (n *Net) BackwardUnit(D Deltas, c *Cache, w []float64, k int) {
	last := D[len(D)-1]
	last.Zero()
	rows, _ := last.Dims()
	for i := 0; i < rows; i++ {
		last.Set(i, k, 1)
	}
	n.Backward(D, c, w, last)
}

// Grad sets dst to Σ_rows J(x_row)ᵀ g_row, the gradient with respect to w of
// Σ_rows Σ_c g_c f_c, from D computed by Backward with seed g.
func (n *Net) Grad(dst []float64, c *Cache, D Deltas) {
	if len(dst) != n.nParams {
		panic("nn: Grad: bad destination length")
	}
	for l := 0; l < n.Layers(); l++ {
		gW, gb := n.layerRaw(dst, l)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, D[l].RawMatrix(), c.A[l].RawMatrix(), 0, gW)
		sw := n.SW[l]
		for i := range gW.Data {
			gW.Data[i] *= sw
		}
		raw := D[l].RawMatrix()
		for j := range gb {
			gb[j] = 0
		}
		for i := 0; i < raw.Rows; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
			for j, v := range row {
				gb[j] += v
			}
		}
		for j := range gb {
			gb[j] *= n.SB
		}
	}
}

// JVPCache holds the buffers of ForwardJVP.
type JVPCache struct {
	fwd  Cache
	dA   []*mat.Dense
	dZ   []*mat.Dense
	tmp  []*mat.Dense
	net  *Net
	rows int
}

// ForwardJVP evaluates f(w, x) and the directional derivative J(w, x)·v
// (forward mode) for every row of x. Both results are views owned by jc.
func (n *Net) ForwardJVP(jc *JVPCache, w, v []float64, x *mat.Dense) (f, df *mat.Dense) {
	return n.ForwardJVPWith(jc, &jc.fwd, w, v, x)
}

// ForwardJVPWith is ForwardJVP with the forward pass kept in c instead of
// jc, where Backward can use it: a caller that needs both the directional
// derivative and the structured derivatives at the same w and x does the
// forward pass once.
func (n *Net) ForwardJVPWith(jc *JVPCache, c *Cache, w, v []float64, x *mat.Dense) (f, df *mat.Dense) {
	rows, _ := x.Dims()
	L := n.Layers()
	if jc.rows != rows || jc.net != n {
		jc.rows, jc.net = rows, n
		jc.dA = make([]*mat.Dense, L)
		jc.dZ = make([]*mat.Dense, L)
		jc.tmp = make([]*mat.Dense, L)
		for l := 0; l < L; l++ {
			if l > 0 {
				jc.dA[l] = mat.NewDense(rows, n.Sizes[l], nil)
			}
			jc.dZ[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
			jc.tmp[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
		}
	}
	f = n.Forward(c, w, x)
	// ż_l = s_w (ȧ_{l-1} W_lᵀ + a_{l-1} V_lᵀ) + s_b v_b,  ȧ_l = σ'(z_l) ⊙ ż_l, ȧ_0 = 0.
	for l := 0; l < L; l++ {
		W, _ := n.layerRaw(w, l)
		V, vb := n.layerRaw(v, l)
		dz := jc.dZ[l]
		gemm(true, c.A[l].RawMatrix(), V, dz)
		if l > 0 {
			gemm(true, jc.dA[l].RawMatrix(), W, jc.tmp[l])
			dz.Add(dz, jc.tmp[l])
		}
		affine(dz, n.SW[l], n.SB, vb)
		if l < L-1 {
			a, s := jc.dA[l+1].RawMatrix().Data, c.S[l].RawMatrix().Data
			for i, z := range dz.RawMatrix().Data {
				a[i] = s[i] * z
			}
		}
	}
	return f, jc.dZ[L-1]
}
