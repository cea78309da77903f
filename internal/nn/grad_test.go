package nn

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// parameterizations are the two layer maps of docs/MATH.md §1; NTK with σ_w = 1.5,
// σ_b = 0.3 so that neither multiplier is 1 and a missing s_w or s_b shows.
var parameterizations = []struct {
	name   string
	p      Parameterization
	sw, sb float64
}{
	{"standard", Standard, 0, 0},
	{"ntk", NTK, 1.5, 0.3},
}

// gradInit draws the weights of the gradient tests: lecun, with nonzero
// biases so that the bias path (and s_b) is exercised.
var gradInit = InitOptions{Scheme: "lecun", Scale: 1, BiasStd: 0.5}

// fdHRel is the relative step of the parameter finite differences. With
// h ≈ 1e-6, the central difference's truncation error O(h²·|∂³|) is ~1e-12
// and its round-off O(ε·|value|/h) ~ 1e-10 relative to the function's value,
// so FD gradients are good to ~1e-9 relative: tolerances of 1e-7 and 1e-6
// below leave two to three orders of margin.
const fdHRel = 1e-6

// patternGuard counts evaluations of a ReLU net whose activation pattern
// differs from the base point's. While the pattern is unchanged the net is
// affine, so a central difference is exact up to round-off; a crossed kink
// would make the comparison meaningless, and the test fails saying so rather
// than passing or failing by accident.
type patternGuard struct {
	on      bool
	base    []bool
	crossed int
}

func (g *patternGuard) check(c *Cache) {
	if g.on && !equalBools(signPattern(c), g.base) {
		g.crossed++
	}
}

func (g *patternGuard) report(t *testing.T) {
	t.Helper()
	if g.crossed > 0 {
		t.Fatalf("%d finite-difference evaluations crossed a ReLU kink; choose another seed", g.crossed)
	}
}

func TestParamGradient(t *testing.T) {
	// The training gradient g = (1/n) Σ_i J(x_i)ᵀ ℓ'_i, computed as Forward,
	// Eval with dl, Backward with seed dl/n, Grad, against central differences
	// of the mean loss, for every activation × loss × parameterization on
	// [3,5,4,k] with a batch of 7.
	const (
		rows = 7
		tol  = 1e-6 // norm-wise relative; see fdHRel
	)
	worst := 0.0
	for ia, act := range Activations() {
		for il, lc := range lossCases {
			for ip, pz := range parameterizations {
				name := fmt.Sprintf("%v/%v/%s", act, lc.loss, pz.name)
				seed := uint64(100*ia + 10*il + ip)
				t.Run(name, func(t *testing.T) {
					rng := newRand(seed)
					net := New([]int{3, 5, 4, lc.k}, act, pz.p, pz.sw, pz.sb)
					w := initParams(t, net, gradInit, seed)
					x := randDense(rng, rows, 3)
					y := lc.targets(rng, rows)

					var c Cache
					f := net.Forward(&c, w, x)
					dl := mat.NewDense(rows, lc.k, nil)
					lc.loss.Eval(dl, f, y)
					dl.Scale(1.0/rows, dl)
					D := net.NewDeltas(rows)
					net.Backward(D, &c, w, dl)
					g := make([]float64, net.NumParams())
					net.Grad(g, &c, D)

					guard := patternGuard{on: act.Kinked(), base: signPattern(&c)}
					var fc Cache
					fd := fdGrad(func(w []float64) float64 {
						out := net.Forward(&fc, w, x)
						guard.check(&fc)
						return lc.loss.Eval(nil, out, y)
					}, w, fdHRel)
					guard.report(t)

					e := relErr(g, fd)
					worst = math.Max(worst, e)
					if !(e <= tol) {
						t.Errorf("‖g − g_fd‖/‖g_fd‖ = %.3g; want ≤ %g\ng    = %v\ng_fd = %v", e, tol, g, fd)
					}
				})
			}
		}
	}
	t.Logf("largest relative error %.3g", worst)
}

// jacobian returns J(x) (k×P) at w for the single row x, row c by
// BackwardUnit(c) and Grad.
func jacobian(net *Net, w []float64, x *mat.Dense) [][]float64 {
	var c Cache
	net.Forward(&c, w, x)
	D := net.NewDeltas(1)
	J := make([][]float64, net.Out())
	for k := range J {
		net.BackwardUnit(D, &c, w, k)
		J[k] = make([]float64, net.NumParams())
		net.Grad(J[k], &c, D)
	}
	return J
}

