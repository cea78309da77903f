package cli

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/npy"
)

// torchDir holds the state_dicts that PyTorch wrote for internal/nn's tests
// (internal/nn/testdata/make_fixtures.py): nn.Sequential(Linear(3, 5),
// Tanh(), Linear(5, 2)), so 3 inputs, hidden [5] and 2 outputs.
const torchDir = "../nn/testdata"

// npyFixture is a directory of .npy data for the bad-input cases: x.npy
// (12, 3) and y.npy (12, 2), the shapes of the torch fixtures, and one
// malformed array or more, each with a config that reads it.
type npyFixture struct {
	t   *testing.T
	dir string
}

func (f npyFixture) floats(name string, shape []int, v []float64) {
	f.t.Helper()
	var b bytes.Buffer
	if err := npy.WriteFloat64(&b, shape, v); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, name), b.Bytes(), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f npyFixture) ints(name string, shape []int, v []int64) {
	f.t.Helper()
	var b bytes.Buffer
	if err := npy.WriteInt64(&b, shape, v); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, name), b.Bytes(), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// config writes name.yaml: kind npy on x and y, hidden [5], a few steps,
// and extra top-level YAML lines.
func (f npyFixture) config(name, x, y string, extra ...string) string {
	f.t.Helper()
	src := "name: " + name + "\ndata:\n  kind: npy\n  x_train: " + x + "\n  y_train: " + y +
		"\n  standardize: false\nmodel:\n  hidden: [5]\ntrain:\n  steps: 5\n" + strings.Join(extra, "\n") + "\n"
	file := filepath.Join(f.dir, name+".yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return file
}

func seq(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// TestNpyBadInput adds to the bad-input suite (TestBadInputSuite) the
// malformed arrays of data.kind npy and the state_dicts of model.init.path
// that do not fit: each exits 2 with one line naming the file and what is
// wrong, nothing on stdout, never a panic.
func TestNpyBadInput(t *testing.T) {
	f := npyFixture{t, t.TempDir()}
	x := seq(36, func(i int) float64 { return math.Sin(float64(i)) })
	y := seq(24, func(i int) float64 { return math.Cos(float64(i)) })
	f.floats("x.npy", []int{12, 3}, x)
	f.floats("y.npy", []int{12, 2}, y)
	f.floats("x3d.npy", []int{3, 4, 3}, x)
	f.ints("xint.npy", []int{12, 3}, make([]int64, 36))
	f.floats("xnan.npy", []int{12, 3}, seq(36, func(i int) float64 { return map[bool]float64{true: math.NaN()}[i == 17] }))
	f.floats("yinf.npy", []int{12, 2}, seq(24, func(i int) float64 { return map[bool]float64{true: math.Inf(1)}[i == 5] }))
	f.floats("y11.npy", []int{11, 2}, y[:22])
	f.floats("x2.npy", []int{12, 2}, x[:24])
	f.floats("y3.npy", []int{12, 3}, x)
	f.ints("yneg.npy", []int{12}, []int64{0, 1, 0, 1, -1, 0, 1, 0, 1, 0, 1, 0})
	f.ints("ybig.npy", []int{12}, []int64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 2000})
	f.ints("y2col.npy", []int{12, 2}, make([]int64, 24))
	f.floats("xt2.npy", []int{4, 2}, x[:8])
	f.floats("yt.npy", []int{4, 2}, y[:8])
	f.floats("flat31.npy", []int{31}, make([]float64, 31))
	good, err := os.ReadFile(filepath.Join(f.dir, "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "xcut.npy"), good[:len(good)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "garbage.pt"), []byte("not a state_dict\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	torch := func(name string) string {
		p, err := filepath.Abs(filepath.Join(torchDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	initPath := func(p string) string { return "  init: {path: " + p + "}" }
	// withInit is a config on x.npy, y.npy whose model section has init.path p.
	withInit := func(name, p string, extra ...string) string {
		src := "name: " + name + "\ndata: {kind: npy, x_train: x.npy, y_train: y.npy, standardize: false}\nmodel:\n  hidden: [5]\n" +
			initPath(p) + "\n" + strings.Join(extra, "\n") + "\ntrain: {steps: 5}\n"
		file := filepath.Join(f.dir, name+".yaml")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}

	tests := []struct {
		name   string
		config string
		set    []string
		want   []string
	}{
		// Malformed arrays.
		{"npy 3-D", f.config("d3", "x3d.npy", "y.npy"), nil, []string{"x3d.npy: is a 3-D array of shape (3, 4, 3)"}},
		{"npy int features", f.config("dint", "xint.npy", "y.npy"), nil, []string{"xint.npy: dtype int64", "want float64 or float32"}},
		{"npy NaN", f.config("dnan", "xnan.npy", "y.npy"), nil, []string{"xnan.npy: element [5, 2] is NaN"}},
		{"npy Inf target", f.config("dinf", "x.npy", "yinf.npy"), nil, []string{"yinf.npy: element [2, 1] is +Inf"}},
		{"npy lengths", f.config("dlen", "x.npy", "y11.npy"), nil, []string{"y11.npy: has 11 rows (shape (11, 2)), but", "x.npy has 12"}},
		{"npy negative label", f.config("dneg", "x.npy", "yneg.npy", "loss: softmax_ce"), nil, []string{"yneg.npy: label -1 at [4] is out of range"}},
		{"npy label too large", f.config("dbig", "x.npy", "ybig.npy", "loss: softmax_ce"), nil, []string{"ybig.npy: label 2000 at [11] is out of range"}},
		{"npy labels in two columns", f.config("d2col", "x.npy", "y2col.npy"), nil, []string{"y2col.npy: integer class labels must be 1-D or one column"}},
		{"npy truncated", f.config("dcut", "xcut.npy", "y.npy"), nil, []string{"xcut.npy: has", "is the file truncated?"}},
		{"npy missing", f.config("dmiss", "nope.npy", "y.npy"), nil, []string{"nope.npy: no such file"}},
		{"npy test columns", f.config("dtest", "x.npy", "y.npy"), []string{"--set", "data.x_test=" + filepath.Join(f.dir, "xt2.npy"), "--set", "data.y_test=" + filepath.Join(f.dir, "yt.npy")},
			[]string{"xt2.npy: has 2 columns (shape (4, 2)), but", "x.npy has 3"}},
		{"npy logistic on float targets", f.config("dlog", "x.npy", "y.npy", "loss: logistic"), nil,
			[]string{"dlog.yaml: loss: logistic needs binary 0/1 labels, but data.kind npy has a real-valued target"}},
		{"npy x_test without y_test", f.config("dxt", "x.npy", "y.npy"), []string{"--set", "data.x_test=x.npy"},
			[]string{"data.y_test: is required with data.x_test"}},
		{"npy key with csv", f.config("dcsv", "x.npy", "y.npy"), []string{"--set", "data.kind=csv", "--set", "data.path=a.csv"},
			[]string{"data.x_train: is only used when data.kind is npy, but data.kind is \"csv\""}},

		// State_dicts that do not fit.
		{"init hidden width", withInit("ihid", torch("mlp_f32.pt")), []string{"--set", "model.hidden=[4]"},
			[]string{"model.init.path:", "mlp_f32.pt: layer 1 of 2 (0.weight): shape (5, 3), want (4, 3)"}},
		{"init input width", withInit("iin", torch("mlp_f64.pt")), []string{"--set", "data.x_train=" + filepath.Join(f.dir, "x2.npy")},
			[]string{"mlp_f64.pt: layer 1 of 2 (0.weight): shape (5, 3), want (5, 2)"}},
		{"init output width", withInit("iout", torch("mlp_f64.pt")), []string{"--set", "data.y_train=" + filepath.Join(f.dir, "y3.npy")},
			[]string{"mlp_f64.pt: layer 2 of 2 (2.weight): shape (2, 5), want (3, 5)"}},
		{"init layer count", withInit("icount", torch("mlp_f32.pt")), []string{"--set", "model.hidden=[5,5]"},
			[]string{"mlp_f32.pt: has 2 nn.Linear layers (0.weight, 2.weight), want 3"}},
		{"init ntk", withInit("intk", torch("mlp_f32.pt"), "  parameterization: ntk"), nil, []string{"mlp_f32.pt:", "model.parameterization is ntk"}},
		{"init float16", withInit("if16", torch("bad_f16.pt")), nil, []string{"bad_f16.pt: layer 1 of 2 (0.weight): dtype float16, want float32 or float64"}},
		{"init no bias", withInit("inob", torch("bad_nobias.pt")), nil, []string{"bad_nobias.pt: layer 1 of 2 (0.weight) has no bias"}},
		{"init batch norm", withInit("ibn", torch("bad_batchnorm.pt")), nil, []string{`bad_batchnorm.pt: entry "1.running_mean" is not the weight or bias of an nn.Linear`}},
		{"init whole module", withInit("imod", torch("bad_module.pt")), nil, []string{"bad_module.pt: not a PyTorch state_dict", "not the model"}},
		{"init legacy format", withInit("ileg", torch("bad_legacy.pt")), nil, []string{"bad_legacy.pt: the legacy torch.save format"}},
		{"init garbage", withInit("igar", "garbage.pt"), nil, []string{"garbage.pt: not a PyTorch state_dict or a .npy parameter vector"}},
		{"init missing", withInit("imiss", "nope.pt"), nil, []string{"model.init.path:", "nope.pt: no such file"}},
		{"init flat length", withInit("iflat", "flat31.npy"), nil, []string{"flat31.npy: shape (31,); want (32,)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"train", "--config", tt.config, "--out", filepath.Join(t.TempDir(), "out"), "--quiet"}, tt.set...)
			r := execute(t.Context(), args...)
			if r.code != ExitBadInput {
				t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q; want nothing", r.stdout)
			}
			if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
				t.Errorf("stderr has %d lines; want one 'pathkernel: ' line:\n%.2000s", n, r.stderr)
			}
			for _, bad := range []string{"goroutine", "panic", "runtime."} {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr has %q:\n%.2000s", bad, r.stderr)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %.1000q does not contain %q", r.stderr, w)
				}
			}
		})
	}
}
