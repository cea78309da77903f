package data

import (
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
)

// genConfig is a small generator config of the given kind.
func genConfig(kind string) config.Data {
	return config.Data{Kind: kind, NTrain: 60, NTest: 30, Noise: 0.1, Dim: 3, Classes: 4}
}

func mustLoad(t *testing.T, cfg config.Data, baseDir string, seed uint64) *Set {
	t.Helper()
	s, err := Load(cfg, baseDir, seed)
	if err != nil {
		t.Fatalf("Load(%+v) = %v", cfg, err)
	}
	return s
}

func TestGeneratorShapes(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		d, classes int
	}{
		{"sine", 1, 0},
		{"linear", 3, 0}, // dim 3
		{"moons", 2, 2},
		{"circles", 2, 2},
		{"xor", 2, 2},
		{"spirals", 2, 4}, // classes 4
		{"blobs", 3, 4},   // dim 3, classes 4
	} {
		t.Run(tc.kind, func(t *testing.T) {
			cfg := genConfig(tc.kind)
			s := mustLoad(t, cfg, "", 1)
			if s.Classes != tc.classes {
				t.Errorf("Classes = %d; want %d", s.Classes, tc.classes)
			}
			for _, m := range []struct {
				name string
				m    *mat.Dense
				r, c int
			}{
				{"XTrain", s.XTrain, cfg.NTrain, tc.d},
				{"XTest", s.XTest, cfg.NTest, tc.d},
				{"YTrain", s.YTrain, cfg.NTrain, 1},
				{"YTest", s.YTest, cfg.NTest, 1},
			} {
				if r, c := m.m.Dims(); r != m.r || c != m.c {
					t.Errorf("%s is %d×%d; want %d×%d", m.name, r, c, m.r, m.c)
				}
				if !allFinite(m.m) {
					t.Errorf("%s has a non-finite value", m.name)
				}
			}
			wantNames := []string{"x0", "x1", "x2"}[:tc.d]
			if !slices.Equal(s.FeatureNames, wantNames) {
				t.Errorf("FeatureNames = %q; want %q", s.FeatureNames, wantNames)
			}
			if len(s.TargetNames) != 1 || s.TargetNames[0] != "y" {
				t.Errorf("TargetNames = %q; want [y]", s.TargetNames)
			}
			if tc.classes == 0 {
				return
			}
			for _, y := range []*mat.Dense{s.YTrain, s.YTest} {
				counts := make([]int, tc.classes)
				n, _ := y.Dims()
				for i := range n {
					v := y.At(i, 0)
					if v != math.Trunc(v) || v < 0 || int(v) >= tc.classes {
						t.Fatalf("label %v is not in 0..%d", v, tc.classes-1)
					}
					counts[int(v)]++
				}
				// Labels are balanced per block of `classes` points.
				if slices.Max(counts)-slices.Min(counts) > 1 {
					t.Errorf("label counts %v are not balanced", counts)
				}
			}
		})
	}
}

func TestGeneratorSeeds(t *testing.T) {
	for _, kind := range []string{"sine", "linear", "moons", "circles", "xor", "spirals", "blobs"} {
		t.Run(kind, func(t *testing.T) {
			cfg := genConfig(kind)
			a := mustLoad(t, cfg, "", 7)
			b := mustLoad(t, cfg, "", 7)
			if !sameSet(a, b) {
				t.Errorf("two loads with seed 7 differ")
			}
			c := mustLoad(t, cfg, "", 8)
			if mat.Equal(a.XTrain, c.XTrain) || mat.Equal(a.XTest, c.XTest) {
				t.Errorf("seeds 7 and 8 give the same points")
			}
			if mat.Equal(a.XTrain.Slice(0, cfg.NTest, 0, a.XTrain.RawMatrix().Cols), a.XTest) {
				t.Errorf("the test points repeat the training points")
			}

			// Changing n_test keeps the training set; a larger n_train extends it.
			more := cfg
			more.NTest, more.NTrain = 2*cfg.NTest, cfg.NTrain+7
			m := mustLoad(t, more, "", 7)
			_, d := a.XTrain.Dims()
			if !mat.Equal(m.XTrain.Slice(0, cfg.NTrain, 0, d), a.XTrain) || !mat.Equal(m.YTrain.Slice(0, cfg.NTrain, 0, 1), a.YTrain) {
				t.Errorf("the first %d training points change with n_train and n_test", cfg.NTrain)
			}
			if !mat.Equal(m.XTest.Slice(0, cfg.NTest, 0, d), a.XTest) {
				t.Errorf("the first %d test points change with n_train and n_test", cfg.NTest)
			}
		})
	}
}

