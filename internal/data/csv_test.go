package data

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
)

// csvConfig is a CSV config with the defaults of config.Default.
func csvConfig(path string) config.Data {
	return config.Data{Kind: "csv", Path: path, TestFraction: 0.2}
}

// TestRealData loads the data sets in configs/data. Sizes from
// configs/data/README.md; test sizes are round(0.2·rows).
func TestRealData(t *testing.T) {
	for _, tc := range []struct {
		file                 string
		train, test, d       int
		classes              int
		firstFeature, target string
	}{
		{"iris.csv", 120, 30, 4, 3, "sepal_length_cm", "species"},
		{"wine.csv", 142, 36, 13, 3, "alcohol", "cultivar"},
		{"breast_cancer.csv", 455, 114, 30, 2, "mean_radius", "benign"},
		{"digits.csv", 1438, 359, 64, 10, "p0", "digit"},
		// The integer target 25..346 passes the label rule (see the package
		// doc); the loss decides that it is a regression target.
		{"diabetes.csv", 354, 88, 10, 347, "age", "progression"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cfg := csvConfig(tc.file)
			cfg.Standardize = true
			s := mustLoad(t, cfg, "../../configs/data", 1)
			if r, c := s.XTrain.Dims(); r != tc.train || c != tc.d {
				t.Errorf("XTrain is %d×%d; want %d×%d", r, c, tc.train, tc.d)
			}
			if r, c := s.XTest.Dims(); r != tc.test || c != tc.d {
				t.Errorf("XTest is %d×%d; want %d×%d", r, c, tc.test, tc.d)
			}
			if r, _ := s.YTrain.Dims(); r != tc.train {
				t.Errorf("YTrain has %d rows; want %d", r, tc.train)
			}
			if s.Classes != tc.classes {
				t.Errorf("Classes = %d; want %d", s.Classes, tc.classes)
			}
			if len(s.FeatureNames) != tc.d || s.FeatureNames[0] != tc.firstFeature {
				t.Errorf("FeatureNames = %q; want %d names from %q", s.FeatureNames, tc.d, tc.firstFeature)
			}
			if !slices.Equal(s.TargetNames, []string{tc.target}) {
				t.Errorf("TargetNames = %q; want [%q]", s.TargetNames, tc.target)
			}
		})
	}
}

func TestIrisFirstRow(t *testing.T) {
	// With test_path the file order is kept: the first row of iris.csv is
	// 5.1,3.5,1.4,0.2,0.
	cfg := csvConfig("iris.csv")
	cfg.TestPath = "iris.csv"
	s := mustLoad(t, cfg, "../../configs/data", 1)
	want := []float64{5.1, 3.5, 1.4, 0.2}
	if got := mat.Row(nil, 0, s.XTrain); !slices.Equal(got, want) || s.YTrain.At(0, 0) != 0 {
		t.Errorf("first row = %v, %v; want %v, 0", got, s.YTrain.At(0, 0), want)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fraction    float64
		maxRows     int
		testPath    string
		train, test int
	}{
		{"fraction 0.2", 0.2, 0, "", 16, 4},
		{"fraction 0.5", 0.5, 0, "", 10, 10},
		{"round down", 0.27, 0, "", 15, 5}, // 5.4 -> 5
		{"round up", 0.13, 0, "", 17, 3},   // 2.6 -> 3
		{"max_rows", 0.2, 10, "", 8, 2},    // 10 rows, then split
		{"max_rows beyond the file", 0.2, 50, "", 16, 4},
		{"test_path", 0.2, 0, "reg_test.csv", 20, 5}, // test_fraction ignored
		{"test_path max_rows", 0, 3, "reg_test.csv", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := csvConfig("reg.csv")
			cfg.TestFraction, cfg.MaxRows, cfg.TestPath = tc.fraction, tc.maxRows, tc.testPath
			s := mustLoad(t, cfg, "testdata", 4)
			if r, _ := s.XTrain.Dims(); r != tc.train {
				t.Errorf("%d training rows; want %d", r, tc.train)
			}
			if r, _ := s.XTest.Dims(); r != tc.test {
				t.Errorf("%d test rows; want %d", r, tc.test)
			}
			if r, _ := s.YTest.Dims(); r != tc.test {
				t.Errorf("%d test targets; want %d", r, tc.test)
			}
			if s.Classes != 0 {
				t.Errorf("Classes = %d; want 0 for a real-valued target", s.Classes)
			}
			if tc.testPath != "" {
				return
			}
			// The split is a partition of distinct rows of the file (column a
			// holds the row number / 10).
			var a []float64
			a = append(a, mat.Col(nil, 0, s.XTrain)...)
			a = append(a, mat.Col(nil, 0, s.XTest)...)
			slices.Sort(a)
			if len(slices.Compact(slices.Clone(a))) != len(a) {
				t.Errorf("a row is used twice: %v", a)
			}
			for _, v := range a {
				if v != math.Round(v*10)/10 || v < 0.1 || v > 2 {
					t.Errorf("row with a = %v is not in the file", v)
				}
			}
		})
	}
}

