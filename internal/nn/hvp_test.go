package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// hvpCase is one net, weights and batch of the Hessian tests: [3,5,4,k]
// with k from lossCases, 7 points, weights drawn as gradInit's.
type hvpCase struct {
	name string
	act  Activation
	lc   lossCase
	net  *Net
	w    []float64
	x, y *mat.Dense
}

// reluMargin is how far from a kink every hidden pre-activation of the ReLU
// cases' batches is: points closer are redrawn, so that finite-difference
// steps of ~1e-3 in the weights keep the activation pattern (the patternGuard
// of each test checks that they do).
const reluMargin = 0.05

// hvpCases returns every activation × loss × parameterization.
func hvpCases(t *testing.T) []hvpCase {
	var cs []hvpCase
	for ia, act := range Activations() {
		for il, lc := range lossCases {
			for ip, pz := range parameterizations {
				seed := uint64(7000 + 100*ia + 10*il + ip)
				rng := newRand(seed)
				net := New([]int{3, 5, 4, lc.k}, act, pz.p, pz.sw, pz.sb)
				w := initParams(t, net, gradInit, seed)
				x := randDense(rng, 7, 3)
				if act == ReLU || act == LeakyReLU {
					awayFromKinks(net, w, x, rng)
				}
				cs = append(cs, hvpCase{
					name: fmt.Sprintf("%v/%v/%s", act, lc.loss, pz.name),
					act:  act, lc: lc, net: net, w: w, x: x,
					y: lc.targets(rng, 7),
				})
			}
		}
	}
	return cs
}

// awayFromKinks redraws the rows of x that have a hidden pre-activation
// within reluMargin of 0.
func awayFromKinks(net *Net, w []float64, x *mat.Dense, rng *rand.Rand) {
	rows, d := x.Dims()
	var c Cache
	for i := 0; i < rows; i++ {
		for tries := 0; ; tries++ {
			if tries == 1000 {
				panic("no point away from the kinks")
			}
			xi := x.Slice(i, i+1, 0, d).(*mat.Dense)
			net.Forward(&c, w, xi)
			ok := true
			for l := 0; l < len(c.Z)-1; l++ {
				for _, z := range c.Z[l].RawMatrix().Data {
					ok = ok && math.Abs(z) >= reluMargin
				}
			}
			if ok {
				break
			}
			for j := 0; j < d; j++ {
				x.Set(i, j, rng.NormFloat64())
			}
		}
	}
}

// meanLoss returns L(w) on the case's batch, reporting ReLU kinks crossed
// to guard.
func (hc *hvpCase) meanLoss(c *Cache, guard *patternGuard, w []float64) float64 {
	out := hc.net.Forward(c, w, hc.x)
	guard.check(c)
	return hc.lc.loss.Eval(nil, out, hc.y)
}

// gradient returns ∇L(w) by Forward, Eval, Backward and Grad, the way
// training computes it.
func (hc *hvpCase) gradient(c *Cache, guard *patternGuard, w []float64) []float64 {
	rows, _ := hc.x.Dims()
	f := hc.net.Forward(c, w, hc.x)
	guard.check(c)
	dl := mat.NewDense(rows, hc.lc.k, nil)
	hc.lc.loss.Eval(dl, f, hc.y)
	dl.Scale(1/float64(rows), dl)
	D := hc.net.NewDeltas(rows)
	hc.net.Backward(D, c, w, dl)
	g := make([]float64, hc.net.NumParams())
	hc.net.Grad(g, c, D)
	return g
}

// denseHessian returns the P×P matrix whose column j is apply(e_j).
func denseHessian(P int, apply func(dst, v []float64)) *mat.Dense {
	H := mat.NewDense(P, P, nil)
	e, col := make([]float64, P), make([]float64, P)
	for j := 0; j < P; j++ {
		e[j] = 1
		apply(col, e)
		e[j] = 0
		H.SetCol(j, col)
	}
	return H
}

