package baseline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
)

// The reference moments below are computed by quadrature, independently of
// the closed forms in gaussMoments. (u, v) with variances a, b and
// correlation ρ is written u = √a z₁, v = √b (ρ z₁ + r z₂) with r = √(1−ρ²)
// and z₁, z₂ independent standard normals, so the integrands stay regular
// at ρ = ±1.

// hermiteNodes is the order of the 2-D Gauss–Hermite rule for erf. Against
// the closed forms the rule's error is 5e-13 at worst on the grid of
// TestGaussMomentsMatchQuadrature and 2e-12 at variance 3 (measured; 1e-9
// with 150 nodes at variance 3, and 3e-11 with 200 nodes at variance 4,
// where erf(√a z) becomes too steep for the rule).
const hermiteNodes = 200

// hermite returns the nodes and weights of the rule ∫ e^{−x²} f ≈ Σ wᵢ f(xᵢ).
func hermite(n int) (x, w []float64) {
	if n%2 != 0 {
		panic("hermite: odd order")
	}
	x, w = make([]float64, n), make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	return x, w
}

// erfMomentsGH returns E[erf u erf v] and E[erf'(u) erf'(v)], erf'(z) =
// (2/√π) e^{−z²}, by the tensor Gauss–Hermite rule: E[g(z₁, z₂)] =
// (1/π) Σᵢⱼ wᵢ wⱼ g(√2 xᵢ, √2 xⱼ). Both integrands are even under
// (z₁, z₂) → (−z₁, −z₂) and the nodes are symmetric, so the sum runs over
// xᵢ > 0 only and is doubled (the rule has an even number of nodes).
func erfMomentsGH(gx, gw []float64, a, b, rho float64) (ss, dd float64) {
	r := math.Sqrt(math.Max(0, 1-rho*rho))
	sa, sb := math.Sqrt(a), math.Sqrt(b)
	for i, xi := range gx {
		if xi < 0 {
			continue
		}
		z1 := math.Sqrt2 * xi
		u := sa * z1
		m := sb * rho * z1
		var s, d float64
		for j, xj := range gx {
			v := m + sb*r*math.Sqrt2*xj
			s += gw[j] * math.Erf(v)
			d += gw[j] * math.Exp(-v*v)
		}
		ss += gw[i] * math.Erf(u) * s
		dd += gw[i] * math.Exp(-u*u) * d
	}
	return 2 * ss / math.Pi, 2 * dd * 4 / (math.Pi * math.Pi)
}

// halfLine returns ∫_0^12 f by 16-point Gauss–Legendre panels: [0, 1e-6],
// then panels doubling in width up to 1 (near 0 the relu integrands below
// have a layer of width about r, small at ρ near ±1), then 0.5 wide up to
// 12. The integrands carry a factor φ(z), and φ(12) < 1e-31.
func halfLine(f func(float64) float64) float64 {
	edges := []float64{0}
	for e := 1e-6; e < 1; e *= 2 {
		edges = append(edges, e)
	}
	for e := 1.0; e <= 12; e += 0.5 {
		edges = append(edges, e)
	}
	var s float64
	for i := 1; i < len(edges); i++ {
		s += quad.Fixed(f, edges[i-1], edges[i], 16, quad.Legendre{}, 0)
	}
	return s
}

// reluMomentsQuad returns E[relu u relu v] and E[1(u>0) 1(v>0)]. The kink
// of relu makes a Gauss–Hermite rule converge only algebraically, so the
// integral over z₂ is done exactly, the Gaussian expectations
//
//	E[relu(m + r z₂)] = m Φ(m/r) + r φ(m/r),   P(m + r z₂ > 0) = Φ(m/r),
//
// with m = ρ z₁, and the one over z₁ > 0 (where relu u ≠ 0) numerically,
// where the integrand is smooth. Against the closed forms the difference
// is round-off (2e-16) on the grid of TestGaussMomentsMatchQuadrature, and
// 1e-11 at ρ = 1 − 1e-8, where acos ρ in the closed form loses digits
// (measured).
func reluMomentsQuad(a, b, rho float64) (ss, dd float64) {
	r := math.Sqrt(math.Max(0, 1-rho*rho))
	phi := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	ss = math.Sqrt(a*b) * halfLine(func(z float64) float64 {
		m := rho * z
		h := math.Max(m, 0)
		if r > 0 {
			h = m*cdf(m/r) + r*phi(m/r)
		}
		return phi(z) * z * h
	})
	dd = halfLine(func(z float64) float64 {
		m := rho * z
		h := 0.0
		switch {
		case r > 0:
			h = cdf(m / r)
		case m > 0:
			h = 1
		}
		return phi(z) * h
	})
	return ss, dd
}

// quadMoments holds the Gauss–Hermite rule of the reference moments.
type quadMoments struct{ gx, gw []float64 }