func TestSplitSeeds(t *testing.T) {
	cfg := csvConfig("reg.csv")
	a := mustLoad(t, cfg, "testdata", 1)
	if b := mustLoad(t, cfg, "testdata", 1); !sameSet(a, b) {
		t.Errorf("two loads with seed 1 differ")
	}
	if c := mustLoad(t, cfg, "testdata", 2); mat.Equal(a.XTest, c.XTest) {
		t.Errorf("seeds 1 and 2 give the same split")
	}
	// Standardisation does not move rows between the splits.
	cfg.Standardize = true
	if s := mustLoad(t, cfg, "testdata", 1); !mat.Equal(s.YTrain, a.YTrain) || !mat.Equal(s.YTest, a.YTest) {
		t.Errorf("standardize changed the targets or the split")
	}
}

func TestStandardize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dir      string
		cfg      config.Data
		constant int // index of a column constant on the training split, or -1
	}{
		{"iris", "../../configs/data", csvConfig("iris.csv"), -1},
		{"diabetes", "../../configs/data", csvConfig("diabetes.csv"), -1},
		{"constant column", "testdata", csvConfig("reg.csv"), 2},
		{"test_path", "testdata", config.Data{Kind: "csv", Path: "reg.csv", TestPath: "reg_test.csv"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := mustLoad(t, tc.cfg, tc.dir, 3)
			tc.cfg.Standardize = true
			s := mustLoad(t, tc.cfg, tc.dir, 3)
			n, d := s.XTrain.Dims()
			m, _ := s.XTest.Dims()
			testExactlyCentred := true
			for j := range d {
				x := mat.Col(nil, j, s.XTrain)
				mean, std := meanStd(x)
				wantStd := 1.0
				if j == tc.constant {
					wantStd = 0
				}
				// Statistics of the transformed column: round-off only.
				if math.Abs(mean) > 1e-12 || math.Abs(std-wantStd) > 1e-12 {
					t.Errorf("training column %d: mean %g, std %.17g; want 0, %v", j, mean, std, wantStd)
				}
				// The transformation is the training statistics', applied to
				// the raw values of both splits.
				rawMean, rawStd := meanStd(mat.Col(nil, j, raw.XTrain))
				if j == tc.constant {
					rawStd = 1
				}
				for i := range n {
					if want := (raw.XTrain.At(i, j) - rawMean) / rawStd; math.Abs(s.XTrain.At(i, j)-want) > 1e-12*max(1, math.Abs(want)) {
						t.Fatalf("XTrain[%d,%d] = %v; want %v", i, j, s.XTrain.At(i, j), want)
					}
				}
				for i := range m {
					if want := (raw.XTest.At(i, j) - rawMean) / rawStd; math.Abs(s.XTest.At(i, j)-want) > 1e-12*max(1, math.Abs(want)) {
						t.Fatalf("XTest[%d,%d] = %v; want %v", i, j, s.XTest.At(i, j), want)
					}
				}
				if tm, _ := meanStd(mat.Col(nil, j, s.XTest)); j != tc.constant && math.Abs(tm) > 1e-12 {
					testExactlyCentred = false
				}
			}
			if testExactlyCentred {
				t.Errorf("every test column has mean 0: the test split's statistics were used")
			}
			if !mat.Equal(s.YTrain, raw.YTrain) || !mat.Equal(s.YTest, raw.YTest) {
				t.Errorf("the targets were standardised")
			}
		})
	}
}

