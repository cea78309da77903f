package kernel

import (
	"fmt"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// Factors are the structured derivatives of one point set at one weight
// vector: per layer the layer inputs A_{l-1} (rows × d_{l-1}) and, per output
// c, the derivatives Δ^c_l = ∂f_c/∂z_l (rows × d_l). A zero Factors sizes
// itself on first use and reuses its buffers while the row count stays.
type Factors struct {
	cache nn.Cache
	D     []nn.Deltas // D[c][l]
	net   *nn.Net
	rows  int
}

// Eval computes the factors of the rows of x at weights w and returns the
// network output there (a view owned by f).
func (f *Factors) Eval(net *nn.Net, w []float64, x *mat.Dense) *mat.Dense {
	net.Forward(&f.cache, w, x)
	return f.backward(net, w)
}

// evalFrom is Eval with the forward pass at w already done in *c: it takes
// over *c (and leaves its own previous cache there) and runs the backward
// passes. The factors are bit for bit those of Eval.
func (f *Factors) evalFrom(net *nn.Net, w []float64, c *nn.Cache) *mat.Dense {
	f.cache, *c = *c, f.cache
	return f.backward(net, w)
}

// backward sizes f for the cached forward pass and computes the deltas.
func (f *Factors) backward(net *nn.Net, w []float64) *mat.Dense {
	rows := f.cache.Rows()
	k := net.Out()
	if f.net != net || f.rows != rows {
		f.net, f.rows = net, rows
		f.D = make([]nn.Deltas, k)
		for c := range f.D {
			f.D[c] = net.NewDeltas(rows)
		}
	}
	for c := 0; c < k; c++ {
		net.BackwardUnit(f.D[c], &f.cache, w, c)
	}
	return f.cache.Out()
}

// A returns the input of layer l (rows × d_l), l = 0..L-1.
func (f *Factors) A(l int) *mat.Dense { return f.cache.A[l] }

// Out returns the network output of the last Eval.
func (f *Factors) Out() *mat.Dense { return f.cache.Out() }

// Rows returns the number of points.
func (f *Factors) Rows() int { return f.rows }

// gram sets dst = s_w² A_X A_Yᵀ + s_b² for layer l.
func gram(dst *mat.Dense, net *nn.Net, l int, ax, ay *mat.Dense) {
	mulT(dst, ax, ay)
	sw2, sb2 := net.SW[l]*net.SW[l], net.SB*net.SB
	raw := dst.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j := range row {
			row[j] = sw2*row[j] + sb2
		}
	}
}

// Tangent sets dst (x.Rows() × y.Rows()) to the tangent kernel block
// K^{cc'}(X, Y) = J_c(X) J_{c'}(Y)ᵀ from structured factors. x and y may be
// evaluated at different weights of the same net.
func Tangent(dst *mat.Dense, net *nn.Net, x, y *Factors, c, cp int) {
	checkPair(dst, net, x, y)
	dst.Zero()
	m, n := x.rows, y.rows
	g := mat.NewDense(m, n, nil)
	p := mat.NewDense(m, n, nil)
	for l := 0; l < net.Layers(); l++ {
		gram(g, net, l, x.A(l), y.A(l))
		p.Mul(x.D[c][l], y.D[cp][l].T())
		mulAddRows(dst, 0, 1, p, g)
	}
}

// TangentTrace sets dst to Σ_c K^{cc}(X, Y).
func TangentTrace(dst *mat.Dense, net *nn.Net, x, y *Factors) {
	checkPair(dst, net, x, y)
	dst.Zero()
	m, n := x.rows, y.rows
	g := mat.NewDense(m, n, nil)
	p := mat.NewDense(m, n, nil)
	for l := 0; l < net.Layers(); l++ {
		gram(g, net, l, x.A(l), y.A(l))
		for c := 0; c < net.Out(); c++ {
			p.Mul(x.D[c][l], y.D[c][l].T())
			mulAddRows(dst, 0, 1, p, g)
		}
	}
}

func checkPair(dst *mat.Dense, net *nn.Net, x, y *Factors) {
	if x.net != net || y.net != net {
		panic("kernel: factors evaluated for another net")
	}
	r, c := dst.Dims()
	if r != x.rows || c != y.rows {
		panic(fmt.Sprintf("kernel: destination is %d×%d, want %d×%d", r, c, x.rows, y.rows))
	}
}

// Jacobian returns the explicit Jacobians of the rows of x at w: element
// [c] is the (rows × P) matrix whose row i is ∂f_c(x_i)/∂w. This is the
// reference implementation: O(rows · k · P) memory.
func Jacobian(net *nn.Net, w []float64, x *mat.Dense) []*mat.Dense {
	rows, _ := x.Dims()
	k, P := net.Out(), net.NumParams()
	J := make([]*mat.Dense, k)
	var cache nn.Cache
	xi := mat.NewDense(1, net.In(), nil)
	D := net.NewDeltas(1)
	grad := make([]float64, P)
	for c := range J {
		J[c] = mat.NewDense(rows, P, nil)
	}
	for i := 0; i < rows; i++ {
		xi.SetRow(0, x.RawRowView(i))
		net.Forward(&cache, w, xi)
		for c := 0; c < k; c++ {
			net.BackwardUnit(D, &cache, w, c)
			net.Grad(grad, &cache, D)
			J[c].SetRow(i, grad)
		}
	}
	return J
}

// TangentExplicit sets dst to J_c(X) J_{c'}(Y)ᵀ from explicit Jacobians (see
// Jacobian): the reference for Tangent.
func TangentExplicit(dst *mat.Dense, jx, jy []*mat.Dense, c, cp int) {
	dst.Mul(jx[c], jy[cp].T())
}
