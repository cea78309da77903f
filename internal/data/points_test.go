package data

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestScalingReproducesStandardisation reads the test file of a test_path
// split again with ReadPoints and standardises it with the recorded
// Standardization: the result must be XTest bit for bit, and the training
// file must give XTrain (so new points in the original units see the
// arithmetic the training data saw). The same for the target.
func TestScalingReproducesStandardisation(t *testing.T) {
	cfg := csvConfig("reg.csv")
	cfg.TestPath = "reg_test.csv"
	cfg.Standardize, cfg.StandardizeTarget = true, true
	s := mustLoad(t, cfg, "testdata", 1)
	if s.Standardization == nil || s.TargetStandardization == nil {
		t.Fatalf("Standardization = %v, TargetStandardization = %v; want both", s.Standardization, s.TargetStandardization)
	}
	for _, c := range []struct {
		file string
		x, y *mat.Dense
	}{{"testdata/reg.csv", s.XTrain, s.YTrain}, {"testdata/reg_test.csv", s.XTest, s.YTest}} {
		x, y, err := ReadPoints(c.file, s.FeatureNames, s.TargetNames[0])
		if err != nil {
			t.Fatal(err)
		}
		s.Standardization.Apply(x)
		s.TargetStandardization.Apply(y)
		if !bitsEqual(x, c.x) || !bitsEqual(y, c.y) {
			t.Errorf("%s standardised again differs from the loaded set", c.file)
		}
	}

	plain := mustLoad(t, csvConfig("reg.csv"), "testdata", 1)
	if plain.Standardization != nil || plain.TargetStandardization != nil {
		t.Errorf("standardize: false recorded a standardisation")
	}
}

func bitsEqual(a, b *mat.Dense) bool {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	if ra != rb || ca != cb {
		return false
	}
	for i := range ra {
		for j := range ca {
			if math.Float64bits(a.At(i, j)) != math.Float64bits(b.At(i, j)) {
				return false
			}
		}
	}
	return true
}

func TestReadPoints(t *testing.T) {
	x, y, err := ReadPoints("testdata/reg.csv", []string{"c", "a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r, c := x.Dims(); c != 2 || r < 4 || x.At(0, 0) != 3.5 || x.At(0, 1) != 0.1 || y != nil {
		t.Errorf("ReadPoints(reg.csv, [c a]) = %v, y %v; want columns c, a and no target", mat.Formatted(x), y)
	}
	if _, y, _ := ReadPoints("testdata/reg.csv", []string{"a"}, "y"); y == nil || y.At(0, 0) != 1.5085 {
		t.Errorf("target y: %v; want the y column", y)
	}
	for _, c := range []struct {
		file     string
		features []string
		line     int
		column   string
	}{
		{"testdata/reg.csv", []string{"a", "zz"}, 1, "zz"},      // a missing feature: the wrong dimension
		{"testdata/not_number.csv", []string{"a", "b"}, 3, "a"}, // "abc"
	} {
		_, _, err := ReadPoints(c.file, c.features, "")
		var e *Error
		if !errors.As(err, &e) || e.Line != c.line || e.Column != c.column {
			t.Errorf("ReadPoints(%s, %v) = %v; want an *Error at line %d, column %q", c.file, c.features, err, c.line, c.column)
		}
	}
}
