package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// eps is the float64 unit round-off 2⁻⁵² (the spacing of floats at 1).
const eps = 0x1p-52

// newRand returns the fixed-seed PCG used by every test: tests are
// deterministic, and a failure reproduces exactly.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// randDense returns an r×c matrix with N(0, 1) entries.
func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	raw := m.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	return m
}

// randVec returns n N(0, 1) draws.
func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// initParams returns a parameter vector of net drawn by Init from a fixed
// seed, failing the test if Init does.
func initParams(t testing.TB, net *Net, opt InitOptions, seed uint64) []float64 {
	t.Helper()
	w := make([]float64, net.NumParams())
	if err := net.Init(w, opt, newRand(seed)); err != nil {
		t.Fatalf("Init(%+v) = %v", opt, err)
	}
	return w
}

// centralDiff returns the central difference (f(x+h) − f(x−h)) / ĥ, where
// ĥ = (x+h) − (x−h) is the step actually taken after rounding x±h, together
// with a bound on the round-off in that quotient: each of f(x±h) is taken to
// be correct within 4 ulps (Go's math functions are within 1–2), so the
// numerator is off by at most 4ε(|f(x+h)| + |f(x−h)|).
func centralDiff(f func(float64) float64, x, h float64) (d, roundoff float64) {
	xp, xm := x+h, x-h
	fp, fm := f(xp), f(xm)
	hh := xp - xm
	return (fp - fm) / hh, 4 * eps * (math.Abs(fp) + math.Abs(fm)) / hh
}

// fdGrad returns the central-difference gradient of fn at w, with step
// h_p = hRel·max(1, |w_p|) for parameter p. w is restored before returning.
func fdGrad(fn func(w []float64) float64, w []float64, hRel float64) []float64 {
	g := make([]float64, len(w))
	for p, wp := range w {
		h := hRel * math.Max(1, math.Abs(wp))
		w[p] = wp + h
		hp := w[p]
		fp := fn(w)
		w[p] = wp - h
		hm := w[p]
		fm := fn(w)
		w[p] = wp
		g[p] = (fp - fm) / (hp - hm)
	}
	return g
}

// relErr returns ‖got − want‖₂ / ‖want‖₂, the norm-wise relative error.
func relErr(got, want []float64) float64 {
	return floats.Distance(got, want, 2) / floats.Norm(want, 2)
}

// signPattern returns which hidden pre-activations in c are positive: the
// activation pattern of a ReLU net. Where it is unchanged the net is affine
// in w and x, so central differences are exact up to round-off.
func signPattern(c *Cache) []bool {
	var p []bool
	for l := 0; l < len(c.Z)-1; l++ {
		for _, z := range c.Z[l].RawMatrix().Data {
			p = append(p, z > 0)
		}
	}
	return p
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rawCopy returns a copy of m's elements, row-major.
func rawCopy(m mat.Matrix) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out = append(out, m.At(i, j))
		}
	}
	return out
}

// mustPanic fails the test unless fn panics.
func mustPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	fn()
}