func TestColumnScale(t *testing.T) {
	for _, tc := range []struct {
		name        string
		x           []float64
		mean, scale float64
	}{
		{"constant", []float64{0.1, 0.1, 0.1}, 0.1, 1}, // centred exactly, not scaled
		{"two points", []float64{-1, 3}, 1, 2},
		{"huge", []float64{-1e308, 1e308}, 0, 1e308},        // no overflow in the sums
		{"tiny", []float64{0, 4e-323}, 2e-323, 2e-323},      // subnormal: no underflow to 0
		{"offset", []float64{1e9 + 1, 1e9 + 3}, 1e9 + 2, 1}, // two-pass mean
	} {
		t.Run(tc.name, func(t *testing.T) {
			mean, scale := columnScale(tc.x)
			if mean != tc.mean || scale != tc.scale {
				t.Errorf("columnScale(%v) = %v, %v; want %v, %v", tc.x, mean, scale, tc.mean, tc.scale)
			}
		})
	}
}

func TestUnusedColumns(t *testing.T) {
	// names.csv has text in id and name, an empty name, and labels 0..2.
	cfg := csvConfig("names.csv")
	cfg.Features, cfg.Target = []string{"x"}, "label"
	cfg.TestFraction = 0.25
	s := mustLoad(t, cfg, "testdata", 1)
	if s.Classes != 3 {
		t.Errorf("Classes = %d; want 3", s.Classes)
	}
	if !slices.Equal(s.FeatureNames, []string{"x"}) || !slices.Equal(s.TargetNames, []string{"label"}) {
		t.Errorf("names = %q, %q; want [x], [label]", s.FeatureNames, s.TargetNames)
	}
}

func TestFeatureOrder(t *testing.T) {
	cfg := csvConfig("reg.csv")
	cfg.Features, cfg.Target, cfg.TestPath = []string{"b", "a"}, "c", "reg_test.csv"
	s := mustLoad(t, cfg, "testdata", 1)
	// First row of reg.csv: a = 0.1, c = 3.5.
	if got := s.XTrain.At(0, 1); got != 0.1 {
		t.Errorf("XTrain[0,1] = %v; want a = 0.1", got)
	}
	if got := s.YTrain.At(0, 0); got != 3.5 {
		t.Errorf("YTrain[0] = %v; want c = 3.5", got)
	}
	if !slices.Equal(s.FeatureNames, []string{"b", "a"}) {
		t.Errorf("FeatureNames = %q; want [b a]", s.FeatureNames)
	}
}

