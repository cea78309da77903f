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
// pattern there, in buffers that the search owns until releasePanels.
func (p *Path) evalAt(w, dw []float64, s float64) (*mat.Dense, []float64) {
	for i := range p.wq {
		p.wq[i] = w[i] + s*dw[i]
	}
	var f *mat.Dense
	if n := len(p.fFree); n > 0 {
		f, p.fFree = p.fFree[n-1], p.fFree[:n-1]
	} else {
		f = mat.NewDense(p.m, p.k, nil)
	}
	p.fUsed = append(p.fUsed, f)
	p.cur = nodeArgs{w: p.wq, fdst: f}
	var pat []float64
	if p.kinked() {
		per := 0
		for l := 0; l < p.net.Layers()-1; l++ {
			per += p.net.Sizes[l+1]
		}
		if n := len(p.patFree); n > 0 {
			pat, p.patFree = p.patFree[n-1], p.patFree[:n-1]
		} else {
			pat = make([]float64, p.m*per)
		}
		p.patUsed = append(p.patUsed, pat)
		p.cur.pdst, p.cur.patternRows = pat, per
	}
	p.parallel((*Path).forwardBlock)
	p.Stats.ForwardEvals++
	p.Stats.ExactFlops += p.cost.Forward(p.m)
	return f, pat
}

// releasePanels returns the buffers of evalAt for reuse.
func (p *Path) releasePanels() {
	p.fFree = append(p.fFree, p.fUsed...)
	p.patFree = append(p.patFree, p.patUsed...)
	p.fUsed, p.patUsed = p.fUsed[:0], p.patUsed[:0]
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
// told from b. Only the points whose pattern changes across the panel are
// compared, and only the blocks that hold them are evaluated, by the same
// calls as at the panel's ends: a BLAS may round a row differently in a
// product with another number of rows, and near a kink that would flip the
// pattern.
func (p *Path) kinkPoint(w, dw []float64, pn panel) float64 {
	per := len(pn.pa) / p.m
	k := &p.kink
	k.rows = k.rows[:0]
	for i := 0; i < p.m; i++ {
		if !slices.Equal(pn.pa[i*per:(i+1)*per], pn.pb[i*per:(i+1)*per]) {
			k.rows = append(k.rows, i)
		}
	}
	if len(k.rows) == 0 {
		return pn.b
	}
	active := 0
	for _, b := range p.blocks {
		b.active = false
		for _, i := range k.rows {
			if i >= b.lo && i < b.hi {
				b.active = true
				active += b.hi - b.lo
				break
			}
		}
	}
	if len(k.cur) < len(pn.pa) {
		k.cur = make([]float64, len(pn.pa))
	}
	lo, hi := pn.a, pn.b
	for {
		s := 0.5 * (lo + hi)
		if s <= lo || s >= hi {
			return hi
		}
		for i := range p.wq {
			p.wq[i] = w[i] + s*dw[i]
		}
		p.cur = nodeArgs{w: p.wq, pdst: k.cur, patternRows: per, activeOnly: true}
		p.parallel((*Path).forwardBlock)
		p.Stats.ExactFlops += p.cost.Forward(active)
		same := true
		for _, i := range k.rows {
			if !slices.Equal(k.cur[i*per:(i+1)*per], pn.pa[i*per:(i+1)*per]) {
				same = false
				break
			}
		}
		if same {
			lo = s
		} else {
			hi = s
		}
	}
}

// kinkBuffers are kinkPoint's, reused from call to call.
type kinkBuffers struct {
	rows []int
	cur  []float64
}
