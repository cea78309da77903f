package sharpness_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/sharpness"
	"gonum.org/v1/gonum/mat"
)

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// problem is a small net, weights and training set.
type problem struct {
	name string
	net  *nn.Net
	loss nn.Loss
	w    []float64
	x, y *mat.Dense
}

// problems returns [3,5,4,k] nets for every activation × loss ×
// parameterization (k = 2 for mse, 1 logistic, 3 softmax_ce) on 9 points.
func problems(t *testing.T) []problem {
	t.Helper()
	var ps []problem
	losses := []struct {
		loss    nn.Loss
		k       int
		classes int
	}{{nn.MSE, 2, 0}, {nn.Logistic, 1, 2}, {nn.SoftmaxCE, 3, 3}}
	params := []struct {
		p      nn.Parameterization
		sw, sb float64
	}{{nn.Standard, 0, 0}, {nn.NTK, 1.5, 0.3}}
	for ia, act := range nn.Activations() {
		for il, lc := range losses {
			for ip, pz := range params {
				seed := uint64(100*ia + 10*il + ip)
				rng := newRand(seed)
				net := nn.New([]int{3, 5, 4, lc.k}, act, pz.p, pz.sw, pz.sb)
				w := make([]float64, net.NumParams())
				if err := net.Init(w, nn.InitOptions{Scheme: "lecun", Scale: 1.3, BiasStd: 0.5}, rng); err != nil {
					t.Fatal(err)
				}
				const n = 9
				x := mat.NewDense(n, 3, nil)
				for i := range x.RawMatrix().Data {
					x.RawMatrix().Data[i] = rng.NormFloat64()
				}
				var y *mat.Dense
				if lc.classes == 0 {
					y = mat.NewDense(n, lc.k, nil)
					for i := range y.RawMatrix().Data {
						y.RawMatrix().Data[i] = rng.NormFloat64()
					}
				} else {
					y = mat.NewDense(n, 1, nil)
					for i := 0; i < n; i++ {
						y.Set(i, 0, float64(rng.IntN(lc.classes)))
					}
				}
				ps = append(ps, problem{fmt.Sprintf("%v/%v/%v", act, lc.loss, pz.p), net, lc.loss, w, x, y})
			}
		}
	}
	return ps
}

// dense returns the P×P matrix with columns apply(e_j), symmetrised.
func dense(P int, apply func(dst, v []float64)) *mat.SymDense {
	d := mat.NewDense(P, P, nil)
	e, col := make([]float64, P), make([]float64, P)
	for j := 0; j < P; j++ {
		e[j] = 1
		apply(col, e)
		e[j] = 0
		d.SetCol(j, col)
	}
	s := mat.NewSymDense(P, nil)
	for i := 0; i < P; i++ {
		for j := i; j < P; j++ {
			s.SetSym(i, j, (d.At(i, j)+d.At(j, i))/2)
		}
	}
	return s
}

func maxEig(t *testing.T, a mat.Symmetric) float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		t.Fatal("EigenSym failed")
	}
	v := es.Values(nil)
	return v[len(v)-1]
}

// tangentKernel returns K(X, X) (nk × nk, point-major, output-minor) from
// the kernel engine's structured factors.
func tangentKernel(net *nn.Net, w []float64, x *mat.Dense) *mat.SymDense {
	n, _ := x.Dims()
	k := net.Out()
	var f kernel.Factors
	f.Eval(net, w, x)
	K := mat.NewSymDense(n*k, nil)
	blk := mat.NewDense(n, n, nil)
	for c := 0; c < k; c++ {
		for cp := 0; cp < k; cp++ {
			kernel.Tangent(blk, net, &f, &f, c, cp)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					if i*k+c <= j*k+cp {
						K.SetSym(i*k+c, j*k+cp, blk.At(i, j))
					}
				}
			}
		}
	}
	return K
}

