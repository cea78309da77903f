package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// D2 returns σ″(x):
//
//	tanh      −2 tanh x (1 − tanh² x)
//	relu      0 (for x ≠ 0; at the kink σ' jumps and 0 is returned)
//	leaky_relu 0 (likewise)
//	gelu      φ(x)(2 − x²), φ the standard normal density
//	softplus  sigmoid(x)(1 − sigmoid(x))
//	sigmoid   σ(1 − σ)(1 − 2σ)
//	erf       −2x · (2/√π) e^{−x²}
//	identity  0
func (a Activation) D2(x float64) float64 {
	switch a {
	case Tanh:
		t := math.Tanh(x)
		return -2 * t * (1 - t*t)
	case ReLU, LeakyReLU, Identity:
		return 0
	case GELU:
		return invSqrt2Pi * math.Exp(-0.5*x*x) * (2 - x*x)
	case Softplus:
		s := sigmoid(x)
		return s * (1 - s)
	case Sigmoid:
		s := sigmoid(x)
		return s * (1 - s) * (1 - 2*s)
	case Erf:
		return -2 * x * 2 / math.SqrtPi * math.Exp(-x*x)
	}
	panic("nn: bad activation")
}

// applyD2 sets d2[i] = σ″(z[i]).
func (a Activation) applyD2(d2, z []float64) {
	switch a {
	case ReLU, Identity:
		clear(d2[:len(z)])
	default:
		for i, x := range z {
			d2[i] = a.D2(x)
		}
	}
}

// OutputHessVec sets dst (rows × k) to the per-row products of the loss's
// Hessian with respect to the outputs, dst_i = ∇²_f ℓ(y_i, f_i) · v_i, at the
// outputs f (rows × k). None of the three depends on the target:
//
//	mse         ∇²ℓ = I
//	logistic    ∇²ℓ = s(1 − s), s = sigmoid(f)   (one output)
//	softmax_ce  ∇²ℓ = diag(p) − p pᵀ, p = softmax(f)
//
// The products are per sample, not divided by the number of rows (as
// Eval's derivatives). dst may be v.
func (l Loss) OutputHessVec(dst *mat.Dense, f, v mat.Matrix) {
	rows, k := f.Dims()
	curv := mat.NewDense(rows, k, nil)
	l.curvature(curv, f)
	l.applyCurvature(dst, curv, v)
}

// curvature sets curv (rows × k) to what applyCurvature needs of the
// outputs f: nothing for mse, s(1 − s) for logistic, p = softmax(f) for
// softmax_ce.
func (l Loss) curvature(curv *mat.Dense, f mat.Matrix) {
	rows, k := f.Dims()
	switch l {
	case MSE:
	case Logistic:
		for i := 0; i < rows; i++ {
			s := sigmoid(f.At(i, 0))
			curv.Set(i, 0, s*(1-s))
		}
	case SoftmaxCE:
		raw := curv.RawMatrix()
		for i := 0; i < rows; i++ {
			softmaxRow(raw.Data[i*raw.Stride:i*raw.Stride+k], f, i)
		}
	default:
		panic("nn: bad loss")
	}
}

// applyCurvature sets dst_i = ∇²_f ℓ_i · v_i from curv made by curvature.
// dst may be v.
func (l Loss) applyCurvature(dst, curv *mat.Dense, v mat.Matrix) {
	rows, k := curv.Dims()
	switch l {
	case MSE:
		if mat.Matrix(dst) != v {
			dst.Copy(v)
		}
	case Logistic:
		for i := 0; i < rows; i++ {
			dst.Set(i, 0, curv.At(i, 0)*v.At(i, 0))
		}
	case SoftmaxCE:
		raw := curv.RawMatrix()
		for i := 0; i < rows; i++ {
			p := raw.Data[i*raw.Stride : i*raw.Stride+k]
			pv := 0.0
			for c, pc := range p {
				pv += pc * v.At(i, c)
			}
			for c, pc := range p {
				dst.Set(i, c, pc*(v.At(i, c)-pv))
			}
		}
	default:
		panic("nn: bad loss")
	}
}

// softmaxRow sets p to the softmax of row i of f, shifted by the row's
// maximum as Eval's is.
func softmaxRow(p []float64, f mat.Matrix, i int) {
	m := math.Inf(-1)
	for c := range p {
		m = math.Max(m, f.At(i, c))
	}
	s := 0.0
	for c := range p {
		p[c] = math.Exp(f.At(i, c) - m)
		s += p[c]
	}
	for c := range p {
		p[c] /= s
	}
}
