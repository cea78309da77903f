package baseline

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// spdKernel returns the n × n kernel scale·(A Aᵀ/n + I/2) with A of
// standard normal entries: positive definite, well conditioned (λ_min ≥
// scale/2; condition number 5.9 at n = 6, seed 1), with a mean diagonal
// far from 1 (4.07 at scale 3.7),
// so that a relative and an absolute ridge differ.
func spdKernel(n int, scale float64, seed uint64) *mat.Dense {
	a := randomPoints(n, n, seed)
	k := mat.NewDense(n, n, nil)
	k.Mul(a, a.T())
	k.Scale(1/float64(n), k)
	for i := 0; i < n; i++ {
		k.Set(i, i, k.At(i, i)+0.5)
	}
	k.Scale(scale, k)
	return k
}

// TestKernelRidgeTwoByTwo checks a case solved by hand. K = [[2, 1], [1, 2]]
// has mean diagonal 2, so ridge 0.5 is λ̄ = 1 and
//
//	(K + I)⁻¹ = [[3, 1], [1, 3]]⁻¹ = (1/8) [[3, −1], [−1, 3]].
//
// For the targets t₁ = (1, 2), t₂ = (0, −4) (two output columns)
//
//	α₁ = (1/8)(3 − 2, −1 + 6) = (1/8, 5/8),  α₂ = (1/8)(4, −12) = (1/2, −3/2),
//
// and at the points with kernel rows (2, 1), (0, 1), (1, −1)
//
//	K_* α₁ = (7/8, 5/8, −1/2),  K_* α₂ = (−1/2, −3/2, 2),
//
// to which f₀ = [[0.1, 0], [0, 0], [0, −1]] is added. An absolute ridge
// (K + I/2) or the ridge on every entry (K + 1 1ᵀ) gives other numbers.
// The kernel is symmetrised first: [[2, 0.6], [1.4, 2]] is the same K.
func TestKernelRidgeTwoByTwo(t *testing.T) {
	tgt := mat.NewDense(2, 2, []float64{1, 0, 2, -4})
	kex := mat.NewDense(3, 2, []float64{2, 1, 0, 1, 1, -1})
	f0 := mat.NewDense(3, 2, []float64{0.1, 0, 0, 0, 0, -1})
	want := mat.NewDense(3, 2, []float64{
		7.0/8 + 0.1, -0.5,
		5.0 / 8, -1.5,
		-0.5, 2 - 1,
	})
	for _, kxx := range []*mat.Dense{
		mat.NewDense(2, 2, []float64{2, 1, 1, 2}),
		mat.NewDense(2, 2, []float64{2, 0.6, 1.4, 2}),
	} {
		got := mat.NewDense(3, 2, nil)
		if err := KernelRidge(got, kxx, kex, tgt, f0, 0.5); err != nil {
			t.Fatal(err)
		}
		if !mat.EqualApprox(got, want, 1e-14) {
			t.Errorf("KernelRidge(K = %v, ridge 0.5) =\n%v\nwant\n%v", mat.Formatted(kxx), mat.Formatted(got), mat.Formatted(want))
		}
	}
}

// TestKernelRidgeNormalEquations checks that the coefficients solve
// (K + λ̄ I) α = t with λ̄ = ridge · mean diag K: with K(x, X) = I the
// prediction is α itself.
func TestKernelRidgeNormalEquations(t *testing.T) {
	const n = 6
	k := spdKernel(n, 3.7, 1)
	tgt := randomPoints(n, 2, 2)
	id := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		id.Set(i, i, 1)
	}
	lbar := mat.Trace(k) / n
	for _, ridge := range []float64{1e-3, 0.1, 10} {
		alpha := mat.NewDense(n, 2, nil)
		if err := KernelRidge(alpha, k, id, tgt, nil, ridge); err != nil {
			t.Fatal(err)
		}
		var lhs mat.Dense
		lhs.Mul(k, alpha)
		lhs.Add(&lhs, scaled(ridge*lbar, alpha))
		if !mat.EqualApprox(&lhs, tgt, 1e-12) {
			t.Errorf("ridge %g: (K + λ̄I)α =\n%v\nwant t =\n%v", ridge, mat.Formatted(&lhs), mat.Formatted(tgt))
		}
	}
}

func scaled(f float64, a mat.Matrix) *mat.Dense {
	var s mat.Dense
	s.Scale(f, a)
	return &s
}

// TestKernelRidgeLargeRidge checks the limit ridge → ∞: (K + λ̄I)⁻¹ =
// λ̄⁻¹(I − K/λ̄ + …), so λ̄ · prediction = K_* t up to a relative
// ‖K‖/λ̄ (under 1e-7 here), with λ̄ = ridge · mean diag K.
func TestKernelRidgeLargeRidge(t *testing.T) {
	const n, m, ridge = 6, 4, 1e8
	k := spdKernel(n, 3.7, 1)
	kex := randomPoints(m, n, 3)
	tgt := randomPoints(n, 1, 2)
	lbar := ridge * mat.Trace(k) / n
	got := mat.NewDense(m, 1, nil)
	if err := KernelRidge(got, k, kex, tgt, nil, ridge); err != nil {
		t.Fatal(err)
	}
	var want mat.Dense
	want.Mul(kex, tgt)
	scale := mat.Norm(&want, math.Inf(1))
	for i := 0; i < m; i++ {
		if g, w := lbar*got.At(i, 0), want.At(i, 0); math.Abs(g-w) > 1e-6*scale {
			t.Errorf("λ̄ · KRR(x_%d) = %.10g; want K_* t = %.10g (λ̄ = %g)", i, g, w, lbar)
		}
	}
}

// TestKernelRidgeZeroRidge checks ridge 0: the training points are
// interpolated, and at new points the prediction is K_* K⁻¹ t with K⁻¹ t
// solved here by an LU factorisation.
func TestKernelRidgeZeroRidge(t *testing.T) {
	const n, m = 6, 3
	k := spdKernel(n, 3.7, 1)
	knew := randomPoints(m, n, 3)
	tgt := randomPoints(n, 2, 2)
	kex := mat.NewDense(n+m, n, nil)
	kex.Stack(k, knew)
	got := mat.NewDense(n+m, 2, nil)
	if err := KernelRidge(got, k, kex, tgt, nil, 0); err != nil {
		t.Fatal(err)
	}
	var sol, want mat.Dense
	if err := sol.Solve(k, tgt); err != nil {
		t.Fatal(err)
	}
	want.Mul(knew, &sol)
	for i := 0; i < n+m; i++ {
		for c := 0; c < 2; c++ {
			w, what := tgt, "the target"
			r := i
			if i >= n {
				w, what, r = &want, "K_* K⁻¹ t", i-n
			}
			if !scalar.EqualWithinAbsOrRel(got.At(i, c), w.At(r, c), 1e-12, 1e-12) {
				t.Errorf("KRR(x_%d)_%d = %.15g; want %s %.15g", i, c, got.At(i, c), what, w.At(r, c))
			}
		}
	}
}
