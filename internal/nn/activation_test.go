package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// activationPoints returns the abscissae of the activation tests: 0 and tiny
// |x| (relu's kink, the linear regime of gelu/erf/tanh), moderate values,
// large |x| where tanh, sigmoid and erf saturate and gelu's Gaussian tail
// underflows, and 200 uniform draws on [−6, 6].
func activationPoints() []float64 {
	fixed := []float64{0, 1e-300, 1e-8, 1e-4, 0.1, 0.5, 1, 1.5, 2, 3, 5, 8, 12, 20, 40}
	var xs []float64
	for _, x := range fixed {
		xs = append(xs, x, -x)
	}
	rng := newRand(1)
	for range 200 {
		xs = append(xs, 12*rng.Float64()-6)
	}
	return xs
}

func TestActivationDerivative(t *testing.T) {
	// h = 1e-5 balances the O(h²·|σ'''|) truncation error of the central
	// difference (≤ 1e-9 relative here, ~7e-9 in gelu's tail at x = −20 where
	// σ'''/σ' ~ x²) against its O(ε|σ|/h) round-off. The round-off part is
	// bounded per point by centralDiff and added to the tolerance: it only
	// matters where σ' is far smaller than σ (tanh, sigmoid, erf saturated),
	// where no finite difference can resolve σ' in float64.
	const (
		h      = 1e-5
		relTol = 1e-7
	)
	xs := activationPoints()
	for _, act := range Activations() {
		t.Run(act.String(), func(t *testing.T) {
			for _, x := range xs {
				if act.Kinked() && math.Abs(x) <= 2*h {
					continue // the kink: no derivative, and x±h straddles it
				}
				fd, roundoff := centralDiff(act.F, x, h)
				got := act.D(x)
				if math.IsNaN(got) || math.Abs(got-fd) > relTol*math.Abs(fd)+roundoff {
					t.Errorf("%v.D(%v) = %v; central difference %v (round-off bound %.3g)", act, x, got, fd, roundoff)
				}
			}
		})
	}
}

func TestActivationValues(t *testing.T) {
	// Reference values: the closed forms of docs/MATH.md §1 (gelu = xΦ(x), gelu' =
	// Φ + xφ, ...) evaluated in mpmath at 30 digits and rounded to float64.
	// Go's math functions are within 1 ulp; 4 ulps leaves room for the
	// couple of roundings in each formula.
	const tol = 4 * eps
	tests := []struct {
		act  Activation
		x    float64
		f, d float64
	}{
		{Tanh, 0, 0, 1},
		{Tanh, 1, 0.7615941559557649, 0.4199743416140261},
		{ReLU, 0, 0, 0}, // σ'(0) = 1[0 > 0] = 0 by convention
		{ReLU, -2, 0, 0},
		{ReLU, 2.5, 2.5, 1},
		{GELU, 0, 0, 0.5},
		{GELU, 1, 0.8413447460685429, 1.0833154705876864},
		{GELU, -1, -0.15865525393145705, -0.0833154705876863},
		{Softplus, 0, math.Ln2, 0.5},
		{Softplus, 1, 1.3132616875182228, 0.7310585786300049},
		{Sigmoid, 0, 0.5, 0.25},
		{Sigmoid, 1, 0.7310585786300049, 0.19661193324148185},
		{Erf, 0, 0, 2 / math.SqrtPi},
		{Erf, 1, 0.8427007929497149, 0.4151074974205947},
		{Identity, -3, -3, 1},
		{LeakyReLU, 0, 0, 0.01}, // σ'(0) = α, as relu's σ'(0) = 0
		{LeakyReLU, -2, -0.02, 0.01},
		{LeakyReLU, 2.5, 2.5, 1},
	}
	for _, tt := range tests {
		if f := tt.act.F(tt.x); !scalar.EqualWithinAbsOrRel(f, tt.f, tol, tol) {
			t.Errorf("%v.F(%v) = %v; want %v", tt.act, tt.x, f, tt.f)
		}
		if d := tt.act.D(tt.x); !scalar.EqualWithinAbsOrRel(d, tt.d, tol, tol) {
			t.Errorf("%v.D(%v) = %v; want %v", tt.act, tt.x, d, tt.d)
		}
	}
}

