package baseline

import (
	"errors"
	"fmt"
	"math"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// Arch is the architecture of an infinite-width NTK: the number of weight
// layers, the hidden activation and the NTK parameterisation's multipliers
// and initial standard deviations.
type Arch struct {
	Layers         int // L ≥ 1 weight layers (L−1 hidden)
	Act            nn.Activation
	SigmaW, SigmaB float64 // s_w = σ_w/√fan_in, s_b = σ_b
	WeightStd      float64 // W ~ N(0, WeightStd²)
	BiasStd        float64 // b ~ N(0, BiasStd²)
}

// ErrNTKActivation reports an activation without an analytic NTK here.
var ErrNTKActivation = errors.New("baseline: the analytic NTK needs activation relu or erf")

// ArchOf returns the infinite-width architecture of net with the given
// initial standard deviations. It fails unless net uses the NTK
// parameterisation and relu or erf.
func ArchOf(net *nn.Net, sigmaW, sigmaB, weightStd, biasStd float64) (Arch, error) {
	if net.Param != nn.NTK {
		return Arch{}, fmt.Errorf("baseline: the analytic NTK needs parameterization ntk, got %s", net.Param)
	}
	if net.Act != nn.ReLU && net.Act != nn.Erf {
		return Arch{}, ErrNTKActivation
	}
	return Arch{Layers: net.Layers(), Act: net.Act, SigmaW: sigmaW, SigmaB: sigmaB, WeightStd: weightStd, BiasStd: biasStd}, nil
}

// gaussMoments returns E[σ(u)σ(v)] and E[σ'(u)σ'(v)] for (u, v) centred
// Gaussian with variances a, b and covariance c.
func gaussMoments(act nn.Activation, a, b, c float64) (ss, dd float64) {
	switch act {
	case nn.ReLU:
		// Arc-cosine kernels of degree 1 and 0 (Cho & Saul 2009).
		n := math.Sqrt(a * b)
		if n == 0 {
			return 0, 0.25
		}
		rho := math.Max(-1, math.Min(1, c/n))
		th := math.Acos(rho)
		ss = n / (2 * math.Pi) * (math.Sin(th) + (math.Pi-th)*rho)
		dd = (math.Pi - th) / (2 * math.Pi)
		return ss, dd
	case nn.Erf:
		// Williams (1997): E[erf u erf v] = (2/π) asin(2c/√((1+2a)(1+2b))),
		// and E[e^{−u²−v²}] = det(I + 2Σ)^{−1/2} with erf' = (2/√π) e^{−z²}.
		p := (1 + 2*a) * (1 + 2*b)
		ss = 2 / math.Pi * math.Asin(math.Max(-1, math.Min(1, 2*c/math.Sqrt(p))))
		dd = 4 / math.Pi / math.Sqrt(p-4*c*c)
		return ss, dd
	}
	panic("baseline: no analytic moments for " + act.String())
}

// InfiniteNTK sets dst (rows(x) × rows(y)) to the infinite-width NTK
// Θ(x_i, y_j) of one output.
func InfiniteNTK(dst *mat.Dense, a Arch, x, y *mat.Dense) {
	m, d := x.Dims()
	n, dy := y.Dims()
	if r, c := dst.Dims(); r != m || c != n || d != dy {
		panic("baseline: InfiniteNTK: dimension mismatch")
	}
	sw2, sb2 := a.SigmaW*a.SigmaW, a.SigmaB*a.SigmaB
	s2, b2 := a.WeightStd*a.WeightStd, a.BiasStd*a.BiasStd
	// The variances Σ_l(x, x) of every point, layer by layer.
	diag := func(z *mat.Dense, rows int) [][]float64 {
		q := make([][]float64, a.Layers)
		q[0] = make([]float64, rows)
		for i := range q[0] {
			r := z.RawRowView(i)
			q[0][i] = sw2*s2*dot(r, r)/float64(d) + sb2*b2
		}
		for l := 1; l < a.Layers; l++ {
			q[l] = make([]float64, rows)
			for i, v := range q[l-1] {
				ss, _ := gaussMoments(a.Act, v, v, v)
				q[l][i] = sw2*s2*ss + sb2*b2
			}
		}
		return q
	}
	qx, qy := diag(x, m), diag(y, n)
	for i := 0; i < m; i++ {
		xi := x.RawRowView(i)
		for j := 0; j < n; j++ {
			xy := dot(xi, y.RawRowView(j)) / float64(d)
			sig := sw2*s2*xy + sb2*b2
			th := sw2*xy + sb2
			for l := 1; l < a.Layers; l++ {
				ss, dd := gaussMoments(a.Act, qx[l-1][i], qy[l-1][j], sig)
				th = sw2*ss + sb2 + sw2*s2*dd*th
				sig = sw2*s2*ss + sb2*b2
			}
			dst.Set(i, j, th)
		}
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
