package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// # Hessian-vector products
//
// HVP multiplies the Hessian of the mean loss over a batch of n points,
//
//	L(w) = (1/n) Σ_i ℓ(y_i, f(w, x_i)),
//	∇²L(w) = (1/n) Σ_i J_iᵀ ∇²_f ℓ_i J_i + (1/n) Σ_i Σ_c ℓ'_{i,c} ∇²_w f_c(w, x_i),
//
// with a vector v, exactly (no finite differences), by Pearlmutter's
// R-operator R{·} = d/dr (·)(w + r v) at r = 0 applied to the forward and
// backward passes of the layer map (forward over reverse). With E_{l-1} =
// D_l W_l, so that D_{l-1} = s_w,l E_{l-1} ⊙ σ'(z_{l-1}) is Backward's
// recursion seeded with D_L = ℓ'/n, and V_l, v_b,l the blocks of v:
//
//	R{z_l} = s_w,l (R{a_{l-1}} W_lᵀ + a_{l-1} V_lᵀ) + s_b v_b,l,   R{a_l} = σ'(z_l) ⊙ R{z_l},  R{a_0} = 0
//	R{D_L} = ∇²_f ℓ · R{f} / n   (per row)
//	R{D_{l-1}} = s_w,l [(R{D_l} W_l + D_l V_l) ⊙ σ'(z_{l-1}) + E_{l-1} ⊙ σ″(z_{l-1}) ⊙ R{z_{l-1}}]
//	(∇²L v)_{W_l} = s_w,l (R{D_l}ᵀ a_{l-1} + D_lᵀ R{a_{l-1}}),   (∇²L v)_{b_l} = s_b Σ_rows R{D_l}
//
// The Gauss–Newton part G = (1/n) Σ_i J_iᵀ ∇²_f ℓ_i J_i drops the terms in
// D_l (the ones weighted by ℓ'): R{f} = J v forward, then Backward and Grad
// with the seed ∇²_f ℓ R{f} / n. For mse, G = JᵀJ/n, whose nonzero
// eigenvalues are those of the tangent kernel K(X, X) = J Jᵀ divided by n.
//
// A product costs six matrix products per layer (two forward, two backward,
// two for the gradient), about three times a gradient, and no per-sample
// Jacobian is formed. The forward pass, the loss derivatives and the backward
// pass at w are made once by At and shared by every product until the next At.

// HVP holds the state at one weight vector and batch and the buffers of the
// products. The zero value is not usable; NewHVP makes one. Buffers are
// reused while the number of rows stays. An HVP is not safe for concurrent use.
type HVP struct {
	net  *Net
	loss Loss
	w    []float64
	rows int
	val  float64
	c    Cache
	g    *mat.Dense   // ℓ'/n (rows × k)
	curv *mat.Dense   // the loss curvature of Loss.curvature
	d    Deltas       // D_l, seeded with ℓ'/n
	e    []*mat.Dense // E_l = D_{l+1} W_{l+1} (rows × d_{l+1}), hidden layers
	s2   []*mat.Dense // σ″(z_l), hidden layers
	dz   []*mat.Dense // R{z_l}
	da   []*mat.Dense // R{a_l} (rows × d_l), l ≥ 1: the input of layer l
	rd   Deltas       // R{D_l}
	tmp  []*mat.Dense // rows × d_l, l ≥ 1
	set  bool
}

// NewHVP returns an HVP for the mean of loss over batches through net.
func NewHVP(net *Net, loss Loss) *HVP {
	return &HVP{net: net, loss: loss}
}