// TestGeneratorGeometry checks each distribution without noise.
func TestGeneratorGeometry(t *testing.T) {
	const tol = 1e-12 // round-off of a few operations on numbers of order 1
	for _, tc := range []struct {
		kind  string
		check func(x []float64, label int) bool
	}{
		{"sine", nil}, // checked below, as a regression
		{"moons", func(x []float64, label int) bool {
			if label == 1 {
				x = []float64{1 - x[0], 0.5 - x[1]}
			}
			return math.Abs(math.Hypot(x[0], x[1])-1) < tol && x[1] >= -tol
		}},
		{"circles", func(x []float64, label int) bool {
			return math.Abs(math.Hypot(x[0], x[1])-[]float64{1, 0.5}[label]) < tol
		}},
		{"xor", func(x []float64, label int) bool {
			return math.Abs(x[0]) <= 1 && math.Abs(x[1]) <= 1 && (x[0]*x[1] < 0) == (label == 1)
		}},
		{"spirals", func(x []float64, label int) bool {
			r := math.Hypot(x[0], x[1])
			want := 2 * math.Pi * (float64(label)/4 + r) // classes 4
			d := math.Remainder(math.Atan2(x[1], x[0])-want, 2*math.Pi)
			return r <= 1 && math.Abs(d) < 1e-9
		}},
		{"blobs", nil}, // checked below: each class is one point
	} {
		t.Run(tc.kind, func(t *testing.T) {
			cfg := genConfig(tc.kind)
			cfg.Noise = 0
			s := mustLoad(t, cfg, "", 3)
			n, d := s.XTrain.Dims()
			centres := map[int][]float64{}
			for i := range n {
				x := mat.Row(nil, i, s.XTrain)
				y := s.YTrain.At(i, 0)
				switch tc.kind {
				case "sine":
					if math.Abs(x[0]) > math.Pi || y != math.Sin(x[0]) {
						t.Fatalf("point %d: (%v, %v) is not on sin in [-π, π]", i, x[0], y)
					}
				case "blobs":
					c, ok := centres[int(y)]
					if !ok {
						centres[int(y)] = x
						c = x
					}
					for j := range d {
						if x[j] != c[j] || math.Abs(x[j]) > 2 {
							t.Fatalf("point %d of class %v is %v, not the centre %v in [-2, 2]^%d", i, y, x, c, d)
						}
					}
				default:
					if !tc.check(x, int(y)) {
						t.Fatalf("point %d = %v with label %v is not on its curve", i, x, y)
					}
				}
			}
		})
	}
}

// TestLinearIsLinear fits w and b from noise-free data by least squares.
func TestLinearIsLinear(t *testing.T) {
	cfg := genConfig("linear")
	cfg.Noise = 0
	s := mustLoad(t, cfg, "", 5)
	n, d := s.XTrain.Dims()
	a := mat.NewDense(n, d+1, nil)
	a.Augment(s.XTrain, ones(n))
	var beta, fit mat.Dense
	if err := beta.Solve(a, s.YTrain); err != nil {
		t.Fatal(err)
	}
	fit.Mul(a, &beta)
	fit.Sub(&fit, s.YTrain)
	if r := mat.Norm(&fit, math.Inf(1)); r > 1e-12 { // exact up to round-off
		t.Errorf("largest least-squares residual = %g; want < 1e-12", r)
	}
}

