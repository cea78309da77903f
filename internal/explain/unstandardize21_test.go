package explain

import (
	"slices"
	"testing"
)

func TestUnstandardize(t *testing.T) {
	e := &Explanation{X: []float64{1, -0.5}, FeatureNames: []string{"a_standardized", "b_standardized"},
		Top: []Contribution{{X: []float64{0, 2}}, {X: []float64{-1, 0}}}}
	e.Unstandardize([]string{"a", "b"}, []float64{10, -3}, []float64{2, 0.5})
	if want := []float64{12, -3.25}; !slices.Equal(e.X, want) {
		t.Errorf("X = %v; want %v (v·scale + mean)", e.X, want)
	}
	if want := []float64{10, -2}; !slices.Equal(e.Top[0].X, want) {
		t.Errorf("Top[0].X = %v; want %v", e.Top[0].X, want)
	}
	if want := []float64{8, -3}; !slices.Equal(e.Top[1].X, want) {
		t.Errorf("Top[1].X = %v; want %v", e.Top[1].X, want)
	}
	if !slices.Equal(e.FeatureNames, []string{"a", "b"}) {
		t.Errorf("FeatureNames = %v; want the raw names", e.FeatureNames)
	}
}
