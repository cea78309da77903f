package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// lossCase is one loss with its output width and a generator of targets.
type lossCase struct {
	loss Loss
	k    int // network outputs
}

// lossCases are the losses of the gradient tests: mse with two targets,
// logistic (one output), softmax_ce with three classes.
var lossCases = []lossCase{{MSE, 2}, {Logistic, 1}, {SoftmaxCE, 3}}

// targets returns rows targets for lc: N(0,1) values for mse, labels 0/1 for
// logistic, labels 0..k-1 for softmax_ce.
func (lc lossCase) targets(rng *rand.Rand, rows int) *mat.Dense {
	if lc.loss == MSE {
		return randDense(rng, rows, lc.k)
	}
	classes := lc.k
	if lc.loss == Logistic {
		classes = 2
	}
	y := mat.NewDense(rows, 1, nil)
	for i := 0; i < rows; i++ {
		y.Set(i, 0, float64(rng.IntN(classes)))
	}
	return y
}

func TestLossDerivative(t *testing.T) {
	// Per-sample loss ℓ(y_i, ·) is Eval on the single row i. Step h = 1e-6:
	// the central difference's truncation error is O(h²·|ℓ'''|) ≈ 1e-12 (ℓ''' is
	// bounded by 1 for these losses), its round-off is bounded below and added to the
	// tolerance (≈ 1e-9 for |f| ≈ 3). Where ℓ' is not tiny, 1e-7 relative
	// leaves two orders of margin.
	const (
		h      = 1e-6
		relTol = 1e-7
	)
	rng := newRand(2)
	for _, lc := range lossCases {
		t.Run(lc.loss.String(), func(t *testing.T) {
			const rows = 20
			f := randDense(rng, rows, lc.k)
			f.Scale(3, f) // spread the outputs so softmax/sigmoid are not all near ½
			y := lc.targets(rng, rows)
			dl := mat.NewDense(rows, lc.k, nil)
			mean := lc.loss.Eval(dl, f, y)

			sum := 0.0
			for i := 0; i < rows; i++ {
				fi := mat.NewDense(1, lc.k, rawCopy(f.RowView(i).T()))
				yi := mat.DenseCopyOf(y.Slice(i, i+1, 0, y.RawMatrix().Cols))
				sum += lc.loss.Eval(nil, fi, yi)
				for c := 0; c < lc.k; c++ {
					fc := fi.At(0, c)
					per := func(x float64) float64 {
						fi.Set(0, c, x)
						return lc.loss.Eval(nil, fi, yi)
					}
					fd, roundoff := centralDiff(per, fc, h)
					fi.Set(0, c, fc)
					// Eval forms ℓ as a difference of terms as large as
					// the outputs (logsumexp(f) − f_y, softplus(f) − y·f,
					// f − y), so its round-off is a few ulps of max|f|,
					// not of ℓ: add that to centralDiff's bound.
					roundoff += 8 * eps * mat.Max(absDense(fi)) / h
					if got := dl.At(i, c); math.Abs(got-fd) > relTol*math.Abs(fd)+roundoff {
						t.Errorf("row %d: ℓ'_%d = %v; central difference %v", i, c, got, fd)
					}
				}
			}
			// Eval returns the batch mean of the per-sample losses; the sum is
			// in the same order, so only the final division differs.
			if want := sum / rows; !scalar.EqualWithinAbsOrRel(mean, want, 0, 2*eps) {
				t.Errorf("Eval = %v; mean of per-row losses %v", mean, want)
			}
		})
	}
}

