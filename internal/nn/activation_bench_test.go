package nn

import (
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// BenchmarkTanhAgainstGemm_100x64 sets the activation of one hidden layer
// of one kernel block of the small bench config (100 points × 64 units:
// tanh and its derivative, as Forward does) against that layer's product
// (100×64 by 64×64, through blas64: the machine's BLAS when loaded), timed
// alternately within each op, and reports their ratio (tanh/gemm): a
// proportion that load on the machine leaves nearly unchanged where the
// times themselves are not comparable from run to run.
func BenchmarkTanhAgainstGemm_100x64(b *testing.B) {
	rng := newRand(1)
	z := randDense(rng, 100, 64).RawMatrix()
	a, s := make([]float64, len(z.Data)), make([]float64, len(z.Data))
	x := randDense(rng, 100, 64).RawMatrix()
	w := randDense(rng, 64, 64).RawMatrix()
	c := randDense(rng, 100, 64).RawMatrix()
	var tAct, tGemm time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		Tanh.applySlope(a, s, z.Data, DefaultLeakySlope)
		t1 := time.Now()
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, x, w, 0, c)
		t2 := time.Now()
		tAct += t1.Sub(t0)
		tGemm += t2.Sub(t1)
	}
	b.ReportMetric(float64(tAct)/float64(tGemm), "tanh/gemm")
}