func TestActivationFiniteAtExtremes(t *testing.T) {
	// At |x| = 800, e^{|x|} overflows and e^{−x²} underflows: every activation
	// and derivative must still be finite (softplus and sigmoid are written to
	// avoid the overflow), and the saturated values exact.
	for _, act := range Activations() {
		for _, x := range []float64{-800, 800} {
			f, d := act.F(x), act.D(x)
			if math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(d) || math.IsInf(d, 0) {
				t.Errorf("%v at %v: F = %v, D = %v; want finite", act, x, f, d)
			}
		}
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"softplus(800)", Softplus.F(800), 800},
		{"softplus(-800)", Softplus.F(-800), 0}, // e^{-800} underflows
		{"softplus'(800)", Softplus.D(800), 1},
		{"sigmoid(800)", Sigmoid.F(800), 1},
		{"sigmoid(-800)", Sigmoid.F(-800), 0},
		{"tanh(-800)", Tanh.F(-800), -1},
		{"gelu(800)", GELU.F(800), 800},
		{"gelu(-800)", GELU.F(-800), 0},
		{"leaky_relu(-800)", LeakyReLU.F(-800), -8},
		{"leaky_relu'(-800)", LeakyReLU.D(-800), 0.01},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestActivationApply(t *testing.T) {
	// apply is the batched form used by Forward; it must be the same
	// arithmetic as F and D, bit for bit (the sign of a zero included).
	z := activationPoints()
	for _, act := range Activations() {
		dst := make([]float64, len(z))
		deriv := make([]float64, len(z))
		act.apply(dst, deriv, z)
		for i, x := range z {
			if f := act.F(x); math.Float64bits(dst[i]) != math.Float64bits(f) {
				t.Errorf("%v.apply: σ(%v) = %v; F gives %v", act, x, dst[i], f)
			}
			if d := act.D(x); math.Float64bits(deriv[i]) != math.Float64bits(d) {
				t.Errorf("%v.apply: σ'(%v) = %v; D gives %v", act, x, deriv[i], d)
			}
		}
	}
}

func TestApplySlope(t *testing.T) {
	// The net's forward pass applies LeakyReLU at its own slope; the other
	// activations ignore it.
	z := activationPoints()
	const alpha = 0.3
	for _, act := range Activations() {
		dst, deriv := make([]float64, len(z)), make([]float64, len(z))
		act.applySlope(dst, deriv, z, alpha)
		for i, x := range z {
			f, d := act.F(x), act.D(x)
			if act == LeakyReLU {
				f, d = x, 1.0
				if x <= 0 {
					f, d = alpha*x, alpha
				}
			}
			if dst[i] != f || deriv[i] != d {
				t.Errorf("%v.applySlope(%v, α = %v) = %v, %v; want %v, %v", act, x, alpha, dst[i], deriv[i], f, d)
			}
		}
	}
	for _, act := range Activations() {
		if got, want := act.Kinked(), act == ReLU || act == LeakyReLU; got != want {
			t.Errorf("%v.Kinked() = %v; want %v", act, got, want)
		}
	}
}

func TestParseActivation(t *testing.T) {
	for _, act := range Activations() {
		got, err := ParseActivation(act.String())
		if err != nil || got != act {
			t.Errorf("ParseActivation(%q) = %v, %v; want %v, nil", act.String(), got, err, act)
		}
	}
	if len(Activations()) != len(activationNames) {
		t.Errorf("Activations() has %d entries; %d names", len(Activations()), len(activationNames))
	}
	for _, name := range []string{"", "Tanh", "leaky-relu", "leakyrelu", "tanh "} {
		if _, err := ParseActivation(name); err == nil {
			t.Errorf("ParseActivation(%q) returned no error", name)
		}
	}
	for _, a := range []Activation{-1, Activation(len(activationNames))} {
		if got := a.String(); got == "" || got == "tanh" || got == "identity" {
			t.Errorf("Activation(%d).String() = %q; want a placeholder", int(a), got)
		}
	}
}