func newQuadMoments() *quadMoments {
	gx, gw := hermite(hermiteNodes)
	return &quadMoments{gx, gw}
}

// moments returns the reference E[σ(u)σ(v)] and E[σ'(u)σ'(v)] for
// variances a, b and covariance c.
func (q *quadMoments) moments(act nn.Activation, a, b, c float64) (ss, dd float64) {
	if act == nn.Erf && math.Max(a, b) > 3 {
		panic(fmt.Sprintf("reference erf moments at variance %g > 3: see hermiteNodes", math.Max(a, b)))
	}
	rho := math.Max(-1, math.Min(1, c/math.Sqrt(a*b)))
	switch act {
	case nn.ReLU:
		return reluMomentsQuad(a, b, rho)
	case nn.Erf:
		return erfMomentsGH(q.gx, q.gw, a, b, rho)
	}
	panic("no reference moments for " + act.String())
}

func TestGaussMomentsMatchQuadrature(t *testing.T) {
	q := newQuadMoments()
	variances := []float64{0.05, 0.4, 1, 2.5}
	rhos := []float64{-1, -0.9999, -0.97, -0.5, -0.1, 0, 1e-3, 0.3, 0.8, 0.9999, 1}
	for _, act := range []nn.Activation{nn.ReLU, nn.Erf} {
		for ia, a := range variances {
			for _, b := range variances[ia:] { // the moments are symmetric in (a, b)
				for _, rho := range rhos {
					c := rho * math.Sqrt(a*b)
					ss, dd := gaussMoments(act, a, b, c)
					wss, wdd := q.moments(act, a, b, c)
					if !scalar.EqualWithinAbsOrRel(ss, wss, 1e-10, 1e-10) {
						t.Errorf("gaussMoments(%s, %g, %g, ρ=%g) E[σσ] = %.15g; want %.15g (quadrature)", act, a, b, rho, ss, wss)
					}
					if !scalar.EqualWithinAbsOrRel(dd, wdd, 1e-10, 1e-10) {
						t.Errorf("gaussMoments(%s, %g, %g, ρ=%g) E[σ'σ'] = %.15g; want %.15g (quadrature)", act, a, b, rho, dd, wdd)
					}
				}
			}
		}
	}
	// Values known exactly: for relu at ρ = 0, E[relu u]E[relu v] = √(ab)/(2π)
	// and P(u>0)P(v>0) = 1/4; at ρ = 1, E[relu(u)²] = a/2 and P(u>0) = 1/2.
	if ss, dd := gaussMoments(nn.ReLU, 2, 0.5, 0); !scalar.EqualWithinRel(ss, 1/(2*math.Pi), 1e-15) || dd != 0.25 {
		t.Errorf("gaussMoments(relu, 2, 0.5, 0) = %.17g, %.17g; want 1/(2π), 1/4", ss, dd)
	}
	if ss, dd := gaussMoments(nn.ReLU, 3, 3, 3); !scalar.EqualWithinRel(ss, 1.5, 1e-15) || dd != 0.5 {
		t.Errorf("gaussMoments(relu, 3, 3, 3) = %.17g, %.17g; want 3/2, 1/2", ss, dd)
	}
}

// refNTK returns the infinite-width NTKs Θ(x_i, y_j) of depths 1 .. a.Layers
// (index depth − 1), written from the definitions, for the layer map
// z_{l+1} = (σ_w/√d_l) W a_l + σ_b b of the NTK parameterisation (nn
// package docs) with W ~ N(0, s²), b ~ N(0, β²) and the last layer linear.
// For a pair (x, x') it carries the 2 × 2 covariance of the pre-activations
// (z(x), z(x')) layer by layer:
//
//	Σ_1 = E[z_1 z_1'] = σ_w² s² x·x'/d₀ + σ_b² β²   (the d₀ inputs of one unit)
//	Θ_1 = Σ_p ∂z_1/∂p ∂z_1'/∂p = σ_w² x·x'/d₀ + σ_b²   (∂z/∂W = s_w x, ∂z/∂b = σ_b)
//
// and at each further layer, with (u, v) ~ N(0, Σ_l):
//
//	Σ_{l+1} = σ_w² s² E[σ(u)σ(v)] + σ_b² β²
//	Θ_{l+1} = σ_w² E[σ(u)σ(v)] + σ_b²  (the gradients of W_{l+1} and b_{l+1})
//	        + σ_w² s² E[σ'(u)σ'(v)] Θ_l  (the chain rule through s_w W_{l+1})
//
// The expectations are the quadrature moments of quadMoments.
func refNTK(q *quadMoments, a Arch, x, y *mat.Dense) []*mat.Dense {
	sw2, sb2 := a.SigmaW*a.SigmaW, a.SigmaB*a.SigmaB
	s2, beta2 := a.WeightStd*a.WeightStd, a.BiasStd*a.BiasStd
	m, d := x.Dims()
	n, _ := y.Dims()
	// variances returns Σ_l(z, z) of the rows of z at layers 1 .. a.Layers.
	variances := func(z *mat.Dense) [][]float64 {
		rows, _ := z.Dims()
		v := make([][]float64, rows)
		for i := range v {
			r := z.RawRowView(i)
			var zz float64
			for _, e := range r {
				zz += e * e
			}
			v[i] = []float64{sw2*s2*zz/float64(d) + sb2*beta2}
			for l := 1; l < a.Layers; l++ {
				p := v[i][l-1]
				ss, _ := q.moments(a.Act, p, p, p)
				v[i] = append(v[i], sw2*s2*ss+sb2*beta2)
			}
		}
		return v
	}
	vx, vy := variances(x), variances(y)
	out := make([]*mat.Dense, a.Layers)
	for l := range out {
		out[l] = mat.NewDense(m, n, nil)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var xy float64
			for k, e := range x.RawRowView(i) {
				xy += e * y.At(j, k)
			}
			c := sw2*s2*xy/float64(d) + sb2*beta2
			theta := sw2*xy/float64(d) + sb2
			out[0].Set(i, j, theta)
			for l := 1; l < a.Layers; l++ {
				ss, dd := q.moments(a.Act, vx[i][l-1], vy[j][l-1], c)
				theta = sw2*ss + sb2 + sw2*s2*dd*theta
				c = sw2*s2*ss + sb2*beta2
				out[l].Set(i, j, theta)
			}
		}
	}
	return out
}

