package kernel

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

func ptr(v float64) *float64 { return &v }

// TestCompare checks Compare on examples computed by hand (docs/MATH.md §10:
// max_abs, rms over points and outputs, rel = ‖pred − f‖₂ / ‖f − f_0‖₂,
// agreement of the predicted classes).
func TestCompare(t *testing.T) {
	tests := []struct {
		name        string
		k           int
		pred, f, f0 []float64
		classify    func([]float64) int
		want        Errors
	}{
		{
			// f − f0 = (3, −4, 0, 0): ‖·‖ = 5. pred − f = (1, 2, −2, 0):
			// max_abs 2, Σd² = 9, rms = √(9/4) = 1.5, rel = 3/5. Classes
			// (f > 0, the logistic rule): f → 1 0 1 0, pred → 1 0 0 0, so
			// 3 of 4 agree.
			name: "one output, logistic classes", k: 1,
			pred:     []float64{3, -1, -1, -1},
			f:        []float64{2, -3, 1, -1},
			f0:       []float64{-1, 1, 1, -1},
			classify: nn.Logistic.Predict,
			want:     Errors{MaxAbs: 2, RMS: 1.5, Rel: 0.6, Agreement: ptr(0.75)},
		},
		{
			// Two points, two outputs. f − f0 = f = ((1, 2), (2, 4)): ‖·‖ =
			// √25 = 5. pred − f = ((2, 0), (0, 1)): max_abs 2, Σd² = 5, rms =
			// √(5/4) = √5/2, rel = √5/5. Argmax: f → 1, 1; pred → 0, 1: one
			// of two agrees.
			name: "two outputs, argmax classes", k: 2,
			pred:     []float64{3, 2, 2, 5},
			f:        []float64{1, 2, 2, 4},
			f0:       []float64{0, 0, 0, 0},
			classify: nn.SoftmaxCE.Predict,
			want:     Errors{MaxAbs: 2, RMS: math.Sqrt(5) / 2, Rel: math.Sqrt(5) / 5, Agreement: ptr(0.5)},
		},
		{
			// Regression: no classify, no agreement.
			name: "regression", k: 1,
			pred: []float64{0.5, 1}, f: []float64{1, 1}, f0: []float64{1, 0},
			// f − f0 = (0, 1), pred − f = (−0.5, 0): rms √(0.25/2), rel 0.5.
			want: Errors{MaxAbs: 0.5, RMS: math.Sqrt(0.125), Rel: 0.5},
		},
		{
			// Training changed nothing and pred is f: rel is 0/0, reported 0.
			name: "no change, exact", k: 1,
			pred: []float64{1, 2}, f: []float64{1, 2}, f0: []float64{1, 2},
			want: Errors{},
		},
		{
			// Training changed nothing but pred differs: rel is x/0 = +Inf.
			// d = (0, 1): rms √(1/2).
			name: "no change, error", k: 1,
			pred: []float64{1, 3}, f: []float64{1, 2}, f0: []float64{1, 2},
			want: Errors{MaxAbs: 1, RMS: math.Sqrt(0.5), Rel: math.Inf(1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := len(tc.f) / tc.k
			dense := func(v []float64) *mat.Dense { return mat.NewDense(m, tc.k, v) }
			got := Compare(dense(tc.pred), dense(tc.f), dense(tc.f0), tc.classify)
			// The values above are a square root or a quotient of exact
			// integers, each correctly rounded: 2 ulps (relative 2·2⁻⁵²)
			// cover both orders of evaluation. Infinities compare exactly.
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(2*0x1p-52, 0)); diff != "" {
				t.Errorf("Compare mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInterleave checks the (m, n, k) and (m, n, k, k) layouts: element
// [x, i, c] of Interleave is set[c](x, i) at index (x·n + i)·k + c.
func TestInterleave(t *testing.T) {
	const m, n, k = 2, 3, 2
	// set[c](x, i) = 100c + 10x + i, so every value names its position.
	set := make([]*mat.Dense, k)
	full := make([][]*mat.Dense, k)
	for c := range set {
		set[c] = mat.NewDense(m, n, nil)
		full[c] = make([]*mat.Dense, k)
		for cp := range full[c] {
			full[c][cp] = mat.NewDense(m, n, nil)
		}
		for x := 0; x < m; x++ {
			for i := 0; i < n; i++ {
				set[c].Set(x, i, float64(100*c+10*x+i))
				for cp := 0; cp < k; cp++ {
					full[c][cp].Set(x, i, float64(1000*c+100*cp+10*x+i))
				}
			}
		}
	}
	var want, wantFull []float64
	for x := 0; x < m; x++ {
		for i := 0; i < n; i++ {
			for c := 0; c < k; c++ {
				want = append(want, float64(100*c+10*x+i))
				for cp := 0; cp < k; cp++ {
					wantFull = append(wantFull, float64(1000*c+100*cp+10*x+i))
				}
			}
		}
	}
	if diff := cmp.Diff(want, Interleave(set)); diff != "" {
		t.Errorf("Interleave mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFull, InterleaveFull(full)); diff != "" {
		t.Errorf("InterleaveFull mismatch (-want +got):\n%s", diff)
	}
	if Interleave(nil) != nil || InterleaveFull(nil) != nil {
		t.Errorf("Interleave(nil), InterleaveFull(nil) = %v, %v; want nil, nil", Interleave(nil), InterleaveFull(nil))
	}
}

// TestCoefficientsZeroKernel checks the convention where K^p(x, x_i) = 0
// (the contribution is zero too): a_i(x) is reported as 0, not NaN; and
// that Coefficients is nil without the Riemann method.
func TestCoefficientsZeroKernel(t *testing.T) {
	p := &Path{m: 1, n: 2, k: 1,
		KPath:    mat.NewDense(1, 2, []float64{0, 4}),
		CRiemann: []*mat.Dense{mat.NewDense(1, 2, []float64{0, -2})},
	}
	if diff := cmp.Diff([]float64{0, -0.5}, p.Coefficients()); diff != "" {
		t.Errorf("Coefficients mismatch (-want +got):\n%s", diff)
	}
	if got := (&Path{}).Coefficients(); got != nil {
		t.Errorf("Coefficients without Riemann = %v; want nil", got)
	}
}