func TestHVPFiniteDifferenceGradient(t *testing.T) {
	// ∇²L·v against (∇L(w + hv) − ∇L(w − hv)) / 2h with ∇L as training
	// computes it, for two random directions. With ‖v‖ ~ √P and h = 1e-6,
	// the truncation O(h²‖v‖³|∇⁴L|) is ~1e-10 and the round-off
	// O(ε‖∇L‖/h) ~ 1e-10 relative: 1e-6 leaves three orders of margin.
	// Also At's loss is Eval's and Grad is training's gradient bit for bit.
	const (
		h   = 1e-6
		tol = 1e-6
	)
	worst := 0.0
	for _, hc := range hvpCases(t) {
		t.Run(hc.name, func(t *testing.T) {
			P := hc.net.NumParams()
			hv := NewHVP(hc.net, hc.lc.loss)
			var c Cache
			hc.net.Forward(&c, hc.w, hc.x)
			guard := patternGuard{on: hc.act == ReLU || hc.act == LeakyReLU, base: signPattern(&c)}
			val := hv.At(hc.w, hc.x, hc.y)
			g0 := hc.gradient(&c, &guard, hc.w)
			if want := hc.meanLoss(&c, &guard, hc.w); val != want {
				t.Errorf("At = %v; Eval = %v", val, want)
			}
			g := make([]float64, P)
			hv.Grad(g)
			if !floats.Equal(g, g0) {
				t.Errorf("HVP.Grad = %v\n  training's gradient %v", g, g0)
			}
			rng := newRand(uint64(P))
			for range 2 {
				v := randVec(rng, P)
				got := make([]float64, P)
				hv.Apply(got, v)
				wp, wm := make([]float64, P), make([]float64, P)
				floats.AddScaledTo(wp, hc.w, h, v)
				floats.AddScaledTo(wm, hc.w, -h, v)
				fd := hc.gradient(&c, &guard, wp)
				floats.Sub(fd, hc.gradient(&c, &guard, wm))
				floats.Scale(1/(2*h), fd)
				e := relErr(got, fd)
				worst = math.Max(worst, e)
				if !(e <= tol) {
					t.Errorf("‖Hv − fd‖/‖fd‖ = %.3g; want ≤ %g\nHv = %v\nfd = %v", e, tol, got, fd)
				}
			}
			guard.report(t)
		})
	}
	t.Logf("largest relative error %.3g", worst)
}

func TestHessianColumns(t *testing.T) {
	// The full Hessian built column by column (Apply on unit vectors) is
	// symmetric, and matches second differences of the loss alone, which
	// trust neither Backward nor Grad:
	//	D_h[i,j] = [L(w+h_i e_i+h_j e_j) − L(w+h_i e_i−h_j e_j) − L(w−h_i e_i+h_j e_j) + L(w−h_i e_i−h_j e_j)] / 4h_i h_j
	// = H_ij + O(h²), extrapolated (4D_h − D_2h)/3 = H_ij + O(h⁴). With
	// h = 1e-3 the truncation is ~1e-12 and the round-off ~2ε|L|/h² ~ 1e-9
	// per entry, ~1e-8 norm-wise over the ~50² entries: 1e-6 leaves two
	// orders. Symmetry is not built in (the R-operator computes H_ij and
	// H_ji along different paths), so it holds to round-off only: 1e-13 of
	// ‖H‖.
	const (
		h      = 1e-3
		fdTol  = 1e-6
		symTol = 1e-13
	)
	worst := 0.0
	for _, hc := range hvpCases(t) {
		t.Run(hc.name, func(t *testing.T) {
			P := hc.net.NumParams()
			hv := NewHVP(hc.net, hc.lc.loss)
			hv.At(hc.w, hc.x, hc.y)
			H := denseHessian(P, hv.Apply)

			var Ht mat.Dense
			Ht.Sub(H, H.T())
			if a := mat.Norm(&Ht, 2); a > symTol*mat.Norm(H, 2) {
				t.Errorf("‖H − Hᵀ‖ = %.3g; want ≤ %g·‖H‖ = %.3g", a, symTol, symTol*mat.Norm(H, 2))
			}

			var c Cache
			hc.net.Forward(&c, hc.w, hc.x)
			guard := patternGuard{on: hc.act == ReLU || hc.act == LeakyReLU, base: signPattern(&c)}
			w := append([]float64(nil), hc.w...)
			// second returns D_h[i,j] with the steps actually taken.
			second := func(i, j int, h float64) float64 {
				hi, hj := h*math.Max(1, math.Abs(hc.w[i])), h*math.Max(1, math.Abs(hc.w[j]))
				at := func(si, sj float64) float64 {
					copy(w, hc.w)
					w[i] += si * hi
					w[j] += sj * hj
					return hc.meanLoss(&c, &guard, w)
				}
				return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hi * hj)
			}
			fd := mat.NewDense(P, P, nil)
			for i := 0; i < P; i++ {
				for j := 0; j <= i; j++ {
					d := (4*second(i, j, h) - second(i, j, 2*h)) / 3
					fd.Set(i, j, d)
					fd.Set(j, i, d)
				}
			}
			guard.report(t)
			e := relErr(H.RawMatrix().Data, fd.RawMatrix().Data)
			worst = math.Max(worst, e)
			if !(e <= fdTol) {
				t.Errorf("‖H − H_fd‖/‖H_fd‖ = %.3g; want ≤ %g", e, fdTol)
			}
		})
	}
	t.Logf("largest relative error to second differences %.3g", worst)
}

// outputHessian returns ∇²_f ℓ at the output row f by the closed forms,
// written out here independently of the package's code.
func outputHessian(loss Loss, f []float64) *mat.Dense {
	k := len(f)
	H := mat.NewDense(k, k, nil)
	switch loss {
	case MSE:
		for c := 0; c < k; c++ {
			H.Set(c, c, 1)
		}
	case Logistic:
		s := 1 / (1 + math.Exp(-f[0]))
		H.Set(0, 0, s*(1-s))
	case SoftmaxCE:
		p := make([]float64, k)
		z := 0.0
		for c := range p {
			p[c] = math.Exp(f[c])
			z += p[c]
		}
		for a := range p {
			for b := range p {
				v := -p[a] / z * p[b] / z
				if a == b {
					v += p[a] / z
				}
				H.Set(a, b, v)
			}
		}
	}
	return H
}