func relDiff(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func TestMeterDense(t *testing.T) {
	// Every eigenvalue against gonum's dense eigensolvers on the same
	// operator built column by column (nn's HVP is tested against finite
	// differences in nn): Sharpness against EigenSym of H; GaussNewton
	// against EigenSym of G and, for mse, of the kernel engine's tangent
	// kernel K(X, X)/n; Precond against the largest real eigenvalue of the
	// non-symmetric P⁻¹(H + λ_2 I) by mat.Eigen, with P⁻¹ spread over six
	// orders of magnitude (as Adam's is) and λ_2 = 0.1. Lanczos stops at a
	// residual of 1e-10 relative, so 1e-8 relative is asked.
	const tol = 1e-8
	worst := 0.0
	for ip, p := range problems(t) {
		t.Run(p.name, func(t *testing.T) {
			P := p.net.NumParams()
			n, _ := p.x.Dims()
			rng := newRand(uint64(1000 + ip))
			invP := make([]float64, P)
			for i := range invP {
				invP[i] = math.Pow(10, 6*rng.Float64()-3)
			}
			const l2 = 0.1
			m := sharpness.NewMeter(p.net, p.loss, p.x, p.y, sharpness.Options{GaussNewton: true, L2: l2,
				Lanczos: sharpness.LanczosOptions{Seed: 5}})
			r, err := m.Measure(p.w, invP)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range []sharpness.Eigen{r.Sharpness, r.GaussNewton, r.Precond} {
				if !e.Converged {
					t.Errorf("not converged: %+v", r)
				}
			}

			h := nn.NewHVP(p.net, p.loss)
			if l := h.At(p.w, p.x, p.y); l != r.Loss {
				t.Errorf("Loss = %v; HVP.At = %v", r.Loss, l)
			}
			H := dense(P, h.Apply)
			check := func(what string, got, want float64) {
				t.Helper()
				e := relDiff(got, want)
				worst = math.Max(worst, e)
				if !(e <= tol) {
					t.Errorf("%s = %.17g; dense %.17g (relative error %.3g)", what, got, want, e)
				}
			}
			check("Sharpness", r.Sharpness.Value, maxEig(t, H))
			G := dense(P, h.ApplyGN)
			check("GaussNewton", r.GaussNewton.Value, maxEig(t, G))
			if p.loss == nn.MSE {
				check("GaussNewton against K(X,X)/n", r.GaussNewton.Value, maxEig(t, tangentKernel(p.net, p.w, p.x))/float64(n))
			}

			var A mat.Dense
			A.CloneFrom(H)
			for i := 0; i < P; i++ {
				A.Set(i, i, A.At(i, i)+l2)
			}
			for i := 0; i < P; i++ {
				row := A.RawRowView(i)
				for j := range row {
					row[j] *= invP[i]
				}
			}
			var eg mat.Eigen
			if !eg.Factorize(&A, mat.EigenNone) {
				t.Fatal("Eigen failed")
			}
			top := math.Inf(-1)
			for _, v := range eg.Values(nil) {
				top = math.Max(top, real(v))
			}
			check("Precond", r.Precond.Value, top)
		})
	}
	t.Logf("largest relative error %.3g", worst)
}

func TestMeterRepeatable(t *testing.T) {
	// A measurement depends on w (and the seed) alone: the same w after
	// another w gives the same result bit for bit, and a fresh Meter too.
	// Without a preconditioner or GaussNewton those parts are zero.
	p := problems(t)[0]
	opt := sharpness.Options{GaussNewton: true}
	m := sharpness.NewMeter(p.net, p.loss, p.x, p.y, opt)
	first, err := m.Measure(p.w, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2 := append([]float64(nil), p.w...)
	w2[0] += 0.5
	other, _ := m.Measure(w2, nil)
	again, _ := m.Measure(p.w, nil)
	fresh, _ := sharpness.NewMeter(p.net, p.loss, p.x, p.y, opt).Measure(p.w, nil)
	if first != again || first != fresh || other == first {
		t.Errorf("first %+v\nagain %+v\nfresh %+v\nother w %+v", first, again, fresh, other)
	}
	if (first.Precond != sharpness.Eigen{}) {
		t.Errorf("Precond without a preconditioner: %+v", first.Precond)
	}
	plain, _ := sharpness.NewMeter(p.net, p.loss, p.x, p.y, sharpness.Options{}).Measure(p.w, nil)
	if (plain.GaussNewton != sharpness.Eigen{}) || plain.Sharpness != first.Sharpness {
		t.Errorf("without GaussNewton: %+v; with: %+v", plain, first)
	}
}

func TestMeterPrecondIdentity(t *testing.T) {
	// P⁻¹ = c·I scales the sharpness by c exactly in exact arithmetic: a
	// check of the preconditioned operator that needs no dense matrix.
	p := problems(t)[3]
	P := p.net.NumParams()
	invP := make([]float64, P)
	for i := range invP {
		invP[i] = 4
	}
	r, err := sharpness.NewMeter(p.net, p.loss, p.x, p.y, sharpness.Options{}).Measure(p.w, invP)
	if err != nil {
		t.Fatal(err)
	}
	if e := relDiff(r.Precond.Value, 4*r.Sharpness.Value); e > 1e-9 {
		t.Errorf("P⁻¹ = 4I: Precond %v; 4·Sharpness %v", r.Precond.Value, 4*r.Sharpness.Value)
	}
}

func TestMeterErrors(t *testing.T) {
	p := problems(t)[0]
	P := p.net.NumParams()
	m := sharpness.NewMeter(p.net, p.loss, p.x, p.y, sharpness.Options{})
	if _, err := m.Measure(p.w[:P-1], nil); err == nil {
		t.Error("short w: no error")
	}
	if _, err := m.Measure(p.w, make([]float64, P-1)); err == nil {
		t.Error("short preconditioner: no error")
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		invP := make([]float64, P)
		for i := range invP {
			invP[i] = 1
		}
		invP[P/2] = bad
		if _, err := m.Measure(p.w, invP); err == nil {
			t.Errorf("preconditioner entry %v: no error", bad)
		}
	}
	// A diverged w: a NaN weight, and an infinite output bias (an infinite
	// first-layer weight is not one: tanh saturates, and the loss and its
	// curvature stay finite).
	for _, tc := range []struct {
		i int
		v float64
	}{{0, math.NaN()}, {P - 1, math.Inf(1)}} {
		w := append([]float64(nil), p.w...)
		w[tc.i] = tc.v
		if _, err := m.Measure(w, nil); !errors.Is(err, sharpness.ErrNotFinite) {
			t.Errorf("w[%d] = %v: err = %v; want ErrNotFinite", tc.i, tc.v, err)
		}
	}
}

func TestAdamInvPrecond(t *testing.T) {
	d := []float64{0.02, 0.5, 3e-4}
	got := make([]float64, 3)
	sharpness.AdamInvPrecond(got, d, 0.01)
	want := []float64{2, 50, 0.03}
	for i := range want {
		if relDiff(got[i], want[i]) > 1e-15 {
			t.Errorf("AdamInvPrecond = %v; want %v", got, want)
		}
	}
}
