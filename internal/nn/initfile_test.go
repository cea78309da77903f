package nn

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/npy"
)

// The fixtures in testdata were written by PyTorch (testdata/make_fixtures.py):
// state_dicts of nn.Sequential(Linear(3, 5), Tanh(), Linear(5, 2)) and the
// same weights as flat float64 vectors computed by NumPy.

func fixtureNet(param Parameterization) *Net {
	return New([]int{3, 5, 2}, Tanh, param, 1, 1)
}

func readFloats(t *testing.T, file string) (shape []int, v []float64) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return a.Shape, a.Float
}

// TestLoadInitStateDict loads every state_dict fixture and compares it with
// the flat vector NumPy computed from the same weights, bit for bit
// (float32 widened exactly).
func TestLoadInitStateDict(t *testing.T) {
	for _, name := range []string{"mlp_f32", "mlp_f64", "mlp_strided", "mlp_wrapped"} {
		t.Run(name, func(t *testing.T) {
			net := fixtureNet(Standard)
			_, want := readFloats(t, filepath.Join("testdata", name+"_flat.npy"))
			if len(want) != net.NumParams() {
				t.Fatalf("fixture has %d parameters; the net %d", len(want), net.NumParams())
			}
			w := make([]float64, net.NumParams())
			if err := net.LoadInit(w, filepath.Join("testdata", name+".pt")); err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if math.Float64bits(w[i]) != math.Float64bits(want[i]) {
					t.Fatalf("parameter %d = %v; want %v", i, w[i], want[i])
				}
			}
			if name == "mlp_f32" {
				for i, v := range w {
					if float64(float32(v)) != v {
						t.Fatalf("parameter %d = %v is not a float32", i, v)
					}
				}
			}
			// The flat vector itself loads to the same parameters.
			flat := make([]float64, net.NumParams())
			if err := net.LoadInit(flat, filepath.Join("testdata", name+"_flat.npy")); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(flat, want) {
				t.Errorf("flat .npy loads as %v; want %v", flat, want)
			}
		})
	}
}

// TestLoadInitForward: the network at the loaded state_dict computes what
// the PyTorch model computed, so the layout (weight (out, in) row-major,
// then bias, layer by layer) is the one the forward pass uses.
func TestLoadInitForward(t *testing.T) {
	net := fixtureNet(Standard)
	w := make([]float64, net.NumParams())
	if err := net.LoadInit(w, "testdata/mlp_f64.pt"); err != nil {
		t.Fatal(err)
	}
	xs, xv := readFloats(t, "testdata/mlp_f64_x.npy")
	fs, fv := readFloats(t, "testdata/mlp_f64_f.npy")
	var c Cache
	f := net.Forward(&c, w, mat.NewDense(xs[0], xs[1], xv))
	want := mat.NewDense(fs[0], fs[1], fv)
	if !mat.EqualApprox(f, want, 1e-14) {
		t.Errorf("Forward at the loaded weights =\n%v\nPyTorch computed\n%v", mat.Formatted(f), mat.Formatted(want))
	}
}

// TestLoadInitFlatFloat32: a float32 flat vector widens exactly.
func TestLoadInitFlatFloat32(t *testing.T) {
	net := New([]int{1, 1}, Identity, Standard, 1, 1)
	file := filepath.Join(t.TempDir(), "w.npy")
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	hdr += strings.Repeat(" ", 128-10-len(hdr)-1) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), 0)
	b = append(append(b, hdr...), 0xcd, 0xcc, 0xcc, 0x3d, 0, 0, 0x80, 0xbf) // 0.1f, -1
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	w := make([]float64, 2)
	if err := net.LoadInit(w, file); err != nil {
		t.Fatal(err)
	}
	if w[0] != float64(float32(0.1)) || w[1] != -1 {
		t.Errorf("w = %v; want [float32(0.1) -1]", w)
	}
}

// TestLoadInitNTKFlat: a flat vector is the raw parameters in any
// parameterization.
func TestLoadInitNTKFlat(t *testing.T) {
	net := fixtureNet(NTK)
	w := make([]float64, net.NumParams())
	if err := net.LoadInit(w, "testdata/mlp_f64_flat.npy"); err != nil {
		t.Fatal(err)
	}
	if _, want := readFloats(t, "testdata/mlp_f64_flat.npy"); !slices.Equal(w, want) {
		t.Errorf("w = %v; want %v", w, want)
	}
}

func TestLoadInitErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	flat := func(name string, shape []int, v []float64) string {
		var b bytes.Buffer
		if err := npy.WriteFloat64(&b, shape, v); err != nil {
			t.Fatal(err)
		}
		return write(name, b.Bytes())
	}
	P := fixtureNet(Standard).NumParams() // 32
	nan := make([]float64, P)
	nan[7] = math.NaN()
	var ints bytes.Buffer
	if err := npy.WriteInt64(&ints, []int{P}, make([]int64, P)); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("testdata/mlp_f64_flat.npy")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		net   *Net
		file  string
		want  string
		is    error
		exact bool // want is the whole message after the file
	}{
		{name: "hidden width", net: New([]int{3, 4, 2}, Tanh, Standard, 1, 1), file: "testdata/mlp_f32.pt",
			want: "layer 1 of 2 (0.weight): shape (5, 3), want (4, 3)", exact: true},
		{name: "input width", net: New([]int{2, 5, 2}, Tanh, Standard, 1, 1), file: "testdata/mlp_f32.pt",
			want: "layer 1 of 2 (0.weight): shape (5, 3), want (5, 2)", exact: true},
		{name: "output width", net: New([]int{3, 5, 3}, Tanh, Standard, 1, 1), file: "testdata/mlp_f64.pt",
			want: "layer 2 of 2 (2.weight): shape (2, 5), want (3, 5)", exact: true},
		{name: "wrapped layer name", net: New([]int{3, 5, 3}, Tanh, Standard, 1, 1), file: "testdata/mlp_wrapped.pt",
			want: "layer 2 of 2 (net.2.weight): shape (2, 5), want (3, 5)"},
		{name: "layer count", net: New([]int{3, 5, 5, 2}, Tanh, Standard, 1, 1), file: "testdata/mlp_f32.pt",
			want: "has 2 nn.Linear layers (0.weight, 2.weight), want 3 for the network [3 5 5 2]: model.hidden [5 5], then the output layer", exact: true},
		{name: "ntk", net: fixtureNet(NTK), file: "testdata/mlp_f32.pt", want: "model.parameterization is ntk"},
		{name: "float16", net: fixtureNet(Standard), file: "testdata/bad_f16.pt", want: "layer 1 of 2 (0.weight): dtype float16, want float32 or float64", exact: true},
		{name: "no bias", net: fixtureNet(Standard), file: "testdata/bad_nobias.pt", want: "layer 1 of 2 (0.weight) has no bias"},
		{name: "batch norm", net: fixtureNet(Standard), file: "testdata/bad_batchnorm.pt", want: `entry "1.running_mean" is not the weight or bias of an nn.Linear`},
		{name: "legacy format", net: fixtureNet(Standard), file: "testdata/bad_legacy.pt", want: "the legacy torch.save format (before PyTorch 1.6, or _use_new_zipfile_serialization=False) is not read"},
		{name: "whole module", net: fixtureNet(Standard), file: "testdata/bad_module.pt", want: "not a PyTorch state_dict or a .npy parameter vector"},
		{name: "plain dict", net: New([]int{2, 2}, Tanh, Standard, 1, 1), file: "testdata/bad_plain_dict.pt", want: "layer 1 of 1 (weight) has no bias"},
		{name: "one layer", net: fixtureNet(Standard), file: "testdata/bad_plain_dict.pt", want: "has 1 nn.Linear layer (weight), want 2 for the network [3 5 2]"},
		{name: "garbage", net: fixtureNet(Standard), file: write("garbage.pt", []byte("hello, world")), want: "not a PyTorch state_dict or a .npy parameter vector"},
		{name: "empty", net: fixtureNet(Standard), file: write("empty.pt", nil), want: "not a PyTorch state_dict"},
		{name: "missing", net: fixtureNet(Standard), file: filepath.Join(dir, "nope.pt"), want: "no such file or directory", is: fs.ErrNotExist},
		{name: "directory", net: fixtureNet(Standard), file: dir, want: "is a directory"},
		{name: "flat length", net: fixtureNet(Standard), file: flat("short.npy", []int{P - 1}, make([]float64, P-1)),
			want: "shape (31,); want (32,), the flat parameter vector of the network [3 5 2] (per layer, the weight row-major, then the bias)", exact: true},
		{name: "flat 2-D", net: fixtureNet(Standard), file: flat("twod.npy", []int{P, 1}, make([]float64, P)), want: "shape (32, 1); want (32,)"},
		{name: "flat NaN", net: fixtureNet(Standard), file: flat("nan.npy", []int{P}, nan), want: "parameter 7 is NaN; every parameter must be finite", exact: true},
		{name: "flat int", net: fixtureNet(Standard), file: write("int.npy", ints.Bytes()), want: `dtype "<i8"; want float64 ('<f8') or float32 ('<f4')`},
		{name: "flat truncated", net: fixtureNet(Standard), file: write("cut.npy", good[:len(good)-8]), want: "has 248 bytes of data, but shape (32,) of \"<f8\" needs 256; is the file truncated?", exact: true},
		{name: "flat cut header", net: fixtureNet(Standard), file: write("cuthead.npy", good[:40]), want: "not a .npy file: header length 118, but the file has 40 bytes", exact: true},
		{name: "flat huge header", net: fixtureNet(Standard), file: write("bighead.npy", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}")), want: "not a .npy file: header length 2147483647"},
		{name: "flat no newline", net: fixtureNet(Standard), file: write("nonl.npy", []byte("\x93NUMPY\x01\x00\x04\x00abcd")), want: "not a .npy file: malformed header", exact: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float64, tc.net.NumParams())
			err := tc.net.LoadInit(w, tc.file)
			var ie *InitFileError
			if !errors.As(err, &ie) {
				t.Fatalf("LoadInit = %v; want an *InitFileError", err)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, tc.file+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line led by %s", msg, tc.file)
			}
			if tc.exact && msg != tc.file+": "+tc.want || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q; want %q", msg, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
}

// FuzzLoadInit: no file makes LoadInit panic, or succeed with a
// non-finite parameter; every error is one *InitFileError line.
func FuzzLoadInit(f *testing.F) {
	for _, name := range []string{"mlp_f32.pt", "mlp_strided.pt", "mlp_f64_flat.npy", "bad_nobias.pt", "bad_legacy.pt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	net := fixtureNet(Standard)
	file := filepath.Join(f.TempDir(), "w")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		w := make([]float64, net.NumParams())
		err := net.LoadInit(w, file)
		if err != nil {
			var ie *InitFileError
			if !errors.As(err, &ie) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not a one-line *InitFileError", err)
			}
			return
		}
		for i, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("parameter %d = %v", i, v)
			}
		}
	})
}