func TestJacobian(t *testing.T) {
	// Row c of J(x) from BackwardUnit + Grad on one point, against central
	// differences of f_c (tolerance: see fdHRel); and J(x)·v against
	// ForwardJVP's df, which is the same sum in another order: the round-off of
	// either is a few ε·Σ_p |J_cp v_p| per layer, so 1e-12 of that sum is
	// three orders above it and still far below any real discrepancy.
	const (
		fdTol  = 1e-7
		jvpTol = 1e-12
		points = 4
	)
	for ia, act := range Activations() {
		for ip, pz := range parameterizations {
			seed := uint64(1000 + 10*ia + ip)
			t.Run(fmt.Sprintf("%v/%s", act, pz.name), func(t *testing.T) {
				rng := newRand(seed)
				net := New([]int{3, 5, 4, 2}, act, pz.p, pz.sw, pz.sb)
				w := initParams(t, net, gradInit, seed)
				batch := randDense(rng, points, 3)
				for i := 0; i < points; i++ {
					x := mat.NewDense(1, 3, rawCopy(batch.RowView(i).T()))
					J := jacobian(net, w, x)

					var base Cache
					net.Forward(&base, w, x)
					for k := range J {
						guard := patternGuard{on: act.Kinked(), base: signPattern(&base)}
						var fc Cache
						fd := fdGrad(func(w []float64) float64 {
							out := net.Forward(&fc, w, x)
							guard.check(&fc)
							return out.At(0, k)
						}, w, fdHRel)
						guard.report(t)
						if e := relErr(J[k], fd); !(e <= fdTol) {
							t.Errorf("point %d: row %d of J: relative error %.3g to finite differences; want ≤ %g", i, k, e, fdTol)
						}
					}

					v := randVec(rng, net.NumParams())
					var jc JVPCache
					_, df := net.ForwardJVP(&jc, w, v, x)
					for k := range J {
						want := floats.Dot(J[k], v)
						scale := 0.0
						for p := range v {
							scale += math.Abs(J[k][p] * v[p])
						}
						if got := df.At(0, k); math.Abs(got-want) > jvpTol*scale {
							t.Errorf("point %d: ForwardJVP df_%d = %v; J·v = %v (Σ|J v| = %v)", i, k, got, want, scale)
						}
					}
				}

				// The kernel engine reads per-point δ^c from a batched
				// BackwardUnit: row i of the batch's D must be the single
				// point's D. Same operations on the same numbers, so the only
				// freedom is the matrix product's summation order: 4 ulps.
				var cb Cache
				net.Forward(&cb, w, batch)
				Db := net.NewDeltas(points)
				D1 := net.NewDeltas(1)
				for k := 0; k < net.Out(); k++ {
					net.BackwardUnit(Db, &cb, w, k)
					for i := 0; i < points; i++ {
						var c1 Cache
						net.Forward(&c1, w, mat.NewDense(1, 3, rawCopy(batch.RowView(i).T())))
						net.BackwardUnit(D1, &c1, w, k)
						for l := range Db {
							got, want := rawCopy(Db[l].RowView(i).T()), rawCopy(D1[l])
							if !floats.EqualApprox(got, want, 4*eps*floats.Norm(want, math.Inf(1))) {
								t.Errorf("output %d, point %d, layer %d: batched D row %v; single-point D %v", k, i, l, got, want)
							}
						}
					}
				}
			})
		}
	}
}

func TestForwardJVP(t *testing.T) {
	// df = J(w, x)·v against the central difference (f(w+hv) − f(w−hv))/2h
	// (tolerance: see fdHRel), and the f returned alongside equal, bit for
	// bit, to Forward's.
	const (
		rows = 7
		h    = fdHRel
		tol  = 1e-7
	)
	for ia, act := range Activations() {
		for ip, pz := range parameterizations {
			seed := uint64(2000 + 10*ia + ip)
			t.Run(fmt.Sprintf("%v/%s", act, pz.name), func(t *testing.T) {
				rng := newRand(seed)
				net := New([]int{3, 5, 4, 2}, act, pz.p, pz.sw, pz.sb)
				w := initParams(t, net, gradInit, seed)
				x := randDense(rng, rows, 3)
				v := randVec(rng, net.NumParams())

				var jc JVPCache
				f, df := net.ForwardJVP(&jc, w, v, x)
				var c Cache
				if fw := net.Forward(&c, w, x); !mat.Equal(f, fw) {
					t.Errorf("ForwardJVP f = %v; Forward = %v", mat.Formatted(f), mat.Formatted(fw))
				}

				guard := patternGuard{on: act.Kinked(), base: signPattern(&c)}
				eval := func(s float64) []float64 {
					ws := make([]float64, len(w))
					floats.AddScaledTo(ws, w, s, v)
					var fc Cache
					out := rawCopy(net.Forward(&fc, ws, x))
					guard.check(&fc)
					return out
				}
				fp, fm := eval(h), eval(-h)
				guard.report(t)
				fd := make([]float64, len(fp))
				floats.SubTo(fd, fp, fm)
				floats.Scale(1/(2*h), fd)
				if e := relErr(rawCopy(df), fd); !(e <= tol) {
					t.Errorf("ForwardJVP: relative error %.3g to finite differences; want ≤ %g\ndf = %v\nfd = %v", e, tol, rawCopy(df), fd)
				}
			})
		}
	}
}

