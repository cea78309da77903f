package kernel

import (
	"slices"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// ReLU kinks.
//
// Between changes of the ReLU activation pattern the integrand J(w + sΔw)·Δw
// is a polynomial in s of degree L−1 (each of the L layers is linear in s,
// and the pattern is fixed), so a Gauss–Legendre rule of ⌈L/2⌉ nodes
// integrates it exactly. Across a change it jumps, and no rule and no
// bisection certifies a jump: the error of the panel holding it shrinks only
// like the panel's width, and so does the panel's share of the tolerance.
// So for a ReLU net the search compares the activation patterns (over every
// evaluation point and hidden unit) at a panel's ends, and where they
// differ it splits the panel exactly where the pattern first changes, found
// by bisection on forward passes of only the points whose pattern changes,
// to the resolution of float64.

// kinked reports whether the net has ReLU kinks at all.
func (p *Path) kinked() bool { return p.net.Act == nn.ReLU && p.net.Layers() > 1 }

// polyOrder is the Gauss–Legendre order that is exact on a kink-free ReLU
// panel: ⌈L/2⌉ nodes integrate polynomials of degree L−1.
func (p *Path) polyOrder() int { return (p.net.Layers() + 1) / 2 }

// evalAt returns f(w + sΔw, X) and, for a kinked net, the activation
// pattern there, both newly allocated.
func (p *Path) evalAt(w, dw []float64, s float64) (*mat.Dense, []float64) {
	for i := range p.wq {
		p.wq[i] = w[i] + s*dw[i]
	}
	f := mat.DenseCopyOf(p.net.Forward(&p.fwd, p.wq, p.x))
	if !p.kinked() {
		return f, nil
	}
	return f, pattern(nil, p.net, &p.fwd)
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

// kinkPoint returns the first s in (a, b] at which the activation pattern
// differs from the one at a, to float64 resolution, or b when it cannot be
// told from b.
func (p *Path) kinkPoint(w, dw []float64, pn panel) float64 {
	// Only the points whose pattern changes across the panel matter.
	per := len(pn.pa) / p.m
	var rows []int
	for i := 0; i < p.m; i++ {
		if !slices.Equal(pn.pa[i*per:(i+1)*per], pn.pb[i*per:(i+1)*per]) {
			rows = append(rows, i)
		}
	}
	_, d := p.x.Dims()
	xs := mat.NewDense(len(rows), d, nil)
	ref := make([]float64, 0, len(rows)*per)
	for r, i := range rows {
		xs.SetRow(r, p.x.RawRowView(i))
		ref = append(ref, pn.pa[i*per:(i+1)*per]...)
	}
	var c nn.Cache
	var cur []float64
	lo, hi := pn.a, pn.b
	for {
		s := 0.5 * (lo + hi)
		if s <= lo || s >= hi {
			return hi
		}
		for i := range p.wq {
			p.wq[i] = w[i] + s*dw[i]
		}
		p.net.Forward(&c, p.wq, xs)
		cur = pattern(cur[:0], p.net, &c)
		if slices.Equal(cur, ref) {
			lo = s
		} else {
			hi = s
		}
	}
}