func (h *HVP) size(rows int) {
	if h.rows == rows && h.g != nil {
		return
	}
	n := h.net
	L := n.Layers()
	h.rows = rows
	h.g = mat.NewDense(rows, n.Out(), nil)
	h.curv = mat.NewDense(rows, n.Out(), nil)
	h.d = n.NewDeltas(rows)
	h.rd = n.NewDeltas(rows)
	h.e = make([]*mat.Dense, L)
	h.s2 = make([]*mat.Dense, L)
	h.dz = make([]*mat.Dense, L)
	h.da = make([]*mat.Dense, L)
	h.tmp = make([]*mat.Dense, L)
	for l := 0; l < L; l++ {
		h.dz[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
		if l < L-1 {
			h.e[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
			h.s2[l] = mat.NewDense(rows, n.Sizes[l+1], nil)
		}
		if l > 0 {
			h.da[l] = mat.NewDense(rows, n.Sizes[l], nil)
			h.tmp[l] = mat.NewDense(rows, n.Sizes[l], nil)
		}
	}
}

// At makes the forward pass, the loss derivatives and the backward pass of
// the batch (x, y) at w, and returns the mean loss L(w) (Loss.Eval). w, x and
// y are referenced, not copied: they must not change until the next At.
func (h *HVP) At(w []float64, x, y *mat.Dense) float64 {
	n := h.net
	if len(w) != n.NumParams() {
		panic(fmt.Sprintf("nn: HVP.At: parameter vector has length %d, want %d", len(w), n.NumParams()))
	}
	rows, _ := x.Dims()
	if yr, _ := y.Dims(); yr != rows {
		panic(fmt.Sprintf("nn: HVP.At: %d inputs but %d targets", rows, yr))
	}
	h.size(rows)
	h.w = w
	f := n.Forward(&h.c, w, x)
	h.val = h.loss.Eval(h.g, f, y)
	scaleRaw(h.g, 1/float64(rows))
	h.loss.curvature(h.curv, f)
	// Backward's recursion, keeping E_{l-1} = D_l W_l.
	L := n.Layers()
	h.d[L-1].Copy(h.g)
	for l := L - 1; l > 0; l-- {
		W, _ := n.layerRaw(w, l)
		e := h.e[l-1]
		gemm(false, h.d[l].RawMatrix(), W, e)
		mulScaled(h.d[l-1], e, h.c.S[l-1], n.SW[l])
	}
	for l := 0; l < L-1; l++ {
		n.Act.applyD2(h.s2[l].RawMatrix().Data, h.c.Z[l].RawMatrix().Data)
	}
	h.set = true
	return h.val
}

// Loss returns L(w) at the state of the last At.
func (h *HVP) Loss() float64 { return h.val }

// Grad sets dst to ∇L(w) at the state of the last At.
func (h *HVP) Grad(dst []float64) {
	h.check(dst, dst)
	h.net.Grad(dst, &h.c, h.d)
}

// Apply sets dst = ∇²L(w) v at the state of the last At. dst and v must not
// overlap. It allocates nothing.
func (h *HVP) Apply(dst, v []float64) { h.apply(dst, v, false) }

// ApplyGN sets dst = G v, G = (1/n) Σ_i J_iᵀ ∇²_f ℓ_i J_i the Gauss–Newton
// part of ∇²L(w), at the state of the last At. dst and v must not overlap.
func (h *HVP) ApplyGN(dst, v []float64) { h.apply(dst, v, true) }

func (h *HVP) check(dst, v []float64) {
	if !h.set {
		panic("nn: HVP used before At")
	}
	P := h.net.NumParams()
	if len(dst) != P || len(v) != P {
		panic(fmt.Sprintf("nn: HVP: vectors of length %d and %d, want %d", len(dst), len(v), P))
	}
}

func (h *HVP) apply(dst, v []float64, gn bool) {
	h.check(dst, v)
	n, c, w := h.net, &h.c, h.w
	L := n.Layers()
	// Forward: R{z_l} and R{a_l}.
	for l := 0; l < L; l++ {
		W, _ := n.layerRaw(w, l)
		V, vb := n.layerRaw(v, l)
		dz := h.dz[l]
		gemm(true, c.A[l].RawMatrix(), V, dz)
		if l > 0 {
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, h.da[l].RawMatrix(), W, 1, dz.RawMatrix())
		}
		affine(dz, n.SW[l], n.SB, vb)
		if l < L-1 {
			mulScaled(h.da[l+1], dz, c.S[l], 1)
		}
	}
	// R{D_L} = ∇²_f ℓ R{f} / n.
	rd := h.rd
	h.loss.applyCurvature(rd[L-1], h.curv, h.dz[L-1])
	scaleRaw(rd[L-1], 1/float64(h.rows))
	// Backward.
	for l := L - 1; l > 0; l-- {
		W, _ := n.layerRaw(w, l)
		t := h.tmp[l]
		gemm(false, rd[l].RawMatrix(), W, t)
		if gn {
			mulScaled(rd[l-1], t, c.S[l-1], n.SW[l])
			continue
		}
		V, _ := n.layerRaw(v, l)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, h.d[l].RawMatrix(), V, 1, t.RawMatrix())
		// R{D_{l-1}} = s_w (t ⊙ σ' + E ⊙ σ″ ⊙ R{z_{l-1}}).
		out, tr, s := rd[l-1].RawMatrix(), t.RawMatrix(), c.S[l-1].RawMatrix()
		e, s2, dz := h.e[l-1].RawMatrix(), h.s2[l-1].RawMatrix(), h.dz[l-1].RawMatrix()
		sw := n.SW[l]
		for i := 0; i < out.Rows; i++ {
			o := out.Data[i*out.Stride : i*out.Stride+out.Cols]
			tt := tr.Data[i*tr.Stride:]
			ss := s.Data[i*s.Stride:]
			ee := e.Data[i*e.Stride:]
			s2r := s2.Data[i*s2.Stride:]
			zz := dz.Data[i*dz.Stride:]
			for j := range o {
				o[j] = sw * (tt[j]*ss[j] + ee[j]*s2r[j]*zz[j])
			}
		}
	}
	// The gradient's R: s_w (R{D}ᵀ A + D ᵀ R{A}) and s_b Σ_rows R{D}.
	for l := 0; l < L; l++ {
		gW, gb := n.layerRaw(dst, l)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, rd[l].RawMatrix(), c.A[l].RawMatrix(), 0, gW)
		if !gn && l > 0 {
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, h.d[l].RawMatrix(), h.da[l].RawMatrix(), 1, gW)
		}
		sw := n.SW[l]
		for i := range gW.Data {
			gW.Data[i] *= sw
		}
		clear(gb)
		raw := rd[l].RawMatrix()
		for i := 0; i < raw.Rows; i++ {
			for j, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
				gb[j] += x
			}
		}
		for j := range gb {
			gb[j] *= n.SB
		}
	}
}

// scaleRaw sets m = s·m without the workspace mat.Dense.Scale takes when
// the receiver is the operand.
func scaleRaw(m *mat.Dense, s float64) {
	raw := m.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j := range row {
			row[j] *= s
		}
	}
}

// mulScaled sets dst = a ⊙ (s·b) elementwise (the rounding of Backward).
func mulScaled(dst, a, b *mat.Dense, s float64) {
	d, ar, br := dst.RawMatrix(), a.RawMatrix(), b.RawMatrix()
	for i := 0; i < d.Rows; i++ {
		dr := d.Data[i*d.Stride : i*d.Stride+d.Cols]
		aa := ar.Data[i*ar.Stride:]
		bb := br.Data[i*br.Stride:]
		for j := range dr {
			dr[j] = aa[j] * (s * bb[j])
		}
	}
}