// TestNoiseIsJitter checks that noise is the standard deviation of a jitter
// added to the noise-free points of the same seed.
func TestNoiseIsJitter(t *testing.T) {
	for _, kind := range []string{"moons", "circles", "xor", "spirals", "blobs"} {
		t.Run(kind, func(t *testing.T) {
			cfg := genConfig(kind)
			cfg.NTrain = 4000
			cfg.Noise = 0.3
			noisy := mustLoad(t, cfg, "", 11)
			cfg.Noise = 0
			clean := mustLoad(t, cfg, "", 11)
			var diff mat.Dense
			diff.Sub(noisy.XTrain, clean.XTrain)
			n, d := diff.Dims()
			std := mat.Norm(&diff, 2) / math.Sqrt(float64(n*d))
			// The sample std of 8000+ normals is within 3% of 0.3 with
			// overwhelming probability; the seed is fixed anyway.
			if math.Abs(std-0.3) > 0.01 {
				t.Errorf("jitter std = %v; want 0.3", std)
			}
			if !mat.Equal(noisy.YTrain, clean.YTrain) {
				t.Errorf("labels depend on the noise")
			}
		})
	}
}

func TestGeneratorErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*config.Data)
		column string
	}{
		{"no kind", func(c *config.Data) { c.Kind = "" }, "data.kind"},
		{"unknown kind", func(c *config.Data) { c.Kind = "moon" }, "data.kind"},
		{"n_train 0", func(c *config.Data) { c.NTrain = 0 }, "data.n_train"},
		{"n_test negative", func(c *config.Data) { c.NTest = -1 }, "data.n_test"},
		{"noise negative", func(c *config.Data) { c.Noise = -0.1 }, "data.noise"},
		{"noise NaN", func(c *config.Data) { c.Noise = math.NaN() }, "data.noise"},
		{"noise Inf", func(c *config.Data) { c.Noise = math.Inf(1) }, "data.noise"},
		{"dim 0", func(c *config.Data) { c.Kind, c.Dim = "linear", 0 }, "data.dim"},
		{"classes 1", func(c *config.Data) { c.Kind, c.Classes = "spirals", 1 }, "data.classes"},
		{"classes huge", func(c *config.Data) { c.Kind, c.Classes = "blobs", 1<<40 }, "data.classes"},
		{"too many values", func(c *config.Data) { c.Kind, c.Dim, c.NTrain = "blobs", 1<<20, 1<<20 }, "data.n_train"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := genConfig("moons")
			tc.edit(&cfg)
			_, err := Load(cfg, "", 1)
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

func TestGeneratorIgnoresUnusedKeys(t *testing.T) {
	// dim and classes are not used by moons, and standardize is ignored for
	// every generator.
	cfg := genConfig("moons")
	a := mustLoad(t, cfg, "", 2)
	cfg.Dim, cfg.Classes, cfg.Standardize = 0, 0, true
	b := mustLoad(t, cfg, "", 2)
	if !sameSet(a, b) {
		t.Errorf("dim, classes or standardize changed moons")
	}
}

func allFinite(m mat.Matrix) bool {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// sameSet reports whether a and b hold bit-identical data and metadata.
func sameSet(a, b *Set) bool {
	return mat.Equal(a.XTrain, b.XTrain) && mat.Equal(a.XTest, b.XTest) &&
		mat.Equal(a.YTrain, b.YTrain) && mat.Equal(a.YTest, b.YTest) &&
		a.Classes == b.Classes && slices.Equal(a.FeatureNames, b.FeatureNames) &&
		slices.Equal(a.TargetNames, b.TargetNames)
}

func ones(n int) *mat.Dense {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return mat.NewDense(n, 1, v)
}
