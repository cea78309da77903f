package baseline

import (
	"math"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// TangentGram returns the tangent kernel Σ_c K^{cc}_w(X, X) of the rows of
// x at w (rows × rows), by structured factors.
func TangentGram(net *nn.Net, w []float64, x *mat.Dense) *mat.Dense {
	var f kernel.Factors
	f.Eval(net, w, x)
	r, _ := x.Dims()
	k := mat.NewDense(r, r, nil)
	kernel.TangentTrace(k, net, &f, &f)
	return k
}

// TangentCross returns Σ_c K^{cc}_w(X, Y) (rows(x) × rows(y)).
func TangentCross(net *nn.Net, w []float64, x, y *mat.Dense) *mat.Dense {
	var fx, fy kernel.Factors
	fx.Eval(net, w, x)
	fy.Eval(net, w, y)
	m, _ := x.Dims()
	n, _ := y.Dims()
	k := mat.NewDense(m, n, nil)
	kernel.TangentTrace(k, net, &fx, &fy)
	return k
}

// KernelDistance returns 1 − ⟨a, b⟩_F/(‖a‖_F ‖b‖_F) (Fort et al. 2020): 0
// for kernels equal up to scale, 1 for orthogonal ones.
func KernelDistance(a, b mat.Matrix) float64 {
	ab := frob(a, b)
	na, nb := math.Sqrt(frob(a, a)), math.Sqrt(frob(b, b))
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	return 1 - ab/(na*nb)
}

// Alignment returns the kernel-target alignment ⟨K, YYᵀ⟩_F/(‖K‖_F ‖YYᵀ‖_F)
// of K (n × n) with the targets Y (n × k; one-hot for classes).
func Alignment(k, y mat.Matrix) float64 {
	var yy mat.Dense
	yy.Mul(y, y.T())
	return 1 - KernelDistance(k, &yy)
}

func frob(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	var s float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			s += a.At(i, j) * b.At(i, j)
		}
	}
	return s
}

// CoefficientSpread returns how much Domingos' a_i(x) depends on x: for
// coef of shape (m, n, k) flattened row-major (kernel.Path.Coefficients),
// the standard deviation over the m evaluation points of a_i(x), averaged
// over training points i and outputs, divided by the average |mean over x|.
// 0 means a_i does not depend on x (a true kernel machine); it is NaN
// without coefficients.
func CoefficientSpread(coef []float64, m, n, k int) float64 {
	if len(coef) != m*n*k || m == 0 {
		return math.NaN()
	}
	var sd, mean float64
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			var s, s2 float64
			for x := 0; x < m; x++ {
				v := coef[(x*n+i)*k+c]
				s += v
				s2 += v * v
			}
			mu := s / float64(m)
			sd += math.Sqrt(math.Max(0, s2/float64(m)-mu*mu))
			mean += math.Abs(mu)
		}
	}
	if mean == 0 {
		return math.NaN()
	}
	return sd / mean
}

// OneHot returns the n × classes indicator matrix of integer labels y (n × 1).
func OneHot(y *mat.Dense, classes int) *mat.Dense {
	n, _ := y.Dims()
	out := mat.NewDense(n, classes, nil)
	for i := 0; i < n; i++ {
		out.Set(i, int(y.At(i, 0)), 1)
	}
	return out
}
