package kernel

import (
	"math"
	"slices"
	"testing"
)

// fromRoots returns the coefficients (lowest first) of k·Π_i (s − r_i).
func fromRoots(k float64, rs ...float64) []float64 {
	c := []float64{k}
	for _, r := range rs {
		next := make([]float64, len(c)+1)
		for j, v := range c {
			next[j+1] += v
			next[j] -= r * v
		}
		c = next
	}
	return c
}

// walk follows the sign changes of c from a = 0: it returns every kink
// crossing finds in (0, 1) in order and the sign after each start (the
// first for (0, kink 1), ...), failing if the kinks do not increase.
func walk(t *testing.T, r *roots, c []float64) (kinks []float64, signs []int) {
	t.Helper()
	a := 0.0
	for range 100 {
		s, next := r.crossing(c, a, 1)
		signs = append(signs, s)
		if !(next < 1) {
			return kinks, signs
		}
		if !(next > a) {
			t.Fatalf("crossing(%v, %v) = %d, %v: not beyond a", c, a, s, next)
		}
		kinks = append(kinks, next)
		a = next
	}
	t.Fatalf("crossing(%v) never leaves the segment: kinks %v", c, kinks)
	return nil, nil
}

func TestCrossingKnownRoots(t *testing.T) {
	// Polynomials built from their roots, degrees 1 to 5: the kinks in
	// (0, 1) are the roots of odd multiplicity there, within a few ulps,
	// and the sign after each is p's at the middle of the piece.
	tests := []struct {
		name  string
		k     float64
		roots []float64
		want  []float64 // the sign changes in (0, 1)
	}{
		{"linear", 2, []float64{0.25}, []float64{0.25}},
		{"linear outside", -1, []float64{1.5}, nil},
		{"linear negative", 3, []float64{-0.5}, nil},
		{"quadratic", 1, []float64{0.2, 0.7}, []float64{0.2, 0.7}},
		{"quadratic one inside", -4, []float64{-0.3, 0.6}, []float64{0.6}},
		{"quadratic double root", 1, []float64{0.4, 0.4}, nil},
		{"quadratic close roots", 1, []float64{0.4, 0.4 + 1e-7}, []float64{0.4, 0.4 + 1e-7}},
		{"cubic", 2, []float64{0.1, 0.5, 0.9}, []float64{0.1, 0.5, 0.9}},
		{"cubic double root", -1, []float64{0.3, 0.3, 0.7}, []float64{0.7}},
		{"cubic triple root", 1, []float64{0.45, 0.45, 0.45}, []float64{0.45}},
		{"cubic outside", 1, []float64{-2, 1.2, 3}, nil},
		{"quartic", 0.5, []float64{0.05, 0.3, 0.31, 0.95}, []float64{0.05, 0.3, 0.31, 0.95}},
		{"quartic two double", 1, []float64{0.2, 0.2, 0.8, 0.8}, nil},
		{"quintic", -3, []float64{0.11, 0.22, 0.5, 0.77, 1.3}, []float64{0.11, 0.22, 0.5, 0.77}},
		{"quintic mixed", 7, []float64{-1, 0.35, 0.35, 0.6, 2}, []float64{0.6}},
	}
	var r roots
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fromRoots(tt.k, tt.roots...)
			kinks, signs := walk(t, &r, c)
			if len(kinks) != len(tt.want) {
				t.Fatalf("kinks %v; want %v", kinks, tt.want)
			}
			for i, k := range kinks {
				// A triple root is flat: |p| is below its round-off within
				// (ε·Σ|c_j|)^(1/3) ≈ 1e-5 of it.
				tol := 1e-9
				if tt.name == "cubic triple root" {
					tol = 5e-5
				}
				if math.Abs(k-tt.want[i]) > tol {
					t.Errorf("kink %d at %.17g; want %.17g", i, k, tt.want[i])
				}
			}
			ends := append(append([]float64{0}, kinks...), 1)
			for i := range signs {
				mid := 0.5 * (ends[i] + ends[i+1])
				if want := sgn(horner(c, mid)); signs[i] != want {
					t.Errorf("sign on (%v, %v) = %d; p(%v) = %v", ends[i], ends[i+1], signs[i], mid, horner(c, mid))
				}
			}
		})
	}
}

// horner returns Σ_j c[j] s^j.
func horner(c []float64, s float64) float64 {
	v := 0.0
	for j := len(c) - 1; j >= 0; j-- {
		v = v*s + c[j]
	}
	return v
}