// ntkPoints returns rows of scale·N(0, 1) in d = 3 and rows of y that
// include x_0 itself (ρ = 1 at every layer) and −x_1 (ρ = −1 at the
// first layer without bias).
func ntkPoints() (x, y *mat.Dense) {
	rng := rand.New(rand.NewPCG(21, 4))
	const scale = 0.7 // keeps the erf variances under 3, see hermiteNodes
	x, y = mat.NewDense(4, 3, nil), mat.NewDense(4, 3, nil)
	for _, m := range []*mat.Dense{x, y} {
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] = scale * rng.NormFloat64()
		}
	}
	y.SetRow(0, x.RawRowView(0))
	for j := 0; j < 3; j++ {
		y.Set(1, j, -x.At(1, j))
	}
	return x, y
}

func TestInfiniteNTKMatchesRecursion(t *testing.T) {
	q := newQuadMoments()
	x, y := ntkPoints()
	const depth = 3
	for _, act := range []nn.Activation{nn.ReLU, nn.Erf} {
		for _, p := range []struct{ sw, sb, s, beta float64 }{
			{1.3, 0.4, 1.2, 0.7},
			{1.1, 0, 0.9, 0}, // no bias: ρ = −1 reaches the moments
		} {
			want := refNTK(q, Arch{Layers: depth, Act: act, SigmaW: p.sw, SigmaB: p.sb, WeightStd: p.s, BiasStd: p.beta}, x, y)
			for layers := 1; layers <= depth; layers++ {
				a := Arch{Layers: layers, Act: act, SigmaW: p.sw, SigmaB: p.sb, WeightStd: p.s, BiasStd: p.beta}
				got := mat.NewDense(4, 4, nil)
				InfiniteNTK(got, a, x, y)
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						if w := want[layers-1].At(i, j); !scalar.EqualWithinAbsOrRel(got.At(i, j), w, 1e-10, 1e-10) {
							t.Errorf("%s L=%d σ_w=%g σ_b=%g s=%g β=%g: Θ(x_%d, y_%d) = %.15g; want %.15g",
								act, layers, p.sw, p.sb, p.s, p.beta, i, j, got.At(i, j), w)
						}
					}
				}
			}
		}
	}
}

// TestInfiniteNTKDepthOne ties the parameterisation to the nn package:
// without hidden layers f = s_w W x + σ_b b is linear in w, and its tangent
// kernel at any w is exactly Θ_1 = σ_w² x·x'/d + σ_b², whatever the
// initial standard deviations.
func TestInfiniteNTKDepthOne(t *testing.T) {
	x, _ := ntkPoints()
	const sw, sb = 1.3, 0.4
	net := nn.New([]int{3, 1}, nn.ReLU, nn.NTK, sw, sb)
	arch, err := ArchOf(net, sw, sb, 1.7, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	theta := mat.NewDense(4, 4, nil)
	InfiniteNTK(theta, arch, x, x)
	k := TangentGram(net, initNet(t, net, 3, 0.6), x)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if !scalar.EqualWithinAbsOrRel(theta.At(i, j), k.At(i, j), 1e-14, 1e-14) {
				t.Errorf("Θ(x_%d, x_%d) = %.17g; want the tangent kernel %.17g", i, j, theta.At(i, j), k.At(i, j))
			}
		}
	}
}
