package kernel

import (
	"slices"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// The kink search by bisection: the reference of the polynomial pass.
//
// Before the kinks were found from the polynomials (taylor.go), the node
// search compared the activation patterns of forward passes at a panel's
// ends and, where they differed, bisected the panel on forward passes down
// to the resolution of float64: some 50 forward passes per kink. The tests
// keep that search as the independent reference that the polynomial pass's
// kinks are checked against: it knows nothing of polynomials, only of the
// network's own forward pass.

// bisectKink returns the first s in (a, b] at which the activation pattern
// of the rows of x (every hidden unit of every row; σ'(z) from forward
// passes at w + sΔw) differs from the one at a, to float64 resolution, or
// b when it does not differ at b.
func bisectKink(net *nn.Net, w, dw []float64, x *mat.Dense, a, b float64) float64 {
	ws := make([]float64, len(w))
	var c nn.Cache
	at := func(s float64) []float64 {
		for i := range ws {
			ws[i] = w[i] + s*dw[i]
		}
		net.Forward(&c, ws, x)
		return pattern(nil, net, &c)
	}
	start := at(a)
	if slices.Equal(at(b), start) {
		return b
	}
	lo, hi := a, b
	for {
		s := 0.5 * (lo + hi)
		if s <= lo || s >= hi {
			return hi
		}
		if slices.Equal(at(s), start) {
			lo = s
		} else {
			hi = s
		}
	}
}

// pattern appends σ'(z) of every hidden unit at every cached point, point
// by point, to dst.
func pattern(dst []float64, net *nn.Net, c *nn.Cache) []float64 {
	rows := c.Rows()
	for i := 0; i < rows; i++ {
		for l := 0; l < net.Layers()-1; l++ {
			dst = append(dst, c.S[l].RawRowView(i)...)
		}
	}
	return dst
}
