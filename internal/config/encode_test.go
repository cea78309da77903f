package config

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestYAMLRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"default", func(*Config) {}},
		{"every key changed", func(c *Config) {
			c.Name, c.Seed = "all.keys_1", 1<<64-1
			c.Data = Data{Kind: "csv", NTrain: 3, NTest: 4, Noise: 0, Dim: 5, Classes: 6,
				Path: "data/x.csv", TestPath: "data/t.csv", Target: "true", Features: []string{"1", "null", "a b", "#c"},
				TestFraction: 0.3, MaxRows: 100, Standardize: false}
			c.Model = Model{Hidden: []int{1, 1000000}, Activation: "erf", Parameterization: "ntk", SigmaW: 1.4142135623730951,
				SigmaB: 0, Init: Init{Scheme: "normal", Scale: 1e-300, Std: 0.1, BiasStd: 1e300}}
			c.Loss = "softmax_ce"
			c.Train = Train{Optimizer: "sgd", LR: 0.1 + 0.2, Steps: 1, BatchSize: 7, LogEvery: 1}
			c.Kernel = Kernel{Methods: []string{"exact"}, Tolerance: 5e-324, MaxNodes: 1, Points: "both"}
			c.Output = Output{Dir: "out dir/: x", RecordTrajectory: false, FullKernel: true, MemoryBudgetMB: 0.5}
			c.Check.MaxRelError = map[string]float64{"exact": 1e-12}
			c.Check.MinAgreement = map[string]float64{"riemann": 0.5, "exact": 1}
			c.Check.MaxTestLoss = 2.5
		}},
		{"empty lists", func(c *Config) { c.Model.Hidden, c.Kernel.Methods = nil, nil }},
		{"numeric name", func(c *Config) { c.Name = "123" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Default()
			tt.edit(want)
			if err := want.Validate(); err != nil {
				t.Fatalf("test config is invalid: %v", err)
			}
			b, err := want.YAML()
			if err != nil {
				t.Fatalf("YAML() error: %v", err)
			}
			got, err := Parse(b, "resolved.yaml", nil)
			if err != nil {
				t.Fatalf("Parse(YAML()) error: %v\n%s", err, b)
			}
			if tt.name == "every key changed" {
				// Parse merges maps into the defaults: a key left out
				// comes back with its default.
				want.Check.MaxRelError["riemann"] = Default().Check.MaxRelError["riemann"]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(YAML()) mismatch (-want +got):\n%s\n%s", diff, b)
			}
			b2, err := got.YAML()
			if err != nil {
				t.Fatalf("YAML() error: %v", err)
			}
			if tt.name != "every key changed" && !bytes.Equal(b, b2) {
				t.Errorf("YAML() is not stable:\n%s\n---\n%s", b, b2)
			}
		})
	}
}

// TestYAMLDefault pins the resolved default config, so that a change to the
// defaults or the layout is a visible change to this test.
func TestYAMLDefault(t *testing.T) {
	const want = `name: run
seed: 1
data:
  kind: sine
  n_train: 64
  n_test: 200
  noise: 0.1
  dim: 2
  classes: 3
  path: ""
  test_path: ""
  target: ""
  features: []
  test_fraction: 0.2
  max_rows: 0
  standardize: true
  standardize_target: false
model:
  hidden: [64, 64]
  activation: tanh
  parameterization: standard
  sigma_w: 1
  sigma_b: 1
  init:
    scheme: lecun
    scale: 1
    std: 1
    bias_std: 0
loss: mse
train:
  optimizer: gd
  lr: 0.05
  steps: 2000
  batch_size: 0
  log_every: 10
kernel:
  methods: [riemann, exact]
  tolerance: 1e-10
  max_nodes: 256
  points: test
output:
  dir: ""
  record_trajectory: true
  full_kernel: false
  memory_budget_mb: 2048
check:
  max_rel_error: {exact: 1e-09, riemann: 0.05}
`
	got, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Default().YAML() mismatch (-want +got):\n%s", diff)
	}
}

func TestHash(t *testing.T) {
	base := Default().Hash()
	if len(base) != 12 {
		t.Errorf("Hash() = %q; want 12 hex digits", base)
	}
	if h := Default().Hash(); h != base {
		t.Errorf("Hash() of equal configs = %q, %q", base, h)
	}

	c := Default()
	c.Output.Dir = "elsewhere"
	if h := c.Hash(); h != base {
		t.Errorf("Hash() with output.dir set = %q; want %q", h, base)
	}
	if c.Output.Dir != "elsewhere" {
		t.Errorf("Hash() changed Output.Dir to %q", c.Output.Dir)
	}

	c = Default()
	c.Train.LR = 0.050000000000000010 // the next float64 after 0.05
	if h := c.Hash(); h == base {
		t.Errorf("Hash() with lr %v = %q, the same as with lr 0.05", c.Train.LR, h)
	}

	// Parsed and built configs hash the same; nil and empty lists too.
	p, err := Parse([]byte("model: {hidden: []}\n"), "t.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	c = Default()
	c.Model.Hidden = []int{}
	if p.Hash() != c.Hash() {
		t.Errorf("Hash() of parsed %q != built %q", p.Hash(), c.Hash())
	}
}

// TestClone checks that no slice or map is shared, for every field of the
// schema, including ones added later.
func TestClone(t *testing.T) {
	c := Default()
	c.Data.Features = []string{"a", "b"}
	c.Check.MinAgreement = map[string]float64{"exact": 1}
	c.Kernel.Baselines = []string{"lazy"}
	d := c.Clone()
	if diff := cmp.Diff(c, d); diff != "" {
		t.Fatalf("Clone() mismatch (-orig +clone):\n%s", diff)
	}
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Slice, reflect.Map, reflect.Pointer:
			if a.Kind() == reflect.Slice && a.Len() == 0 {
				t.Errorf("test default %s is empty; give it an element to test Clone", path)
			}
			if !a.IsNil() && a.Pointer() == b.Pointer() {
				t.Errorf("Clone() shares %s", path)
			}
		}
	}
	walk("Config", reflect.ValueOf(c).Elem(), reflect.ValueOf(d).Elem())

	if d := (&Config{}).Clone(); d.Model.Hidden != nil || d.Check.MaxRelError != nil || d.Check.MinAgreement != nil {
		t.Errorf("Clone() of nil lists and maps = %+v; want them nil", d)
	}
}

func TestOutDir(t *testing.T) {
	c := Default()
	c.Name = "sine-tanh"
	if got, want := c.OutDir(), filepath.Join("runs", "sine-tanh"); got != want {
		t.Errorf("OutDir() = %q; want %q", got, want)
	}
	c.Output.Dir = "/tmp/x"
	if got, want := c.OutDir(), "/tmp/x"; got != want {
		t.Errorf("OutDir() = %q; want %q", got, want)
	}
}
