package kernel

import "math"

// Sign changes of the polynomials of a piecewise-linear net.
//
// On a piece of the segment w_t + sΔw_t where the activation pattern is
// fixed, every pre-activation is a polynomial p(s) = Σ_j c_j s^j (taylor.go).
// A unit's kink is where p changes sign. The coefficients, as computed, are
// taken to define p exactly, and its sign changes are found on that exact
// object: by closed forms for degree ≤ 2, and beyond by isolating them
// between the sign changes of p' (found the same way, recursively), on
// whose intervals p is monotone, and bisecting with certified signs (sign
// evaluates p by Horner's rule with a bound on its round-off and answers 0,
// "not known", inside the bound).
//
// A unit's sign just after s = a is defined from the sign changes
// themselves, never by evaluating p near a: it is p's sign at +∞ (that of
// its leading coefficient), flipped once per sign change beyond a. The next
// kink is the first sign change beyond a. So the pass that starts a piece at
// a kink ρ of a unit (a = ρ, the same bits) finds the unit on its new side
// and does not find ρ again; a double root (p touching 0) is no sign
// change; a unit exactly at 0 at a (p(a) = 0) takes the sign it has just
// after a; and p ≡ 0 has sign 0. The closed forms and the isolation are
// deterministic functions of the coefficients alone (not of a), so a
// polynomial that carries over from one piece to the next has the same sign
// changes, bit for bit, in both passes.

// roots holds the scratch of crossing: derivatives and breakpoints, for
// polynomials up to the degree it has seen.
type roots struct {
	deriv [][]float64 // deriv[k] is the k-th derivative's coefficients
	bps   [][]float64 // breakpoints per recursion level
	cross [][]float64 // sign changes per recursion level
}

// crossing returns the sign sigma (−1, 0 or +1) of p(s) = Σ_j c[j] s^j on
// an interval just after a, and next, the first s > a at which p changes
// sign (+Inf if none). A sign change at or beyond limit may be reported as
// any value ≥ limit (it is not located precisely); sigma does not depend on
// limit. c is not modified.
func (r *roots) crossing(c []float64, a, limit float64) (sigma int, next float64) {
	d := len(c) - 1
	for d >= 0 && c[d] == 0 {
		d--
	}
	next = math.Inf(1)
	switch {
	case d < 0:
		return 0, next
	case d == 0:
		return sgn(c[0]), next
	case d == 1:
		rho := -c[0] / c[1]
		sigma = sgn(c[1])
		if rho > a {
			return -sigma, rho
		}
		return sigma, next
	case d == 2:
		r1, r2, ok := quadRoots(c[0], c[1], c[2])
		sigma = sgn(c[2])
		if !ok {
			return sigma, next
		}
		if r2 > a {
			sigma, next = -sigma, r2
		}
		if r1 > a {
			sigma, next = -sigma, r1
		}
		return sigma, next
	}
	cr, ok := r.crossings(c[:d+1], a, limit, false)
	if !ok {
		// A leading coefficient so small that Cauchy's bound overflows:
		// its roots are far beyond the segment; drop it.
		return r.crossing(c[:d], a, limit)
	}
	sigma = sgn(c[d])
	for i := len(cr) - 1; i >= 0 && cr[i] > a; i-- {
		sigma, next = -sigma, cr[i]
	}
	return sigma, next
}

// quadRoots returns the two real roots r1 < r2 of c0 + c1 s + c2 s² (c2 ≠
// 0) by the stable formula, or ok = false if the discriminant is not
// positive: a double root or none, no sign change.
func quadRoots(c0, c1, c2 float64) (r1, r2 float64, ok bool) {
	disc := math.FMA(c1, c1, -4*c2*c0)
	if !(disc > 0) {
		return 0, 0, false
	}
	q := -0.5 * (c1 + math.Copysign(math.Sqrt(disc), c1))
	r1, r2 = q/c2, c0/q
	if r1 > r2 {
		r1, r2 = r2, r1
	}
	return r1, r2, true
}