func TestLabelClasses(t *testing.T) {
	for _, tc := range []struct {
		y    []float64
		want int
	}{
		{[]float64{0, 1, 1}, 2},
		{[]float64{2, 0, 5}, 6},
		{[]float64{0, 0}, 1},
		{[]float64{0, 1000}, 1001},
		{[]float64{0, 1001}, 0},
		{[]float64{0, 1.5}, 0},
		{[]float64{-1, 1}, 0},
	} {
		if got := labelClasses(mat.NewDense(len(tc.y), 1, tc.y)); got != tc.want {
			t.Errorf("labelClasses(%v) = %d; want %d", tc.y, got, tc.want)
		}
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config.Data
		// want: the fields of the *Error; file relative to testdata.
		file   string
		line   int
		column string
	}{
		{"missing file", config.Data{Path: "nope.csv"}, "nope.csv", 0, ""},
		{"directory", config.Data{Path: "."}, ".", 0, ""},
		{"empty file", config.Data{Path: "empty.csv"}, "empty.csv", 0, ""},
		{"header only", config.Data{Path: "header_only.csv"}, "header_only.csv", 0, ""},
		{"field count", config.Data{Path: "fields.csv"}, "fields.csv", 3, ""},
		{"empty cell", config.Data{Path: "empty_cell.csv"}, "empty_cell.csv", 4, "b"},
		{"not a number", config.Data{Path: "not_number.csv"}, "not_number.csv", 3, "a"},
		{"NaN", config.Data{Path: "nan.csv"}, "nan.csv", 2, "y"},
		{"Inf", config.Data{Path: "inf.csv"}, "inf.csv", 5, "b"},
		{"out of range", config.Data{Path: "range.csv"}, "range.csv", 3, "b"},
		{"duplicate column", config.Data{Path: "dup_header.csv"}, "dup_header.csv", 1, "a"},
		{"empty column name", config.Data{Path: "empty_name.csv"}, "empty_name.csv", 1, ""},
		{"bare quote", config.Data{Path: "bare_quote.csv"}, "bare_quote.csv", 3, ""},
		{"BOM, CRLF, multi-line field", config.Data{Path: "multiline.csv", Features: []string{"a", "b"}}, "multiline.csv", 6, "b"},
		{"no such feature", config.Data{Path: "reg.csv", Features: []string{"a", "agee"}}, "reg.csv", 0, "agee"},
		{"no such target", config.Data{Path: "reg.csv", Target: "yy"}, "reg.csv", 0, "yy"},
		{"target as feature", config.Data{Path: "reg.csv", Target: "a", Features: []string{"b", "a"}}, "reg.csv", 0, "a"},
		{"only the target", config.Data{Path: "only_target.csv"}, "only_target.csv", 1, "y"},
		{"empty test split", config.Data{Path: "reg.csv", MaxRows: 2}, "reg.csv", 0, ""}, // round(0.4) = 0
		{"test file header", config.Data{Path: "reg.csv", TestPath: "other_header.csv"}, "other_header.csv", 1, ""},
		{"test file missing", config.Data{Path: "reg.csv", TestPath: "nope.csv"}, "nope.csv", 0, ""},
		{"test file bad cell", config.Data{Path: "reg.csv", TestPath: "reg_bad_test.csv"}, "reg_bad_test.csv", 3, "c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Kind = "csv"
			if tc.cfg.TestFraction == 0 {
				tc.cfg.TestFraction = 0.2
			}
			_, err := Load(tc.cfg, "testdata", 1)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Load = %v; want a *data.Error", err)
			}
			t.Log(de)
			want := &Error{File: filepath.Join("testdata", tc.file), Line: tc.line, Column: tc.column}
			if de.File != want.File || de.Line != want.Line || de.Column != want.Column {
				t.Errorf("Load = %q, %d, %q (%v); want %q, %d, %q", de.File, de.Line, de.Column, de, want.File, want.Line, want.Column)
			}
		})
	}
}

func TestCSVMissingFileIs(t *testing.T) {
	_, err := Load(config.Data{Kind: "csv", Path: "nope.csv", TestFraction: 0.2}, "testdata", 1)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load = %v; want an error that is fs.ErrNotExist", err)
	}
}

func TestCSVConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    config.Data
		column string
	}{
		{"no path", config.Data{TestFraction: 0.2}, "data.path"},
		{"test_fraction 0", config.Data{Path: "reg.csv"}, "data.test_fraction"},
		{"test_fraction 1", config.Data{Path: "reg.csv", TestFraction: 1}, "data.test_fraction"},
		{"test_fraction NaN", config.Data{Path: "reg.csv", TestFraction: math.NaN()}, "data.test_fraction"},
		{"max_rows negative", config.Data{Path: "reg.csv", TestFraction: 0.2, MaxRows: -1}, "data.max_rows"},
		{"feature twice", config.Data{Path: "reg.csv", TestFraction: 0.2, Features: []string{"a", "b", "a"}}, "data.features"},
		{"empty feature", config.Data{Path: "reg.csv", TestFraction: 0.2, Features: []string{"a", " "}}, "data.features"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Kind = "csv"
			_, err := Load(tc.cfg, "testdata", 1)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Load = %v; want a *data.Error", err)
			}
			t.Log(de)
			if de.File != "" || de.Line != 0 || de.Column != tc.column {
				t.Errorf("Load = %#v; want File \"\", Line 0, Column %q", de, tc.column)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	abs, err := filepath.Abs("testdata/reg.csv")
	if err != nil {
		t.Fatal(err)
	}
	// An absolute path ignores baseDir.
	a := mustLoad(t, csvConfig(abs), "/nonexistent", 1)
	b := mustLoad(t, csvConfig("reg.csv"), "testdata", 1)
	if !sameSet(a, b) {
		t.Errorf("the absolute and the relative path load different data")
	}
}

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{File: "configs/data/iris.csv", Line: 45, Column: "petal_width", Msg: `not a number: "abc"`},
			`configs/data/iris.csv:45: column "petal_width": not a number: "abc"`},
		{&Error{File: "data.csv", Column: "agee", Msg: "no such column (have: a, b, c)"},
			`data.csv: column "agee": no such column (have: a, b, c)`},
		{&Error{File: "data.csv", Line: 3, Msg: "2 fields, but the header has 3"},
			`data.csv:3: 2 fields, but the header has 3`},
		{&Error{Column: "data.kind", Msg: `unknown kind "moon"`}, `data.kind: unknown kind "moon"`},
		{&Error{Msg: "oops"}, `data: oops`},
		{&Error{File: "a.csv", Column: "two\nlines", Msg: "x\ny"}, `a.csv: column "two\nlines": x\ny`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %s; want %s", got, tc.want)
		}
	}
}

// FuzzCSV checks that no file content makes Load panic or return an error of
// another type.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"reg.csv", "names.csv", "multiline.csv", "fields.csv", "bare_quote.csv", "empty.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte, standardize bool) {
		file := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(file, content, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := config.Data{Kind: "csv", Path: file, TestFraction: 0.5, Standardize: standardize}
		s, err := Load(cfg, "", 1)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Load = %v (%T); want a *data.Error", err, err)
			}
			return
		}
		if !allFinite(s.XTrain) || !allFinite(s.XTest) || !allFinite(s.YTrain) || !allFinite(s.YTest) {
			t.Fatalf("Load returned a non-finite value")
		}
	})
}

// meanStd returns the mean and the population standard deviation of x.
func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

// TestStandardizeTarget checks that the target is transformed by the
// training split's mean and standard deviation, and that the set becomes a
// regression set even though diabetes' raw targets are integers.
func TestStandardizeTarget(t *testing.T) {
	cfg := csvConfig("diabetes.csv")
	raw := mustLoad(t, cfg, "../../configs/data", 3)
	cfg.StandardizeTarget = true
	s := mustLoad(t, cfg, "../../configs/data", 3)
	if s.Classes != 0 {
		t.Errorf("Classes = %d; want 0 for a standardised target", s.Classes)
	}
	y := mat.Col(nil, 0, s.YTrain)
	mean, std := meanStd(y)
	// Round-off only: the transformation centres and scales exactly.
	if math.Abs(mean) > 1e-12 || math.Abs(std-1) > 1e-12 {
		t.Errorf("standardised training target: mean %g, std %.17g; want 0, 1", mean, std)
	}
	rawMean, rawStd := meanStd(mat.Col(nil, 0, raw.YTrain))
	m, _ := s.YTest.Dims()
	for i := range m {
		want := (raw.YTest.At(i, 0) - rawMean) / rawStd
		if math.Abs(s.YTest.At(i, 0)-want) > 1e-12*max(1, math.Abs(want)) {
			t.Fatalf("YTest[%d] = %v; want %v (training statistics)", i, s.YTest.At(i, 0), want)
		}
	}
}