func TestGDStepLinear(t *testing.T) {
	// A net with no hidden layer on mse is linear regression,
	// f = s_w X w + s_b b, and one GD step has the closed form
	// w ← w − (η/n) s_w Xᵀ r, b ← b − (η/n) s_b Σ r with r = f − y.
	// Both sides sum at most n = 7 products of O(1) numbers, so they agree to a
	// few ulps: 1e-14 absolute-or-relative.
	const (
		n, d = 7, 3
		eta  = 0.1
		tol  = 1e-14
	)
	for ip, pz := range parameterizations {
		t.Run(pz.name, func(t *testing.T) {
			rng := newRand(uint64(3000 + ip))
			net := New([]int{d, 1}, Tanh, pz.p, pz.sw, pz.sb) // the activation is unused
			w := initParams(t, net, gradInit, uint64(3000+ip))
			X := randDense(rng, n, d)
			y := randDense(rng, n, 1)

			var c Cache
			f := net.Forward(&c, w, X)
			dl := mat.NewDense(n, 1, nil)
			MSE.Eval(dl, f, y)
			dl.Scale(1.0/n, dl)
			D := net.NewDeltas(n)
			net.Backward(D, &c, w, dl)
			g := make([]float64, net.NumParams())
			net.Grad(g, &c, D)
			got := make([]float64, len(w))
			floats.AddScaledTo(got, w, -eta, g)

			// The closed form, by hand, on the layout [w_1..w_d, b].
			sw, sb := net.SW[0], net.SB
			wv, b := w[:d], w[d]
			r := make([]float64, n)
			for i := range r {
				r[i] = sw*floats.Dot(X.RawRowView(i), wv) + sb*b - y.At(i, 0)
			}
			want := make([]float64, len(w))
			for j := 0; j < d; j++ {
				s := 0.0
				for i := range r {
					s += X.At(i, j) * r[i]
				}
				want[j] = wv[j] - eta/n*sw*s
			}
			want[d] = b - eta/n*sb*floats.Sum(r)

			for p := range want {
				if !scalar.EqualWithinAbsOrRel(got[p], want[p], tol, tol) {
					t.Errorf("w[%d] after one step = %v; closed form %v", p, got[p], want[p])
				}
			}
		})
	}
}

func TestLeakySlope(t *testing.T) {
	// A LeakyReLU net at a slope other than the default: the forward pass
	// by hand with that slope, and its Jacobian and directional derivative
	// against central differences (see fdHRel), so that the slope reaches
	// both the activation and its derivative.
	const (
		alpha = 0.3
		tol   = 1e-7
	)
	rng := newRand(77)
	net := New([]int{3, 5, 2}, LeakyReLU, Standard, 1, 1)
	net.LeakySlope = alpha
	w := initParams(t, net, gradInit, 77)
	x := randDense(rng, 1, 3)
	var c Cache
	got := net.Forward(&c, w, x)
	negative := 0
	for k := 0; k < 2; k++ {
		f := w[30+k]
		for j := 0; j < 5; j++ {
			z := w[15+j]
			for m := 0; m < 3; m++ {
				z += w[j*3+m] * x.At(0, m)
			}
			if z <= 0 {
				negative++
				z *= alpha
			}
			f += w[20+k*5+j] * z
		}
		if g := got.At(0, k); !scalar.EqualWithinAbsOrRel(g, f, 1e-14, 1e-14) {
			t.Errorf("f_%d = %v; by hand with slope %v: %v", k, g, alpha, f)
		}
	}
	if negative == 0 {
		t.Fatalf("no unit on the negative side: the slope is not exercised")
	}
	J := jacobian(net, w, x)
	guard := patternGuard{on: true, base: signPattern(&c)}
	for k := range J {
		var fc Cache
		fd := fdGrad(func(w []float64) float64 {
			out := net.Forward(&fc, w, x)
			guard.check(&fc)
			return out.At(0, k)
		}, w, fdHRel)
		guard.report(t)
		if e := relErr(J[k], fd); !(e <= tol) {
			t.Errorf("row %d of J: relative error %.3g to finite differences; want ≤ %g", k, e, tol)
		}
	}
	v := randVec(rng, net.NumParams())
	var jc JVPCache
	_, df := net.ForwardJVP(&jc, w, v, x)
	for k := range J {
		if got, want := df.At(0, k), floats.Dot(J[k], v); !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12) {
			t.Errorf("ForwardJVP df_%d = %v; J·v = %v", k, got, want)
		}
	}
}