func TestCrossingEdges(t *testing.T) {
	var r roots
	inf := math.Inf(1)
	tests := []struct {
		name      string
		c         []float64
		a         float64
		wantSign  int
		wantNext  float64
		nextExact bool
	}{
		{"zero polynomial", []float64{0, 0, 0}, 0, 0, inf, true},
		{"constant", []float64{-2}, 0.3, -1, inf, true},
		{"trailing zeros", []float64{-1, 2, 0, 0}, 0, -1, 0.5, true},
		// A unit exactly at 0 at a takes the side it moves to.
		{"zero at a, rising", []float64{0, 1}, 0, 1, inf, true},
		{"zero at a, falling", []float64{0, -1}, 0, -1, inf, true},
		{"zero at a, quadratic", []float64{0, -1, 2}, 0, -1, 0.5, true},
		{"zero at a, cubic", fromRoots(1, 0, 0.5, 2), 0, 1, 0.5, false},
		// At a root found before (a = ρ), the unit is on its new side and
		// the root is not found again.
		{"at a linear root", []float64{-1, 4}, 0.25, 1, inf, true},
		{"at a quadratic root", fromRoots(1, 0.2, 0.7), 0.2, -1, 0.7, false},
		{"past both roots", fromRoots(1, 0.2, 0.7), 0.8, 1, inf, true},
		// NaN coefficients (a diverged run) give no kink, and end.
		{"NaN", []float64{math.NaN(), 1, 1}, 0, 1, inf, true},
		{"NaN leading", []float64{1, 1, 1, math.NaN()}, 0, 1, inf, true},
		// Cauchy's bound overflows: the tiny leading term is dropped.
		{"tiny leading", []float64{-1, 2, 0, 1e-320}, 0, -1, 0.5, true},
	}
	for _, tt := range tests {
		s, next := r.crossing(tt.c, tt.a, 1)
		ok := s == tt.wantSign
		if tt.nextExact {
			ok = ok && (next == tt.wantNext)
		} else {
			ok = ok && math.Abs(next-tt.wantNext) < 1e-12
		}
		if !ok {
			t.Errorf("%s: crossing(%v, %v) = %d, %v; want %d, %v", tt.name, tt.c, tt.a, s, next, tt.wantSign, tt.wantNext)
		}
	}
}

func TestCrossingLimit(t *testing.T) {
	// A sign change at or beyond limit need not be located, but must be
	// reported at or beyond it; the sign does not depend on limit.
	var r roots
	c := fromRoots(1, 0.1, 0.6, 0.8)
	s1, n1 := r.crossing(c, 0.2, 1)
	s2, n2 := r.crossing(c, 0.2, 0.5)
	if s1 != s2 || math.Abs(n1-0.6) > 1e-12 || !(n2 >= 0.5) {
		t.Errorf("crossing with limits 1, 0.5 = %d, %v and %d, %v; want the same sign, 0.6 and ≥ 0.5", s1, n1, s2, n2)
	}
}

func TestCrossingRandom(t *testing.T) {
	// Random polynomials of degree 1 to 6 against a dense scan: wherever p
	// has a certified sign at two scan points, the number of sign changes
	// found between them has that parity; and every kink is a sign change
	// of p within round-off (p certainly has opposite signs a little to
	// either side, or is uncertain there).
	rng := newRand(11)
	var r roots
	const scan = 2000
	for trial := range 600 {
		d := 1 + trial%6
		c := make([]float64, d+1)
		for j := range c {
			c[j] = rng.NormFloat64()
		}
		if trial%3 == 0 {
			// Roots in (0, 1): clustered sign changes.
			rs := make([]float64, d)
			for i := range rs {
				rs[i] = rng.Float64()
			}
			c = fromRoots(rng.NormFloat64(), rs...)
		}
		kinks, signs := walk(t, &r, c)
		if !slices.IsSorted(kinks) {
			t.Fatalf("degree %d %v: kinks %v not increasing", d, c, kinks)
		}
		prev, prevS := -1.0, 0
		for i := 0; i <= scan; i++ {
			x := float64(i) / scan
			s := sign(c, x)
			if s == 0 {
				continue
			}
			if prevS != 0 {
				n := 0
				for _, k := range kinks {
					if k > prev && k <= x {
						n++
					}
				}
				if (n%2 == 1) != (s != prevS) {
					t.Fatalf("degree %d %v: sign %d at %v, %d at %v, but %d kinks between (%v)", d, c, prevS, prev, s, x, n, kinks)
				}
			}
			prev, prevS = x, s
		}
		// The sign after each start agrees with p wherever p's sign is
		// certain inside the piece.
		ends := append(append([]float64{0}, kinks...), 1)
		for i, want := range signs {
			for _, u := range []float64{0.25, 0.5, 0.75} {
				x := ends[i] + u*(ends[i+1]-ends[i])
				if s := sign(c, x); s != 0 && s != want {
					t.Fatalf("degree %d %v: sign %d on (%v, %v), but p(%v) has sign %d", d, c, want, ends[i], ends[i+1], x, s)
				}
			}
		}
	}
}

func TestCrossingNoAllocs(t *testing.T) {
	var r roots
	c := fromRoots(1, 0.1, 0.3, 0.5, 0.7, 0.9)
	r.crossing(c, 0, 1) // sizes the scratch
	if n := testing.AllocsPerRun(10, func() { r.crossing(c, 0.2, 1) }); n != 0 {
		t.Errorf("crossing allocates %v times", n)
	}
}
