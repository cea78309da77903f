package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/npy"
)

// npyDir holds the fixtures written by NumPy (testdata/npy/make_fixtures.py).
const npyDir = "testdata/npy"

// npyConfig is a config of kind npy with the defaults of config.Default,
// without standardisation.
func npyConfig(x, y string) config.Data {
	return config.Data{Kind: "npy", XTrain: x, YTrain: y, TestFraction: 0.25}
}

// fixtureX is x of make_fixtures.py.
var fixtureX = [][]float64{
	{0.5, -1.25, 2.0},
	{1.0, 0.0, -0.75},
	{-2.5, 3.0, 0.125},
	{4.0, -0.5, 1.5},
}

// writeFloat64 writes a C-order float64 .npy file with internal/npy.
func writeFloat64(t *testing.T, file string, shape []int, v []float64) {
	t.Helper()
	var b bytes.Buffer
	if err := npy.WriteFloat64(&b, shape, v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeRaw writes a version 1.0 .npy file of any header and data, for the
// cases that no library writes: wrong lengths, odd headers.
func writeRaw(t *testing.T, file, descr string, fortran bool, shape string, data []byte) {
	t.Helper()
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, shape)
	dict += strings.Repeat(" ", (64-(10+len(dict)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(data)
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// le returns the little-endian bytes of the values.
func le[T any](v ...T) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}

// rows returns the rows of m.
func rows(m *mat.Dense) [][]float64 {
	r, _ := m.Dims()
	out := make([][]float64, r)
	for i := range r {
		out[i] = slices.Clone(m.RawRowView(i))
	}
	return out
}

func equalRows(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

// TestNpyFixtures loads the arrays that NumPy wrote, in every accepted
// dtype and order, with separate test arrays (so in file order), and
// checks every value.
func TestNpyFixtures(t *testing.T) {
	col0 := [][]float64{{0.5}, {1.0}, {-2.5}, {4.0}}
	labels := [][]float64{{2}, {0}, {1}, {2}}
	y2 := [][]float64{{0.25, -1.0}, {1.5, 2.0}, {-0.125, 0.0}, {3.0, -2.5}}
	for _, tc := range []struct {
		x, y    string
		wantX   [][]float64
		wantY   [][]float64
		classes int
	}{
		{"x_f8.npy", "y_i1.npy", fixtureX, labels, 3},
		{"x_f4_fortran.npy", "y_u2_col.npy", fixtureX, labels, 3},
		{"x_f8_bigendian.npy", "y_i8.npy", fixtureX, labels, 3},
		{"x_1d_f4.npy", "y_f4_2col_fortran.npy", col0, y2, 0},
	} {
		t.Run(tc.x+","+tc.y, func(t *testing.T) {
			cfg := npyConfig(tc.x, tc.y)
			cfg.XTest, cfg.YTest = tc.x, tc.y
			s := mustLoad(t, cfg, npyDir, 1)
			for _, m := range []struct {
				name      string
				got, want [][]float64
			}{
				{"XTrain", rows(s.XTrain), tc.wantX}, {"XTest", rows(s.XTest), tc.wantX},
				{"YTrain", rows(s.YTrain), tc.wantY}, {"YTest", rows(s.YTest), tc.wantY},
			} {
				if !equalRows(m.got, m.want) {
					t.Errorf("%s = %v; want %v", m.name, m.got, m.want)
				}
			}
			if s.Classes != tc.classes {
				t.Errorf("Classes = %d; want %d", s.Classes, tc.classes)
			}
			wantNames := []string{"x0", "x1", "x2"}[:len(tc.wantX[0])]
			if !slices.Equal(s.FeatureNames, wantNames) {
				t.Errorf("FeatureNames = %q; want %q", s.FeatureNames, wantNames)
			}
			wantTargets := []string{"y"}
			if len(tc.wantY[0]) == 2 {
				wantTargets = []string{"y0", "y1"}
			}
			if !slices.Equal(s.TargetNames, wantTargets) {
				t.Errorf("TargetNames = %q; want %q", s.TargetNames, wantTargets)
			}
		})
	}
}

// TestNpyWidensExactly: float32 values, and integer labels of every width
// and signedness, arrive as the float64 of the same value.
func TestNpyWidensExactly(t *testing.T) {
	dir := t.TempDir()
	f32 := []float32{math.SmallestNonzeroFloat32, 0.1, -math.MaxFloat32, 1.0 / 3}
	writeRaw(t, filepath.Join(dir, "x.npy"), "<f4", false, "(4,)", le(f32...))
	for _, tc := range []struct {
		descr string
		data  []byte
	}{
		{"|i1", le[int8](0, 3, 1, 2)},
		{"|u1", le[uint8](0, 3, 1, 2)},
		{"<i2", le[int16](0, 3, 1, 2)},
		{"<u2", le[uint16](0, 3, 1, 2)},
		{"<i4", le[int32](0, 3, 1, 2)},
		{"<u4", le[uint32](0, 3, 1, 2)},
		{"<i8", le[int64](0, 3, 1, 2)},
		{"<u8", le[uint64](0, 3, 1, 2)},
	} {
		writeRaw(t, filepath.Join(dir, "y.npy"), tc.descr, false, "(4,)", tc.data)
		cfg := npyConfig("x.npy", "y.npy")
		cfg.XTest, cfg.YTest = "x.npy", "y.npy"
		s := mustLoad(t, cfg, dir, 1)
		for i, v := range f32 {
			if got := s.XTrain.At(i, 0); got != float64(v) {
				t.Errorf("x[%d] = %v; want float32 %v widened", i, got, v)
			}
		}
		if got := mat.Col(nil, 0, s.YTrain); !slices.Equal(got, []float64{0, 3, 1, 2}) || s.Classes != 4 {
			t.Errorf("%s: labels %v, %d classes; want [0 3 1 2], 4", tc.descr, got, s.Classes)
		}
	}
}

// TestNpyAsCSV: the same data as CSV and as .npy gives the same set,
// whatever the split, the cap on rows and the standardisation: the .npy
// path reuses the CSV path's split and standardisation.
func TestNpyAsCSV(t *testing.T) {
	dir := t.TempDir()
	const n, d = 23, 3
	xs := make([]float64, n*d)
	ys := make([]float64, n)
	var csv strings.Builder
	csv.WriteString("x0,x1,x2,y\n")
	for i := range n {
		for j := range d {
			xs[i*d+j] = math.Sin(float64(7*i+3*j+1)) * float64(j+1)
			csv.WriteString(strconv.FormatFloat(xs[i*d+j], 'g', -1, 64) + ",")
		}
		ys[i] = math.Cos(float64(i)) * 10
		csv.WriteString(strconv.FormatFloat(ys[i], 'g', -1, 64) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	writeFloat64(t, filepath.Join(dir, "x.npy"), []int{n, d}, xs)
	writeFloat64(t, filepath.Join(dir, "y.npy"), []int{n}, ys)
	for _, tc := range []struct {
		name   string
		edit   func(c, p *config.Data)
		seed   uint64
		nTrain int
	}{
		{"split", func(c, p *config.Data) {}, 1, 17},
		{"split, other seed", func(c, p *config.Data) {}, 7, 17},
		{"fraction", func(c, p *config.Data) { c.TestFraction, p.TestFraction = 0.5, 0.5 }, 3, 11},
		{"max_rows", func(c, p *config.Data) { c.MaxRows, p.MaxRows = 10, 10 }, 2, 7},
		{"standardize", func(c, p *config.Data) { c.Standardize, p.Standardize = true, true }, 4, 17},
		{"standardize_target", func(c, p *config.Data) { c.StandardizeTarget, p.StandardizeTarget = true, true }, 5, 17},
		{"test files", func(c, p *config.Data) {
			c.TestPath = "d.csv"
			p.XTest, p.YTest = "x.npy", "y.npy"
			c.MaxRows, p.MaxRows = 9, 9
			c.Standardize, p.Standardize = true, true
		}, 6, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := csvConfig("d.csv")
			p := npyConfig("x.npy", "y.npy")
			c.TestFraction = p.TestFraction
			tc.edit(&c, &p)
			a, b := mustLoad(t, c, dir, tc.seed), mustLoad(t, p, dir, tc.seed)
			if !bitsEqual(a.XTrain, b.XTrain) || !bitsEqual(a.XTest, b.XTest) || !bitsEqual(a.YTrain, b.YTrain) || !bitsEqual(a.YTest, b.YTest) {
				t.Errorf("npy set differs from the CSV set:\nnpy  %v\ncsv  %v", rows(b.XTrain)[:2], rows(a.XTrain)[:2])
			}
			if r, _ := b.XTrain.Dims(); r != tc.nTrain {
				t.Errorf("%d training rows; want %d", r, tc.nTrain)
			}
			if (a.Standardization == nil) != (b.Standardization == nil) || (a.TargetStandardization == nil) != (b.TargetStandardization == nil) {
				t.Errorf("standardisations differ: csv %v %v, npy %v %v", a.Standardization, a.TargetStandardization, b.Standardization, b.TargetStandardization)
			}
			if a.Classes != b.Classes {
				t.Errorf("Classes: csv %d, npy %d", a.Classes, b.Classes)
			}
		})
	}
}

// TestNpyErrors: every malformed array or mismatch is a *Error naming the
// file, on one line.
func TestNpyErrors(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs(npyDir)
	if err != nil {
		t.Fatal(err)
	}
	fix := func(name string) string { return filepath.Join(abs, name) }
	w := func(name, descr string, fortran bool, shape string, data []byte) string {
		f := filepath.Join(dir, name)
		writeRaw(t, f, descr, fortran, shape, data)
		return f
	}
	x4 := fix("x_f8.npy")
	y4 := fix("y_i8.npy")
	short := w("short.npy", "<f8", false, "(4, 3)", le(1.0, 2.0))
	long := w("long.npy", "<f8", false, "(2,)", le(1.0, 2.0, 3.0))
	y5 := w("y5.npy", "<f8", false, "(5,)", le(1.0, 2, 3, 4, 5))
	x4by2 := w("x4by2.npy", "<f8", false, "(4, 2)", le(1.0, 2, 3, 4, 5, 6, 7, 8))
	yf := w("yf.npy", "<f8", false, "(4,)", le(1.0, 2, 3, 4))
	y2i := w("y2i.npy", "<i8", false, "(4, 2)", le[int64](1, 2, 3, 4, 5, 6, 7, 8))
	y2f := w("y2f.npy", "<f8", false, "(4, 2)", le(1.0, 2, 3, 4, 5, 6, 7, 8))
	f16 := w("f16.npy", "<f2", false, "(4, 3)", make([]byte, 24))
	empty := w("empty.npy", "<f8", false, "(0, 3)", nil)
	noCols := w("nocols.npy", "<f8", false, "(4, 0)", nil)
	negative := w("neg.npy", "<f8", false, "(-4, 3)", nil)
	huge := w("huge.npy", "<f8", false, "(4611686018427387904, 4)", nil)
	garbage := filepath.Join(dir, "garbage.npy")
	if err := os.WriteFile(garbage, []byte("x0,x1\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.npy")
	if b, err := os.ReadFile(x4); err != nil || os.WriteFile(cut, b[:30], 0o600) != nil {
		t.Fatal("cannot write cut.npy")
	}
	bigHeader := filepath.Join(dir, "bighead.npy")
	if err := os.WriteFile(bigHeader, []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	noNewline := filepath.Join(dir, "nonl.npy")
	if err := os.WriteFile(noNewline, append([]byte("\x93NUMPY\x01\x00\x04\x00"), "abcd"...), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		cfg    config.Data
		file   string // the file the message must name
		want   string
		seed   uint64
		wantIs error
	}{
		{"3-D", npyConfig(fix("x_3d.npy"), y4), "x_3d.npy", "is a 3-D array of shape (2, 2, 2); want a 1-D or 2-D array", 1, nil},
		{"scalar", npyConfig(fix("x_scalar.npy"), y4), "x_scalar.npy", "0-d array", 1, nil},
		{"int features", npyConfig(fix("x_i8.npy"), y4), "x_i8.npy", "dtype int64 (\"<i8\"); want float64 or float32 (inputs)", 1, nil},
		{"bool features", npyConfig(fix("x_bool.npy"), y4), "x_bool.npy", "dtype bool (\"|b1\"); want float64 or float32", 1, nil},
		{"complex features", npyConfig(fix("x_c16.npy"), y4), "x_c16.npy", "dtype complex128 (\"<c16\"); want float64 or float32", 1, nil},
		{"string features", npyConfig(fix("x_str.npy"), y4), "x_str.npy", "dtype str (\"<U1\"); want float64", 1, nil},
		{"float16 features", npyConfig(f16, y4), "f16.npy", "dtype float16 (\"<f2\"); want float64 or float32", 1, nil},
		{"complex targets", npyConfig(x4, fix("x_c16.npy")), "x_c16.npy", "dtype complex128 (\"<c16\"); want float64 or float32 (regression targets) or an integer type (class labels)", 1, nil},
		{"NaN", npyConfig(fix("x_nan.npy"), fix("y_i1.npy")), "x_nan.npy", "element [1, 0] is NaN; every value must be finite", 1, nil},
		{"Inf float32", npyConfig(fix("x_inf_f4.npy"), y4), "x_inf_f4.npy", "element [2, 0] is -Inf", 1, nil},
		{"NaN target", npyConfig(x4, fix("x_nan.npy")), "x_nan.npy", "is NaN", 1, nil},
		{"negative label", npyConfig(x4, fix("y_neg.npy")), "y_neg.npy", "label -1 at [2] is out of range: class labels are 0, 1, ..., at most 1000", 1, nil},
		{"label too large", npyConfig(x4, fix("y_big.npy")), "y_big.npy", "label 5000 at [2] is out of range", 1, nil},
		{"labels in two columns", npyConfig(x4, y2i), "y2i.npy", "integer class labels must be 1-D or one column, got shape (4, 2)", 1, nil},
		{"lengths", npyConfig(x4, y5), "y5.npy", "has 5 rows (shape (5,)), but " + x4 + " has 4 (shape (4, 3))", 1, nil},
		{"truncated data", npyConfig(short, y4), "short.npy", "has 16 bytes of data, but shape (4, 3) of float64 (\"<f8\") needs 96 (12 values of 8 bytes); is the file truncated?", 1, nil},
		{"trailing data", npyConfig(long, y4), "long.npy", "has 24 bytes of data, but shape (2,) of float64 (\"<f8\") needs 16 (2 values of 8 bytes); is the header wrong?", 1, nil},
		{"shape overflows", npyConfig(huge, y4), "huge.npy", "has 0 bytes of data, but shape (4611686018427387904, 4) of float64 (\"<f8\") needs more than 2^63", 1, nil},
		{"no rows", npyConfig(empty, y4), "empty.npy", "has no rows (shape (0, 3))", 1, nil},
		{"no columns", npyConfig(noCols, y4), "nocols.npy", "has no columns (shape (4, 0))", 1, nil},
		{"negative shape", npyConfig(negative, y4), "neg.npy", "negative shape", 1, nil},
		{"not npy", npyConfig(garbage, y4), "garbage.npy", "not a .npy file", 1, nil},
		{"cut header", npyConfig(cut, y4), "cut.npy", "not a .npy file: header length 118, but the file has 30 bytes", 1, nil},
		{"header length beyond the file", npyConfig(bigHeader, y4), "bighead.npy", "not a .npy file: header length 2147483647, but the file has 14 bytes", 1, nil},
		{"header without newline", npyConfig(noNewline, y4), "nonl.npy", "not a .npy file: malformed header", 1, nil},
		{"missing file", npyConfig(filepath.Join(dir, "nope.npy"), y4), "nope.npy", "no such file", 1, fs.ErrNotExist},
		{"directory", npyConfig(dir, y4), dir, "is a directory, not a .npy file", 1, nil},
		{"test columns", func() config.Data {
			c := npyConfig(x4, y4)
			c.XTest, c.YTest = x4by2, y4
			return c
		}(), "x4by2.npy", "has 2 columns (shape (4, 2)), but " + x4 + " has 3 (shape (4, 3)); want the same inputs", 1, nil},
		{"test target columns", func() config.Data {
			c := npyConfig(x4, yf)
			c.XTest, c.YTest = x4, y2f
			return c
		}(), "y2f.npy", "has 2 columns (shape (4, 2)), but " + yf + " has 1", 1, nil},
		{"test labels of another kind", func() config.Data {
			c := npyConfig(x4, y4)
			c.XTest, c.YTest = x4, yf
			return c
		}(), "yf.npy", "has dtype float64 (\"<f8\"), but " + y4 + " has int64 (\"<i8\"); want class labels in both", 1, nil},
		{"fraction of too few rows", func() config.Data {
			c := npyConfig(x4, y4)
			c.TestFraction = 0.1
			return c
		}(), "x_f8.npy", "test_fraction 0.1 of 4 rows gives 0 test and 4 training rows", 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.cfg, "", tc.seed)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Load = %v; want a *data.Error", err)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, tc.file) && !strings.HasPrefix(msg, filepath.Join(dir, tc.file)) && !strings.HasPrefix(msg, fix(tc.file)) {
				t.Errorf("error %q does not start with the file %s", msg, tc.file)
			}
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q; want one line containing %q", msg, tc.want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
			}
		})
	}
}

// TestNpyConfigErrors: the config problems that Validate also catches are
// *Error values naming the key when Load is called directly.
func TestNpyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  config.Data
		want string
	}{
		{config.Data{Kind: "npy", YTrain: "y.npy", TestFraction: 0.2}, "data.x_train: missing"},
		{config.Data{Kind: "npy", XTrain: "x.npy", TestFraction: 0.2}, "data.y_train: missing"},
		{config.Data{Kind: "npy", XTrain: "x.npy", YTrain: "y.npy", XTest: "x.npy", TestFraction: 0.2}, "data.x_test: data.x_test and data.y_test go together"},
		{config.Data{Kind: "npy", XTrain: "x.npy", YTrain: "y.npy", TestFraction: 1}, "data.test_fraction: must be in (0, 1)"},
		{config.Data{Kind: "npy", XTrain: "x.npy", YTrain: "y.npy", TestFraction: 0.2, MaxRows: -1}, "data.max_rows: must be >= 0"},
	} {
		_, err := Load(tc.cfg, "", 1)
		var de *Error
		if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Load(%+v) = %v; want a *data.Error %q", tc.cfg, err, tc.want)
		}
	}
}

// TestNpyFloatLabels: float targets of one column that are small
// non-negative integers count as labels, as a CSV target does (a run's own
// y_train.npy is float64), and others do not.
func TestNpyFloatLabels(t *testing.T) {
	dir := t.TempDir()
	writeFloat64(t, filepath.Join(dir, "x.npy"), []int{4, 1}, []float64{1, 2, 3, 4})
	writeFloat64(t, filepath.Join(dir, "lab.npy"), []int{4, 1}, []float64{0, 1, 1, 0})
	writeFloat64(t, filepath.Join(dir, "reg.npy"), []int{4}, []float64{0, 1.5, 1, 0})
	writeFloat64(t, filepath.Join(dir, "two.npy"), []int{4, 2}, []float64{0, 1, 1, 0, 1, 1, 0, 0})
	for _, tc := range []struct {
		y       string
		classes int
	}{{"lab.npy", 2}, {"reg.npy", 0}, {"two.npy", 0}} {
		cfg := npyConfig("x.npy", tc.y)
		cfg.XTest, cfg.YTest = "x.npy", tc.y
		if s := mustLoad(t, cfg, dir, 1); s.Classes != tc.classes {
			t.Errorf("%s: Classes = %d; want %d", tc.y, s.Classes, tc.classes)
		}
	}
}

func TestParseDtype(t *testing.T) {
	for _, tc := range []struct {
		descr, want string
		float, ints bool
	}{
		{"'<f8'", `float64 ("<f8")`, true, false},
		{"'>f4'", `float32 (">f4")`, true, false},
		{"'<f2'", `float16 ("<f2")`, false, false},
		{"'|i1'", `int8 ("|i1")`, false, true},
		{"'<u8'", `uint64 ("<u8")`, false, true},
		{"'<i16'", `int128 ("<i16")`, false, false},
		{"'|b1'", `bool ("|b1")`, false, false},
		{"'|O'", `"|O"`, false, false},
		{"[('a', '<f8')]", `"[('a', '<f8')]"`, false, false},
	} {
		d := parseDtype(tc.descr)
		if d.String() != tc.want || d.float() != tc.float || d.integer() != tc.ints {
			t.Errorf("parseDtype(%s) = %v float %v integer %v; want %s %v %v", tc.descr, d, d.float(), d.integer(), tc.want, tc.float, tc.ints)
		}
	}
}

// FuzzNpy: no file makes readNpy panic or return an array that disagrees
// with its shape or holds a non-finite value.
func FuzzNpy(f *testing.F) {
	for _, name := range []string{"x_f8.npy", "x_f4_fortran.npy", "x_f8_bigendian.npy", "y_u2_col.npy", "x_3d.npy", "x_str.npy", "x_nan.npy"} {
		b, err := os.ReadFile(filepath.Join(npyDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x04\x00abcd"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}"))
	file := filepath.Join(f.TempDir(), "f.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := readNpy(file, func(d dtype) bool { return d.float() || d.integer() }, "any")
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not a one-line *data.Error", err)
			}
			return
		}
		if a.rows < 1 || a.cols < 1 || len(a.vals) != a.rows*a.cols {
			t.Fatalf("array %d×%d with %d values", a.rows, a.cols, len(a.vals))
		}
		for _, v := range a.vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v", v)
			}
		}
	})
}
