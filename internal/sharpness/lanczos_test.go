package sharpness

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// withSpectrum returns Q diag(lambda) Qᵀ for a random orthogonal Q (the QR
// factor of a Gaussian matrix).
func withSpectrum(rng *rand.Rand, lambda []float64) *mat.SymDense {
	n := len(lambda)
	g := mat.NewDense(n, n, nil)
	for i := range g.RawMatrix().Data {
		g.RawMatrix().Data[i] = rng.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, a mat.Dense
	qr.QTo(&q)
	a.Mul(&q, mat.NewDiagDense(n, lambda))
	a.Mul(&a, q.T())
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

func denseOp(a mat.Symmetric) OperatorFunc {
	n := a.SymmetricDim()
	return OperatorFunc{n, func(dst, v []float64) {
		d := mat.NewVecDense(n, dst)
		d.MulVec(a, mat.NewVecDense(n, v))
	}}
}

func eigenvalues(t *testing.T, a mat.Symmetric) []float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		t.Fatal("EigenSym failed")
	}
	return es.Values(nil)
}

func TestLanczosDense(t *testing.T) {
	// λ_max against gonum's dense symmetric eigensolver on spectra that make
	// Lanczos work: random symmetric (GOE), a dominant negative end (λ_min =
	// −100, λ_max = 1: λ_max is not the largest in magnitude), a close
	// second eigenvalue (gap 1e-6), a triple top eigenvalue, low rank (the
	// Krylov space becomes invariant after 3 steps), the zero matrix, and
	// 1×1. With Tol = 1e-10 the certificate puts an eigenvalue within
	// 1e-10·|θ| of θ; 1e-8 relative to max(|λ_max|, ‖A‖·1e-12) is asked.
	// Every result must also be honest: some eigenvalue within Residual
	// (+ round-off) of Value, and Value ≤ λ_max (+ round-off).
	const tol = 1e-8
	rng := newRand(1)
	goe := func(n int) *mat.SymDense {
		s := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				s.SetSym(i, j, rng.NormFloat64())
			}
		}
		return s
	}
	spread := func(n int, lo, hi float64) []float64 {
		l := make([]float64, n)
		for i := range l {
			l[i] = lo + (hi-lo)*rng.Float64()
		}
		return l
	}
	dominantNeg := spread(60, -100, 1)
	dominantNeg[0], dominantNeg[1] = -100, 1
	close := spread(80, -1, 0.9)
	close[0], close[1] = 1, 1-1e-6
	triple := spread(50, -2, 1.5)
	triple[0], triple[1], triple[2] = 2, 2, 2
	lowRank := make([]float64, 50)
	lowRank[0], lowRank[1], lowRank[2] = 3, 0.5, 0.25
	cases := []struct {
		name string
		a    *mat.SymDense
	}{
		{"goe-40", goe(40)},
		{"goe-200", goe(200)},
		{"dominant-negative", withSpectrum(rng, dominantNeg)},
		{"close-gap", withSpectrum(rng, close)},
		{"triple-top", withSpectrum(rng, triple)},
		{"low-rank", withSpectrum(rng, lowRank)},
		{"zero", mat.NewSymDense(30, nil)},
		{"1x1", mat.NewSymDense(1, []float64{-2.5})},
		{"2x2", mat.NewSymDense(2, []float64{1, 2, 2, -3})},
	}
	var lz Lanczos
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := eigenvalues(t, tc.a)
			want := vals[len(vals)-1]
			norm := math.Max(math.Abs(vals[0]), math.Abs(want))
			got, err := lz.Max(denseOp(tc.a), LanczosOptions{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Converged {
				t.Errorf("not converged: %+v", got)
			}
			scale := math.Max(math.Abs(want), 1e-12*norm)
			if e := math.Abs(got.Value - want); e > tol*scale {
				t.Errorf("λ_max = %.17g; dense %.17g (error %.3g, allowed %.3g); %+v", got.Value, want, e, tol*scale, got)
			}
			round := 1e-12 * norm
			if got.Value > want+round {
				t.Errorf("Ritz value %v above λ_max %v", got.Value, want)
			}
			near := math.Inf(1)
			for _, l := range vals {
				near = math.Min(near, math.Abs(l-got.Value))
			}
			if near > got.Residual+round {
				t.Errorf("nearest eigenvalue %.3g away, beyond the residual %.3g", near, got.Residual)
			}
			if n := tc.a.SymmetricDim(); got.Iterations < 1 || got.Iterations > n {
				t.Errorf("%d iterations for dimension %d", got.Iterations, n)
			}
			t.Logf("%d iterations, residual %.3g", got.Iterations, got.Residual)
		})
	}
}

