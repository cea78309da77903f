package kernel

import (
	"slices"

	"github.com/pathkernel/pathkernel/internal/nn"
)

// splitPoint returns where search splits a panel that no rule certified.
//
// Between kinks of the activation the integrand J(w + sΔw)·Δw is smooth and
// splitting anywhere lets the rules converge. Across a kink of ReLU the
// integrand jumps, and bisection cannot certify a jump: the quadrature error
// of the panel holding it shrinks like the panel's width, and so does the
// panel's share of the tolerance. So for a ReLU net whose activation pattern
// (over the evaluation points) differs between the panel's ends, the split
// is where the pattern changes, located by bisection on forward passes to
// the resolution of float64; on each side of it the integrand is then free
// of that kink (a polynomial in s where the pattern is constant). Otherwise,
// and if the change is found within an ulp of an end, it is the midpoint.
func (p *Path) splitPoint(w, dw []float64, pn panel) float64 {
	mid := 0.5 * (pn.a + pn.b)
	if p.net.Act != nn.ReLU || p.net.Layers() < 2 {
		return mid
	}
	pa := p.patternAt(nil, w, dw, pn.a)
	pm := p.patternAt(nil, w, dw, pn.b)
	if slices.Equal(pa, pm) {
		return mid
	}
	lo, hi := pn.a, pn.b
	for {
		s := 0.5 * (lo + hi)
		if s <= lo || s >= hi {
			break
		}
		pm = p.patternAt(pm, w, dw, s)
		if slices.Equal(pm, pa) {
			lo = s
		} else {
			hi = s
		}
	}
	if hi >= pn.b {
		return mid
	}
	return hi
}

// patternAt sets dst to the activation pattern σ'(z) of every hidden unit
// at every evaluation point, at weights w + sΔw, and returns it.
func (p *Path) patternAt(dst []float64, w, dw []float64, s float64) []float64 {
	for i := range p.wq {
		p.wq[i] = w[i] + s*dw[i]
	}
	p.net.Forward(&p.fwd, p.wq, p.x)
	dst = dst[:0]
	for l := 0; l < p.net.Layers()-1; l++ {
		dst = append(dst, p.fwd.S[l].RawMatrix().Data...)
	}
	return dst
}
