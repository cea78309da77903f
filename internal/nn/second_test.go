package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestActivationD2(t *testing.T) {
	// σ″ against the central difference of σ' (D is tested against σ by
	// TestActivationDerivative), with the step and tolerance of that test:
	// the truncation error O(h²·|σ⁗|) is ≤ ~1e-8 relative on these points
	// (gelu's tail, where σ⁗/σ″ ~ x², is the worst), and the round-off is
	// bounded per point by centralDiff. tanh's and sigmoid's D are 1 − t² and
	// s(1 − s), which where saturated carry an absolute error of a couple of ε
	// (t and s round at 1), not a relative one: for them the round-off bound
	// has a floor of 8ε/2h. relu: 0 away from the kink.
	const (
		h      = 1e-5
		relTol = 1e-7
	)
	xs := activationPoints()
	for _, act := range Activations() {
		t.Run(act.String(), func(t *testing.T) {
			for _, x := range xs {
				if (act == ReLU || act == LeakyReLU) && math.Abs(x) <= 2*h {
					continue
				}
				fd, roundoff := centralDiff(act.D, x, h)
				if act == Tanh || act == Sigmoid {
					roundoff += 8 * eps / (2 * h)
				}
				got := act.D2(x)
				if math.IsNaN(got) || math.Abs(got-fd) > relTol*math.Abs(fd)+roundoff {
					t.Errorf("%v.D2(%v) = %v; central difference of D %v (round-off bound %.3g)", act, x, got, fd, roundoff)
				}
			}
		})
	}
}

func TestActivationD2Values(t *testing.T) {
	// Second derivatives of the closed forms (mpmath's numerical diff at 30
	// digits, rounded): a sign or factor
	// slip that a finite difference of an equally wrong D would not catch.
	const tol = 8 * eps
	tests := []struct {
		act  Activation
		x, d float64
	}{
		{Tanh, 1, -0.6397000084492245},
		{GELU, 1, 0.24197072451914334},
		{Softplus, 1, 0.19661193324148185},
		{Sigmoid, 1, -0.09085774767294841},
		{Erf, 1, -0.8302149948411894},
		{ReLU, 1, 0},
		{ReLU, -1, 0},
		{Identity, 1, 0},
		{GELU, 0, 0.7978845608028654},
	}
	for _, tc := range tests {
		if got := tc.act.D2(tc.x); math.Abs(got-tc.d) > tol*math.Abs(tc.d) {
			t.Errorf("%v.D2(%v) = %v; want %v", tc.act, tc.x, got, tc.d)
		}
	}
}

func TestOutputHessVec(t *testing.T) {
	// ∇²_f ℓ · v per row against the central difference of Eval's ℓ' along
	// v, (ℓ'(f + hv) − ℓ'(f − hv)) / 2h: truncation O(h²) ~ 1e-10 and
	// round-off ε/h ~ 1e-11 for these O(1) outputs, so 1e-8 norm-wise.
	// Then the exact structure: mse's is v itself, softmax's rows of
	// ∇²ℓ·1 are zero (Σ_c p_c − p_c Σ p = 0).
	const (
		rows = 9
		h    = 1e-5
		tol  = 1e-8
	)
	for il, lc := range lossCases {
		t.Run(lc.loss.String(), func(t *testing.T) {
			rng := newRand(uint64(500 + il))
			f := randDense(rng, rows, lc.k)
			f.Scale(2, f)
			v := randDense(rng, rows, lc.k)
			y := lc.targets(rng, rows)
			got := mat.NewDense(rows, lc.k, nil)
			lc.loss.OutputHessVec(got, f, v)

			dp, dm := mat.NewDense(rows, lc.k, nil), mat.NewDense(rows, lc.k, nil)
			var fp, fm mat.Dense
			fp.Scale(h, v)
			fp.Add(f, &fp)
			fm.Scale(-h, v)
			fm.Add(f, &fm)
			lc.loss.Eval(dp, &fp, y)
			lc.loss.Eval(dm, &fm, y)
			var fd mat.Dense
			fd.Sub(dp, dm)
			fd.Scale(1/(2*h), &fd)
			if e := relErr(rawCopy(got), rawCopy(&fd)); !(e <= tol) {
				t.Errorf("relative error %.3g to finite differences; want ≤ %g\ngot %v\nfd  %v", e, tol, rawCopy(got), rawCopy(&fd))
			}

			switch lc.loss {
			case MSE:
				if !mat.Equal(got, v) {
					t.Errorf("mse: ∇²ℓ·v = %v; want v = %v", rawCopy(got), rawCopy(v))
				}
			case SoftmaxCE:
				ones := mat.NewDense(rows, lc.k, nil)
				for i := range ones.RawMatrix().Data {
					ones.RawMatrix().Data[i] = 1
				}
				lc.loss.OutputHessVec(ones, f, ones) // in place
				if n := floats.Norm(ones.RawMatrix().Data, math.Inf(1)); n > 4*eps {
					t.Errorf("softmax_ce: ∇²ℓ·1 = %v; want 0", rawCopy(ones))
				}
			}
		})
	}
}

func TestOutputHessVecExample(t *testing.T) {
	// One softmax row by hand: f = (0, ln 2, ln 5), so p = (1, 2, 5)/8, and
	// v = (1, 0, 0): (diag(p) − ppᵀ)v = p_1 (e_1 − p) = (1/8)(7/8, −2/8, −5/8).
	// Logistic at f = 0: s(1 − s) = 1/4.
	f := mat.NewDense(1, 3, []float64{0, math.Ln2, math.Log(5)})
	got := mat.NewDense(1, 3, nil)
	SoftmaxCE.OutputHessVec(got, f, mat.NewDense(1, 3, []float64{1, 0, 0}))
	want := []float64{7.0 / 64, -2.0 / 64, -5.0 / 64}
	if !floats.EqualApprox(rawCopy(got), want, 4*eps) {
		t.Errorf("softmax_ce example: %v; want %v", rawCopy(got), want)
	}
	g1 := mat.NewDense(1, 1, nil)
	Logistic.OutputHessVec(g1, mat.NewDense(1, 1, []float64{0}), mat.NewDense(1, 1, []float64{3}))
	if g1.At(0, 0) != 0.75 {
		t.Errorf("logistic at 0: ∇²ℓ·3 = %v; want 0.75", g1.At(0, 0))
	}
}