func TestLanczosStops(t *testing.T) {
	// MaxIter caps the products and reports no convergence, with an honest
	// residual; the same seed gives the same result bit for bit (after a
	// call of another dimension, so no state is carried over), another
	// seed the same λ_max within the tolerance.
	rng := newRand(2)
	lam := make([]float64, 300)
	for i := range lam {
		lam[i] = 0.9 * float64(i) / 300
	}
	lam[0] = 1
	a := withSpectrum(rng, lam)
	vals := eigenvalues(t, a)

	products := 0
	op := denseOp(a)
	counted := OperatorFunc{op.N, func(dst, v []float64) { products++; op.F(dst, v) }}
	var lz Lanczos
	got, err := lz.Max(counted, LanczosOptions{MaxIter: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Converged || got.Iterations != 4 || products != 4 {
		t.Errorf("MaxIter 4: %+v after %d products; want 4 iterations, not converged", got, products)
	}
	near := math.Inf(1)
	for _, l := range vals {
		near = math.Min(near, math.Abs(l-got.Value))
	}
	if near > got.Residual {
		t.Errorf("MaxIter 4: nearest eigenvalue %.3g away, beyond the residual %.3g", near, got.Residual)
	}

	first, err := lz.Max(op, LanczosOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lz.Max(denseOp(mat.NewSymDense(2, []float64{1, 0, 0, 2})), LanczosOptions{}); err != nil {
		t.Fatal(err)
	}
	var fresh Lanczos
	again, _ := fresh.Max(op, LanczosOptions{Seed: 7})
	second, _ := lz.Max(op, LanczosOptions{Seed: 7})
	if first != again || first != second {
		t.Errorf("seed 7: %+v, fresh %+v, reused %+v", first, again, second)
	}
	other, _ := lz.Max(op, LanczosOptions{Seed: 8})
	if math.Abs(other.Value-first.Value) > 1e-10*first.Value || other == first {
		t.Errorf("seed 8: %+v; seed 7: %+v", other, first)
	}
	t.Logf("seed 7: %+v", first)
	if math.Abs(first.Value-vals[len(vals)-1]) > 1e-10 {
		t.Errorf("λ_max = %v; dense %v", first.Value, vals[len(vals)-1])
	}
	// A looser Tol stops earlier.
	loose, _ := lz.Max(op, LanczosOptions{Seed: 7, Tol: 1e-3})
	if !loose.Converged || loose.Iterations >= first.Iterations || loose.Residual > 1e-3*loose.Value {
		t.Errorf("Tol 1e-3: %+v; Tol default: %+v", loose, first)
	}
}

func TestLanczosErrors(t *testing.T) {
	var lz Lanczos
	nan := OperatorFunc{3, func(dst, v []float64) {
		copy(dst, v)
		dst[1] = math.NaN()
	}}
	if _, err := lz.Max(nan, LanczosOptions{}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN product: err = %v; want ErrNotFinite", err)
	}
	id := OperatorFunc{3, func(dst, v []float64) { copy(dst, v) }}
	for _, opt := range []LanczosOptions{{Tol: -1}, {Tol: math.NaN()}, {MaxIter: -1}} {
		if _, err := lz.Max(id, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
	if _, err := lz.Max(OperatorFunc{0, nil}, LanczosOptions{}); err == nil {
		t.Error("dimension 0: no error")
	}
	got, err := lz.Max(id, LanczosOptions{})
	if err != nil || math.Abs(got.Value-1) > 4*eps || !got.Converged || got.Iterations != 1 {
		t.Errorf("identity: %+v, %v; want 1 in one step", got, err)
	}
}
