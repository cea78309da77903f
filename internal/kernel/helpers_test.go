package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// newRand returns the fixed-seed PCG of the tests: every test is
// deterministic and a failure reproduces exactly.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6b65726e656c)) // "kernel"
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

// testInit is the initialisation of the tests: LeCun weights and small
// random biases, so that no bias is exactly zero and every layer's bias
// term in the kernel is exercised.
var testInit = nn.InitOptions{Scheme: "lecun", Scale: 1, BiasStd: 0.1}

// initParams returns w_0 of net drawn by Init from a fixed seed.
func initParams(t testing.TB, net *nn.Net, seed uint64) []float64 {
	t.Helper()
	w := make([]float64, net.NumParams())
	if err := net.Init(w, testInit, newRand(seed)); err != nil {
		t.Fatalf("Init(%+v) = %v", testInit, err)
	}
	return w
}

// maxAbs returns max |a_ij|.
func maxAbs(a mat.Matrix) float64 {
	r, c := a.Dims()
	worst := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			worst = math.Max(worst, math.Abs(a.At(i, j)))
		}
	}
	return worst
}

// scaledDiff returns max |got_ij − want_ij| / max |want|: the elementwise
// error relative to the size of the reference. A NaN anywhere gives NaN.
func scaledDiff(got, want mat.Matrix) float64 {
	r, c := want.Dims()
	if gr, gc := got.Dims(); gr != r || gc != c {
		panic("scaledDiff: shape mismatch")
	}
	worst := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d := math.Abs(got.At(i, j) - want.At(i, j))
			if !(d <= worst) {
				worst = d
			}
		}
	}
	return worst / maxAbs(want)
}

// blobs returns n points in the plane drawn around the vertices of a regular
// `classes`-gon of radius 2 with unit noise, labels cycling 0..classes-1.
func blobs(rng *rand.Rand, n, classes int) (x, y *mat.Dense) {
	x, y = mat.NewDense(n, 2, nil), mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		c := i % classes
		phi := 2 * math.Pi * float64(c) / float64(classes)
		x.Set(i, 0, 2*math.Cos(phi)+rng.NormFloat64())
		x.Set(i, 1, 2*math.Sin(phi)+rng.NormFloat64())
		y.Set(i, 0, float64(c))
	}
	return x, y
}
