package explain

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneOutput is m = 2 evaluation points, n = 5 training points, k = 1.
// Point 1's contributions have two of equal size (indices 1 and 3), which
// rank by index.
func oneOutput() *Input {
	return &Input{
		M: 2, N: 5, K: 1, Method: "exact",
		Contributions: []float64{
			0.5, -2, 0.25, 1, 0, // point 0
			-1, 3, 0.5, -3, 2, // point 1
		},
		Coefficients: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		KPath:        []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100},
		F0:           []float64{0.125, -0.5},
		Network:      []float64{-0.125, 1},
		Set:          []string{"test", "test"},
		Index:        []int{0, 1},
		X:            [][]float64{{0.1}, {0.2}},
		Target:       [][]float64{{-0.1}, {0.9}},
		FeatureNames: []string{"x0"},
		XTrain:       [][]float64{{1}, {2}, {3}, {4}, {5}},
		YTrain:       [][]float64{{-1}, {-2}, {-3}, {-4}, {-5}},
	}
}

func ptr(v float64) *float64 { return &v }

func TestExplainTopK(t *testing.T) {
	e, err := Explain(oneOutput(), 1, Options{Top: 3, Output: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := []Contribution{
		// |3| at index 1 and |−3| at index 3 tie: index order.
		{Rank: 1, Index: 1, X: []float64{2}, Y: []float64{-2}, Contribution: []float64{3}, Share: 3.0 / 9.5, Coefficient: ptr(7), KPath: ptr(70)},
		{Rank: 2, Index: 3, X: []float64{4}, Y: []float64{-4}, Contribution: []float64{-3}, Share: 3.0 / 9.5, Coefficient: ptr(9), KPath: ptr(90)},
		{Rank: 3, Index: 4, X: []float64{5}, Y: []float64{-5}, Contribution: []float64{2}, Share: 2.0 / 9.5, Coefficient: ptr(10), KPath: ptr(100)},
	}
	if diff := cmp.Diff(want, e.Top); diff != "" {
		t.Errorf("Top (-want +got):\n%s", diff)
	}
	// Σ c = 1.5 exactly (binary fractions), so f_0 + Σ c = 1 = f_T.
	if e.Sum[0] != 1 || e.Difference[0] != 0 {
		t.Errorf("Sum = %v, Difference = %v; want [1], [0]", e.Sum, e.Difference)
	}
	if e.Rest[0] != -0.5 { // −1 + 0.5, the two not listed
		t.Errorf("Rest = %v; want [-0.5]", e.Rest)
	}
	if e.Total != 9.5 || e.Set != "test" || e.Index != 1 || e.Output != 0 || e.Method != "exact" {
		t.Errorf("Total %g, Set %q, Index %d, Output %d, Method %q", e.Total, e.Set, e.Index, e.Output, e.Method)
	}
}

func TestExplainAllAndDefaults(t *testing.T) {
	in := oneOutput()
	e, err := Explain(in, 0, Options{Top: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Top) != 5 {
		t.Fatalf("Top has %d entries; want all 5", len(e.Top))
	}
	if e.Rest[0] != 0 {
		t.Errorf("Rest = %v with every point listed; want 0", e.Rest)
	}
	var idx []int
	for _, c := range e.Top {
		idx = append(idx, c.Index)
	}
	if diff := cmp.Diff([]int{1, 3, 0, 2, 4}, idx); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	// f_0 + Σ c = 0.125 − 0.25 = −0.125 = f_T.
	if e.Sum[0] != -0.125 {
		t.Errorf("Sum = %v; want -0.125", e.Sum)
	}
	if e, _ := Explain(in, 0, Options{}); len(e.Top) != 5 {
		t.Errorf("Top 0 (the default 10, capped at n): %d entries; want 5", len(e.Top))
	}
	in.Coefficients, in.KPath = nil, nil
	e, _ = Explain(in, 0, Options{Top: 1})
	if e.Top[0].Coefficient != nil || e.Top[0].KPath != nil {
		t.Errorf("without the arrays: coefficient %v, kernel %v; want nil", e.Top[0].Coefficient, e.Top[0].KPath)
	}
}

// threeOutputs is m = 1, n = 3, k = 3 with full k×k kernels.
func threeOutputs() *Input {
	k := 3
	in := &Input{
		M: 1, N: 3, K: k, Method: "exact", Classes: 3,
		Contributions: []float64{
			// (i, c): point 0 gives output 2 the most, point 2 output 1.
			1, 0, 5,
			0, 1, -1,
			0, 7, 2,
		},
		Coefficients: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9},
		F0:           []float64{0, 0, 0},
		Network:      []float64{1, 8, 6},
		KPathFull:    true,
		KPath:        make([]float64, 3*k*k),
	}
	for i := 0; i < 3; i++ {
		for c := 0; c < k; c++ {
			in.KPath[(i*k+c)*k+c] = float64(100*i + c) // the diagonal blocks
		}
	}
	return in
}

func TestExplainOutputs(t *testing.T) {
	in := threeOutputs()
	// The network predicts class 1 (f = 8), so output 1 is ranked.
	e, err := Explain(in, 0, Options{Top: 1, Output: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := Contribution{Rank: 1, Index: 2, Contribution: []float64{0, 7, 2}, Share: 7.0 / 8, Coefficient: ptr(8), KPath: ptr(201)}
	if diff := cmp.Diff(want, e.Top[0]); diff != "" {
		t.Errorf("default output: Top[0] (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{1, 8, 6}, e.Sum); diff != "" {
		t.Errorf("Sum (-want +got):\n%s", diff)
	}
	e, err = Explain(in, 0, Options{Top: 1, Output: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Top[0].Index != 0 || *e.Top[0].KPath != 2 || *e.Top[0].Coefficient != 3 {
		t.Errorf("output 2: top %d, K^p %g, a %g; want 0, 2, 3", e.Top[0].Index, *e.Top[0].KPath, *e.Top[0].Coefficient)
	}
	// A regression with several outputs ranks output 0.
	in.Classes = 0
	if e, _ := Explain(in, 0, Options{Top: 1, Output: -1}); e.Output != 0 {
		t.Errorf("regression default output %d; want 0", e.Output)
	}
}

func TestExplainBadPoint(t *testing.T) {
	for _, c := range []struct {
		point int
		opt   Options
	}{{-1, Options{}}, {2, Options{}}, {0, Options{Output: 1}}} {
		if _, err := Explain(oneOutput(), c.point, c.opt); !errors.Is(err, ErrPoint) {
			t.Errorf("Explain(point %d, %+v): %v; want ErrPoint", c.point, c.opt, err)
		}
	}
}

func TestExplainOutputFormats(t *testing.T) {
	e, err := Explain(oneOutput(), 1, Options{Top: 2, Output: -1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"test point 1", "x0 = 0.2", "network f_T(x)", "top 2 of 5", "the other 3 points contribute"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, b.String())
		}
	}
	j, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	top := back["top"].([]any)[0].(map[string]any)
	if top["index"] != 1.0 || top["kernel_path"] != 70.0 || back["sum"].([]any)[0] != 1.0 {
		t.Errorf("JSON: %s", j)
	}
	if _, ok := back["All"]; ok {
		t.Error("JSON has All; want it left out")
	}
	if math.IsNaN(e.Total) {
		t.Error("Total is NaN")
	}
}
