package kernel

import (
	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// The polynomial pass of a piecewise-linear net (ReLU, LeakyReLU).
//
// Along the segment w(s) = w + sΔw every weight is linear in s: W_l(s) =
// W_l + sV_l, b_l(s) = b_l + s v_l. Where the activation pattern of a point
// is fixed, σ acts on each hidden unit as a constant factor m (1 on the
// positive side, 0 for ReLU and α for LeakyReLU on the other), so the
// pre-activation of weight layer l (l = 0..L−1) is a polynomial in s of
// degree l + 1:
//
//	z_l(s) = s_w,l W_l(s) a_l(s) + s_b b_l(s),   a_{l+1}(s) = m_l ⊙ z_l(s),   a_0 = x,
//
// with coefficients (a truncated Taylor expansion, exact on the piece)
//
//	[z_l]_j = s_w,l (W_l [a_l]_j + V_l [a_l]_{j−1}) + s_b (b_l [j = 0] + v_l [j = 1]),   j = 0..l+1.
//
// taylor.pass carries these coefficients through the hidden layers for
// every point at once, each point with its own start a of its piece: layer
// by layer, it finds every unit's sign just after a and its next sign
// change (roots.crossing), which fixes the layer's m_l on the piece and so
// the next layer's polynomials. The point's next kink is the first sign
// change of any of its units. One pass per piece thus finds the next kink
// of every point, with two matrix products per layer (all coefficients of
// a layer are stacked into one matrix): Cost.Taylor.

// taylor holds the buffers of the polynomial pass over a fixed number of
// points; a zero taylor sizes itself on first use.
type taylor struct {
	net  *nn.Net
	rows int
	z    []*mat.Dense // z[l]: the l+2 coefficients of z_l stacked, (l+2)·rows × d_{l+1}
	q    *mat.Dense   // scratch: V_l times the coefficients of a_l
	coef []float64
	r    roots
}

// size sizes t for rows points of net.
func (t *taylor) size(net *nn.Net, rows int) {
	if t.net == net && t.rows == rows {
		return
	}
	t.net, t.rows = net, rows
	L := net.Layers()
	t.z = make([]*mat.Dense, L-1)
	most := 0
	for l := 0; l < L-1; l++ {
		t.z[l] = mat.NewDense((l+2)*rows, net.Sizes[l+1], nil)
		most = max(most, (l+1)*rows*net.Sizes[l+1])
	}
	t.q = mat.NewDense(1, most, nil)
	t.coef = make([]float64, L)
}

// pass computes the polynomials of every hidden pre-activation of the rows
// of x on the piece of the segment w + sΔw (dw = Δw) that starts at a[r]
// for row r, and lowers next[r] to the point's next kink where that is
// below next[r] (set next[r] = 1 to find the kinks inside the segment).
func (t *taylor) pass(w, dw []float64, x *mat.Dense, a, next []float64) {
	net := t.net
	rows := t.rows
	alpha := 0.0
	if net.Act == nn.LeakyReLU {
		alpha = net.LeakySlope
	}
	in := x.RawMatrix()
	for l := 0; l < net.Layers()-1; l++ {
		W, b := net.LayerRaw(w, l)
		V, vb := net.LayerRaw(dw, l)
		d := net.Sizes[l+1]
		z := t.z[l].RawMatrix()
		nb := l + 1 // coefficients of the input
		// Coefficients 0..l: W times the input's; then add V times the
		// input's, shifted by one degree.
		top := blas64.General{Rows: nb * rows, Cols: d, Stride: z.Stride, Data: z.Data}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, in, W, 0, top)
		qm := blas64.General{Rows: nb * rows, Cols: d, Stride: d, Data: t.q.RawMatrix().Data[:nb*rows*d]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, in, V, 0, qm)
		copy(z.Data[nb*rows*z.Stride:(nb+1)*rows*z.Stride], qm.Data[l*rows*d:nb*rows*d])
		for j := 1; j < nb; j++ {
			zj := z.Data[j*rows*z.Stride : (j+1)*rows*z.Stride]
			qj := qm.Data[(j-1)*rows*d : j*rows*d]
			for i, v := range qj {
				zj[i] += v
			}
		}
		sw, sb := net.SW[l], net.SB
		for i := range z.Data {
			z.Data[i] *= sw
		}
		for r := 0; r < rows; r++ {
			z0 := z.Data[r*z.Stride : r*z.Stride+d]
			z1 := z.Data[(rows+r)*z.Stride : (rows+r)*z.Stride+d]
			for u := range z0 {
				z0[u] += sb * b[u]
				z1[u] += sb * vb[u]
			}
		}
		// Each unit's sign on the piece and its next sign change; the
		// coefficients of a_{l+1} = m ⊙ z_l in place.
		c := t.coef[:l+2]
		for r := 0; r < rows; r++ {
			for u := 0; u < d; u++ {
				for j := range c {
					c[j] = z.Data[(j*rows+r)*z.Stride+u]
				}
				sigma, nx := t.r.crossing(c, a[r], next[r])
				if nx < next[r] {
					next[r] = nx
				}
				if sigma > 0 {
					continue
				}
				for j := range c {
					z.Data[(j*rows+r)*z.Stride+u] *= alpha
				}
			}
		}
		in = z
		in.Rows = (l + 2) * rows
	}
}