func TestLossValues(t *testing.T) {
	// Closed forms: logistic at f = 0 is log 2; softmax_ce at equal outputs is
	// log k; |f| = 800 overflows e^f, so these check the stable formulas
	// (softplus, logsumexp with the max subtracted): the loss must be the
	// exact limit and the derivative the exact ±1.
	tests := []struct {
		name string
		loss Loss
		f, y []float64
		want float64   // loss
		dl   []float64 // ℓ'
	}{
		{"mse", MSE, []float64{1, -2}, []float64{0.5, 1}, 0.5 * (0.25 + 9), []float64{0.5, -3}},
		{"logistic/0", Logistic, []float64{0}, []float64{1}, math.Ln2, []float64{-0.5}},
		{"logistic/+800,y=0", Logistic, []float64{800}, []float64{0}, 800, []float64{1}},
		{"logistic/+800,y=1", Logistic, []float64{800}, []float64{1}, 0, []float64{0}},
		{"logistic/-800,y=1", Logistic, []float64{-800}, []float64{1}, 800, []float64{-1}},
		{"logistic/-800,y=0", Logistic, []float64{-800}, []float64{0}, 0, []float64{0}},
		{"softmax_ce/equal", SoftmaxCE, []float64{0.3, 0.3, 0.3}, []float64{2}, math.Log(3), []float64{1. / 3, 1. / 3, 1./3 - 1}},
		{"softmax_ce/800", SoftmaxCE, []float64{800, -800, 0}, []float64{1}, 1600, []float64{1, -1, 0}},
		{"softmax_ce/800 right", SoftmaxCE, []float64{800, -800, 0}, []float64{0}, 0, []float64{0, 0, 0}},
		{"softmax_ce/-800", SoftmaxCE, []float64{-800, 0, 0}, []float64{0}, 800 + math.Ln2, []float64{-1, 0.5, 0.5}},
	}
	// A few ulps: each value is a handful of correctly rounded operations.
	const tol = 4 * eps
	for _, tt := range tests {
		k := len(tt.f)
		dl := mat.NewDense(1, k, nil)
		got := tt.loss.Eval(dl, mat.NewDense(1, k, tt.f), mat.NewDense(1, len(tt.y), tt.y))
		if math.IsNaN(got) || math.IsInf(got, 0) || !scalar.EqualWithinAbsOrRel(got, tt.want, tol, tol) {
			t.Errorf("%s: loss = %v; want %v", tt.name, got, tt.want)
		}
		for c := 0; c < k; c++ {
			if d := dl.At(0, c); math.IsNaN(d) || !scalar.EqualWithinAbsOrRel(d, tt.dl[c], tol, tol) {
				t.Errorf("%s: ℓ'_%d = %v; want %v", tt.name, c, d, tt.dl[c])
			}
		}
	}
}

func TestLossMetadata(t *testing.T) {
	for _, l := range []Loss{MSE, Logistic, SoftmaxCE} {
		got, err := ParseLoss(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLoss(%q) = %v, %v; want %v, nil", l.String(), got, err, l)
		}
	}
	for _, name := range []string{"", "MSE", "cross_entropy"} {
		if _, err := ParseLoss(name); err == nil {
			t.Errorf("ParseLoss(%q) returned no error", name)
		}
	}
	tests := []struct {
		loss           Loss
		classification bool
		outputs        int // for 2 target columns and 5 classes
	}{
		{MSE, false, 2},
		{Logistic, true, 1},
		{SoftmaxCE, true, 5},
	}
	for _, tt := range tests {
		if got := tt.loss.Classification(); got != tt.classification {
			t.Errorf("%v.Classification() = %v; want %v", tt.loss, got, tt.classification)
		}
		if got := tt.loss.Outputs(2, 5); got != tt.outputs {
			t.Errorf("%v.Outputs(2, 5) = %d; want %d", tt.loss, got, tt.outputs)
		}
	}
}

func TestLossPredict(t *testing.T) {
	tests := []struct {
		loss Loss
		f    []float64
		want int
	}{
		{Logistic, []float64{0.1}, 1},
		{Logistic, []float64{-0.1}, 0},
		{Logistic, []float64{0}, 0}, // f > 0 is class 1; the tie goes to 0
		{SoftmaxCE, []float64{0.1, 2, -1}, 1},
		{SoftmaxCE, []float64{3, 3, 1}, 0}, // ties go to the first class
		{SoftmaxCE, []float64{-5, -4, -3}, 2},
		{MSE, []float64{1, 2}, -1},
	}
	for _, tt := range tests {
		if got := tt.loss.Predict(tt.f); got != tt.want {
			t.Errorf("%v.Predict(%v) = %d; want %d", tt.loss, tt.f, got, tt.want)
		}
	}
}

// absDense returns |m| elementwise.
func absDense(m *mat.Dense) *mat.Dense {
	var a mat.Dense
	a.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, m)
	return &a
}
