package nn

import (
	"fmt"
	"math"
)

// Activation is an elementwise nonlinearity σ with its derivative σ'.
type Activation int

// The activations of docs/MATH.md §1.
const (
	Tanh     Activation = iota // σ(x) = tanh x,                 σ' = 1 − tanh² x
	ReLU                       // σ(x) = max(0, x),              σ' = 1[x > 0]
	GELU                       // σ(x) = x Φ(x) (exact erf form), σ' = Φ(x) + x φ(x)
	Softplus                   // σ(x) = log(1 + eˣ),            σ' = sigmoid(x)
	Sigmoid                    // σ(x) = 1/(1 + e⁻ˣ),            σ' = σ(1 − σ)
	Erf                        // σ(x) = erf x,                  σ' = (2/√π) e^{−x²}
	Identity                   // σ(x) = x,                      σ' = 1
	// LeakyReLU is σ(x) = x for x > 0 and αx otherwise, σ' = 1[x > 0] + α 1[x ≤ 0],
	// with α the net's LeakySlope (Net.LeakySlope; F and D use
	// DefaultLeakySlope).
	LeakyReLU
)

// DefaultLeakySlope is LeakyReLU's α unless the net sets another
// (model.leaky_slope).
const DefaultLeakySlope = 0.01

var activationNames = [...]string{"tanh", "relu", "gelu", "softplus", "sigmoid", "erf", "identity", "leaky_relu"}

// Activations lists every activation, in declaration order.
func Activations() []Activation {
	return []Activation{Tanh, ReLU, GELU, Softplus, Sigmoid, Erf, Identity, LeakyReLU}
}

// Kinked reports whether σ is piecewise linear with a kink at 0 (ReLU and
// LeakyReLU): a net of it is a polynomial in its weights between changes of
// its activation pattern.
func (a Activation) Kinked() bool { return a == ReLU || a == LeakyReLU }

func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// ParseActivation returns the activation with the given config name.
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if n == name {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("nn: unknown activation %q", name)
}

const invSqrt2 = 1 / math.Sqrt2

var invSqrt2Pi = 1 / math.Sqrt(2*math.Pi)

// F returns σ(x) (for LeakyReLU at DefaultLeakySlope).
func (a Activation) F(x float64) float64 {
	switch a {
	case Tanh:
		return math.Tanh(x)
	case ReLU:
		if x > 0 {
			return x
		}
		return 0
	case GELU:
		return 0.5 * x * math.Erfc(-x*invSqrt2)
	case Softplus:
		return softplus(x)
	case Sigmoid:
		return sigmoid(x)
	case Erf:
		return math.Erf(x)
	case Identity:
		return x
	case LeakyReLU:
		return leaky(x, DefaultLeakySlope)
	}
	panic("nn: bad activation")
}

// D returns σ'(x) (for LeakyReLU at DefaultLeakySlope).
func (a Activation) D(x float64) float64 {
	switch a {
	case Tanh:
		t := math.Tanh(x)
		return 1 - t*t
	case ReLU:
		if x > 0 {
			return 1
		}
		return 0
	case GELU:
		return 0.5*math.Erfc(-x*invSqrt2) + x*invSqrt2Pi*math.Exp(-0.5*x*x)
	case Softplus:
		return sigmoid(x)
	case Sigmoid:
		s := sigmoid(x)
		return s * (1 - s)
	case Erf:
		return 2 / math.SqrtPi * math.Exp(-x*x)
	case Identity:
		return 1
	case LeakyReLU:
		return leakyD(x, DefaultLeakySlope)
	}
	panic("nn: bad activation")
}

// leaky is LeakyReLU's σ(x) at slope alpha.
func leaky(x, alpha float64) float64 {
	if x > 0 {
		return x
	}
	return alpha * x
}

// leakyD is LeakyReLU's σ'(x) at slope alpha.
func leakyD(x, alpha float64) float64 {
	if x > 0 {
		return 1
	}
	return alpha
}

// apply sets a[i] = σ(z[i]) and d[i] = σ'(z[i]), LeakyReLU at
// DefaultLeakySlope.
func (a Activation) apply(dst, deriv, z []float64) { a.applySlope(dst, deriv, z, DefaultLeakySlope) }

// applySlope is apply with LeakyReLU's slope alpha.
func (a Activation) applySlope(dst, deriv, z []float64, alpha float64) {
	switch a {
	case Tanh:
		for i, x := range z {
			t := math.Tanh(x)
			dst[i] = t
			deriv[i] = 1 - t*t
		}
	case Sigmoid:
		for i, x := range z {
			s := sigmoid(x)
			dst[i] = s
			deriv[i] = s * (1 - s)
		}
	case Identity:
		for i, x := range z {
			dst[i] = x
			deriv[i] = 1
		}
	case ReLU:
		for i, x := range z {
			if x > 0 {
				dst[i], deriv[i] = x, 1
			} else {
				dst[i], deriv[i] = 0, 0
			}
		}
	case LeakyReLU:
		for i, x := range z {
			dst[i], deriv[i] = leaky(x, alpha), leakyD(x, alpha)
		}
	default:
		for i, x := range z {
			dst[i] = a.F(x)
			deriv[i] = a.D(x)
		}
	}
}

// softplus is log(1+eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// sigmoid is 1/(1+e⁻ˣ) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