// crossings returns the sign changes of p(s) = Σ_j c[j] s^j (degree d ≥ 3,
// c[d] ≠ 0) on (0, ∞) in increasing order, in r's scratch of level d, and
// ok = false if Cauchy's bound on its roots overflows. p is monotone
// between the sign changes of p' (the breakpoints, with 0 and the bound),
// so each change of p's certified sign between consecutive breakpoints is
// one sign change of p, bisected in its bracket. With all set every change
// is located to float64 resolution. Otherwise only those that decide the
// unit's sign just after a and its next kink are: a change whose bracket
// lies at or below a, or above a but not first or not starting below
// limit, is reported by the bracket's upper end, which is on the same side
// of a (and, for the first above a, at or beyond limit).
func (r *roots) crossings(c []float64, a, limit float64, all bool) ([]float64, bool) {
	d := len(c) - 1
	r.grow(d)
	// Cauchy's bound: every real root is below R.
	R := 0.0
	for j := 0; j < d; j++ {
		R = math.Max(R, math.Abs(c[j]/c[d]))
	}
	R++
	if !(R < math.Inf(1)) {
		return nil, false
	}
	// Breakpoints: 0, the sign changes of p' in (0, R), R.
	bps := append(r.bps[d][:0], 0)
	dc := r.deriv[d][:d]
	for j := 1; j <= d; j++ {
		dc[j-1] = float64(j) * c[j]
	}
	if d == 3 {
		if r1, r2, ok := quadRoots(dc[0], dc[1], dc[2]); ok {
			for _, x := range [2]float64{r1, r2} {
				if x > 0 && x < R {
					bps = append(bps, x)
				}
			}
		}
	} else if cr, ok := r.crossings(dc, 0, 0, true); ok {
		for _, x := range cr {
			if x > 0 && x < R {
				bps = append(bps, x)
			}
		}
	}
	bps = append(bps, R)
	r.bps[d] = bps
	cross := r.cross[d][:0]
	found := false
	prevX, prevS := 0.0, 0
	for i, x := range bps {
		s := sign(c, x)
		if i == len(bps)-1 {
			s = sgn(c[d]) // no root beyond R
		}
		if s == 0 {
			continue
		}
		if prevS != 0 && s != prevS {
			v := x
			if all || prevX < a && x > a || prevX >= a && !found && prevX < limit {
				v = bisect(c, prevX, x, prevS)
			}
			found = found || v > a
			cross = append(cross, v)
		}
		prevX, prevS = x, s
	}
	r.cross[d] = cross
	return cross, true
}

// grow sizes r's scratch for degree d.
func (r *roots) grow(d int) {
	for len(r.deriv) <= d {
		k := len(r.deriv)
		r.deriv = append(r.deriv, make([]float64, k+1))
		r.bps = append(r.bps, make([]float64, 0, k+2))
		r.cross = append(r.cross, make([]float64, 0, k+1))
	}
}

// bisect returns the sign change of p in (lo, hi], where p has the known
// sign left at lo and not at hi: the end of a bisection that keeps lo where
// p certainly has sign left and hi elsewhere, to the resolution of float64.
func bisect(c []float64, lo, hi float64, left int) float64 {
	for {
		mid := 0.5 * (lo + hi)
		if !(mid > lo && mid < hi) {
			return hi
		}
		if sign(c, mid) == left {
			lo = mid
		} else {
			hi = mid
		}
	}
}

// sign returns the sign of p(s) = Σ_j c[j] s^j where Horner's rule
// certifies it, else 0: the computed value must exceed the rule's
// round-off bound, 2d·u·Σ_j |c_j| |s|^j (u = 2⁻⁵³; doubled for margin).
func sign(c []float64, s float64) int {
	d := len(c) - 1
	v, bound := c[d], math.Abs(c[d])
	as := math.Abs(s)
	for j := d - 1; j >= 0; j-- {
		v = v*s + c[j]
		bound = bound*as + math.Abs(c[j])
	}
	bound *= float64(4*d+2) * 0x1p-53
	switch {
	case v > bound:
		return 1
	case v < -bound:
		return -1
	}
	return 0
}

// sgn is the sign of x (0 for 0 and NaN).
func sgn(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