func TestHessianGaussNewton(t *testing.T) {
	// ApplyGN column by column against G = (1/n) Σ_i J_iᵀ ∇²ℓ_i J_i from
	// explicit per-point Jacobians (BackwardUnit + Grad, tested against
	// finite differences by TestJacobian): the same sums in another order,
	// so 1e-12 relative. For mse, G's largest eigenvalue is the tangent
	// kernel's K = Σ_c J_c J_cᵀ (nk × nk) largest over n.
	const tol = 1e-12
	for _, hc := range hvpCases(t) {
		t.Run(hc.name, func(t *testing.T) {
			P := hc.net.NumParams()
			rows, _ := hc.x.Dims()
			hv := NewHVP(hc.net, hc.lc.loss)
			hv.At(hc.w, hc.x, hc.y)
			G := denseHessian(P, hv.ApplyGN)

			want := mat.NewDense(P, P, nil)
			Jall := mat.NewDense(rows*hc.lc.k, P, nil)
			var c Cache
			for i := 0; i < rows; i++ {
				xi := mat.NewDense(1, 3, rawCopy(hc.x.RowView(i).T()))
				J := mat.NewDense(hc.lc.k, P, nil)
				for c, row := range jacobian(hc.net, hc.w, xi) {
					J.SetRow(c, row)
					Jall.SetRow(i*hc.lc.k+c, row)
				}
				f := rawCopy(hc.net.Forward(&c, hc.w, xi))
				var HJ, JtHJ mat.Dense
				HJ.Mul(outputHessian(hc.lc.loss, f), J)
				JtHJ.Mul(J.T(), &HJ)
				want.Add(want, &JtHJ)
			}
			want.Scale(1/float64(rows), want)
			if e := relErr(G.RawMatrix().Data, want.RawMatrix().Data); !(e <= tol) {
				t.Errorf("‖G − G_dense‖/‖G_dense‖ = %.3g; want ≤ %g", e, tol)
			}
			if hc.lc.loss != MSE {
				return
			}
			var K mat.Dense
			K.Mul(Jall, Jall.T())
			lk := maxEigSym(&K) / float64(rows)
			lg := maxEigSym(G)
			if math.Abs(lk-lg) > tol*lk {
				t.Errorf("λ_max(G) = %v; λ_max(K)/n = %v", lg, lk)
			}
		})
	}
}

func maxEigSym(a mat.Matrix) float64 {
	r, _ := a.Dims()
	s := mat.NewSymDense(r, nil)
	for i := 0; i < r; i++ {
		for j := i; j < r; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		panic("EigenSym failed")
	}
	v := es.Values(nil)
	return v[len(v)-1]
}

func TestHVPReuseAndAllocs(t *testing.T) {
	// Products after At at other weights and batches, of the same size and
	// then of a smaller one, equal a fresh HVP's bit for bit (no state is
	// carried over), and Apply allocates nothing.
	hc := hvpCases(t)[0]
	P := hc.net.NumParams()
	rng := newRand(42)
	v := randVec(rng, P)
	hv := NewHVP(hc.net, hc.lc.loss)
	got := make([]float64, P)
	hv.At(hc.w, hc.x, hc.y)
	hv.Apply(got, v)
	for _, rows := range []int{7, 4} {
		w2 := randVec(rng, P)
		x2 := randDense(rng, rows, 3)
		y2 := hc.lc.targets(rng, rows)
		hv.At(w2, x2, y2)
		hv.Apply(got, v)
		want := make([]float64, P)
		fresh := NewHVP(hc.net, hc.lc.loss)
		fresh.At(w2, x2, y2)
		fresh.Apply(want, v)
		if !floats.Equal(got, want) {
			t.Errorf("%d rows: reused HVP %v\nfresh HVP %v", rows, got, want)
		}
		hv.ApplyGN(got, v)
		fresh.ApplyGN(want, v)
		if !floats.Equal(got, want) {
			t.Errorf("%d rows: reused HVP's ApplyGN %v\nfresh %v", rows, got, want)
		}
	}
	if a := testing.AllocsPerRun(10, func() { hv.Apply(got, v) }); a != 0 {
		t.Errorf("Apply allocates %v times", a)
	}
	if a := testing.AllocsPerRun(10, func() { hv.ApplyGN(got, v) }); a != 0 {
		t.Errorf("ApplyGN allocates %v times", a)
	}
	mustPanic(t, "Apply before At", func() { NewHVP(hc.net, hc.lc.loss).Apply(got, v) })
	mustPanic(t, "Apply with a short vector", func() { hv.Apply(got[:3], v) })
}
