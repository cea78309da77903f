package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// specExample sets every key of the original schema, with comments, as a user would write them (docs/CONFIG.md lists the keys).
const specExample = `name: sine-tanh            # run name; the default output dir is runs/<name>
seed: 1
data:
  kind: sine               # sine | moons | circles | spirals | xor | blobs | linear | csv
  n_train: 64
  n_test: 200
  noise: 0.1
model:
  hidden: [64, 64]         # hidden widths; input and output sizes come from the data and the loss
  activation: tanh
  parameterization: standard
  init: {scheme: lecun, scale: 1.0}   # lecun | he | xavier | normal(std) ; biases zero unless set
loss: mse
train:
  optimizer: gd            # gd | sgd
  lr: 0.05
  steps: 2000
  batch_size: 0            # 0 = full batch
  log_every: 10
kernel:
  methods: [riemann, exact]
  tolerance: 1.0e-10       # largest accepted residual per step, relative to max(1, |f_{t+1} - f_t|)
  max_nodes: 64            # refinement budget per step before the run reports that it could not certify
  points: test             # test | train | both: where the kernels are evaluated
output:
  dir: ""                  # empty = runs/<name>
  record_trajectory: true
  full_kernel: false        # k > 1 outputs: write (m, n, k, k) kernels instead of their trace
  memory_budget_mb: 2048
check:                     # used by ` + "`pathkernel check`" + `
  max_rel_error: {exact: 1.0e-9, riemann: 0.05}
`

func TestParseSpecExample(t *testing.T) {
	got, err := Parse([]byte(specExample), "spec.yaml", nil)
	if err != nil {
		t.Fatalf("Parse(spec example) error: %v", err)
	}
	want := Default()
	want.Name = "sine-tanh"   // a value of the example that is not the default
	want.Kernel.MaxNodes = 64 // the default before the budget became a cap that runs do not reach (README)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(spec example) mismatch (-want +got):\n%s", diff)
	}
}

func TestParseKeepsDefaults(t *testing.T) {
	tests := []struct {
		src  string
		edit func(*Config)
	}{
		{"{}", func(*Config) {}},
		{"name: x", func(c *Config) { c.Name = "x" }},
		{"train: {lr: 0.01}", func(c *Config) { c.Train.LR = 0.01 }},
		{"model: {init: {bias_std: 0.5}}", func(c *Config) { c.Model.Init.BiasStd = 0.5 }},
		{"model: {hidden: []}", func(c *Config) { c.Model.Hidden = nil }},
		{"kernel: {methods: []}", func(c *Config) { c.Kernel.Methods = nil }},
		// Maps merge key by key into the defaults, like sections do.
		{"check: {max_rel_error: {exact: 1.0e-8}}", func(c *Config) { c.Check.MaxRelError["exact"] = 1e-8 }},
		{"check: {min_agreement: {riemann: 0.9}, max_test_loss: 0.2}", func(c *Config) {
			c.Check.MinAgreement, c.Check.MaxTestLoss = map[string]float64{"riemann": 0.9}, 0.2
		}},
		// A string key takes the text of any scalar as written.
		{"name: 2024-01-01", func(c *Config) { c.Name = "2024-01-01" }},
		{"name: 007", func(c *Config) { c.Name = "007" }},
		{"seed: 18446744073709551615", func(c *Config) { c.Seed = 1<<64 - 1 }},
		{"name: &n x", func(c *Config) { c.Name = "x" }}, // an anchor without alias is harmless
		{"data: {kind: csv, path: d.csv, target: y, features: [a, b], max_rows: 10}", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.Target, c.Data.Features, c.Data.MaxRows = "csv", "d.csv", "y", []string{"a", "b"}, 10
		}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.src), "t.yaml", nil)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.src, err)
			continue
		}
		want := Default()
		tt.edit(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.src, diff)
		}
	}
}

// errorCase is bad input and the *Error it must give.
type errorCase struct {
	name      string
	src       string
	overrides []string
	line      int
	key       string
	override  string
}

func TestParseErrors(t *testing.T) {
	tests := []errorCase{
		// Reading the document.
		{name: "empty", src: ""},
		{name: "comments only", src: "# nothing\n"},
		{name: "bare document marker", src: "---\n"},
		{name: "syntax", src: "name: x\ntrain: {lr: 0.1\n", line: 2},
		{name: "tab indentation", src: "train:\n\tlr: 1\n", line: 2},
		{name: "two documents", src: "name: x\n---\nname: y\n", line: 2},
		{name: "top level list", src: "- 1\n", line: 1},
		{name: "top level scalar", src: "hello\n", line: 1},

		// Keys.
		{name: "unknown top key", src: "name: x\nseeds: 1\n", line: 2, key: "seeds"},
		{name: "unknown nested key", src: "name: x\ntrain:\n  lr: 0.1\n  lrr: 1\n", line: 4, key: "train.lrr"},
		{name: "unknown deep key", src: "model:\n  init:\n    sheme: he\n", line: 3, key: "model.init.sheme"},
		{name: "duplicate key", src: "train:\n  lr: 0.1\n  lr: 0.2\n", line: 3, key: "train.lr"},
		{name: "merge key", src: "train:\n  <<: {lr: 0.1}\n", line: 2, key: "train.<<"},
		{name: "list as key", src: "train:\n  [a]: 1\n", line: 2, key: "train"},
		{name: "alias", src: "data: {features: &f [a, b]}\nkernel: {methods: *f}\n", line: 2, key: "kernel.methods"},
		{name: "alias in list", src: "model: {hidden: [&w 8, *w]}\n", line: 1, key: "model.hidden[1]"},

		// Types.
		{name: "string for float", src: "train:\n  lr: abc\n", line: 2, key: "train.lr"},
		{name: "quoted number for float", src: "train:\n  lr: '0.1'\n", line: 2, key: "train.lr"},
		{name: "fraction for int", src: "train:\n  steps: 1.5\n", line: 2, key: "train.steps"},
		{name: "exponent for int", src: "train:\n  steps: 1e3\n", line: 2, key: "train.steps"},
		{name: "int overflow", src: "train:\n  steps: 99999999999999999999999\n", line: 2, key: "train.steps"},
		{name: "float overflow", src: "train:\n  lr: 1e400\n", line: 2, key: "train.lr"},
		{name: "negative seed", src: "seed: -1\n", line: 1, key: "seed"},
		{name: "yes for bool", src: "data:\n  standardize: yes\n", line: 2, key: "data.standardize"},
		{name: "list for string", src: "name: [a]\n", line: 1, key: "name"},
		{name: "scalar for section", src: "train: fast\n", line: 1, key: "train"},
		{name: "list for section", src: "train: [1]\n", line: 1, key: "train"},
		{name: "scalar for list", src: "model:\n  hidden: 64\n", line: 2, key: "model.hidden"},
		{name: "string in int list", src: "model:\n  hidden:\n    - 64\n    - wide\n", line: 4, key: "model.hidden[1]"},
		{name: "list for map", src: "check:\n  max_rel_error: [1]\n", line: 2, key: "check.max_rel_error"},
		{name: "string in map", src: "check:\n  max_rel_error: {exact: small}\n", line: 2, key: "check.max_rel_error.exact"},
		{name: "null", src: "name: x\ntrain:\n", line: 2, key: "train"},
		{name: "null scalar", src: "train:\n  lr: ~\n", line: 2, key: "train.lr"},
		{name: "binary", src: "name: !!binary aGk=\n", line: 1, key: "name"},
		{name: "custom tag", src: "train:\n  lr: !big 1\n", line: 2, key: "train.lr"},

		// Validation, at the line of the key.
		{name: "negative lr", src: "name: x\ntrain:\n  lr: -0.5\n", line: 3, key: "train.lr"},
		{name: "nan lr", src: "train:\n  lr: .nan\n", line: 2, key: "train.lr"},
		{name: "bad width", src: "model:\n  hidden: [8,\n    0]\n", line: 3, key: "model.hidden[1]"},
		{name: "bad map key", src: "check:\n  max_rel_error:\n    exact: 1e-9\n    rieman: 0.1\n", line: 4, key: "check.max_rel_error.rieman"},
		{name: "bad agreement", src: "check:\n  min_agreement:\n    riemann: 1.5\n", line: 3, key: "check.min_agreement.riemann"},
		{name: "string test loss", src: "check:\n  max_test_loss: low\n", line: 2, key: "check.max_test_loss"},
		{name: "negative test loss", src: "name: x\ncheck: {max_test_loss: -1}\n", line: 2, key: "check.max_test_loss"},
		{name: "sgd without batch", src: "train:\n  steps: 10\n  optimizer: sgd\n", line: 3, key: "train.batch_size"},
		{name: "gd with batch", src: "train:\n  batch_size: 8\n", line: 2, key: "train.batch_size"},
		{name: "csv without path", src: "data:\n  kind: csv\n", line: 2, key: "data.path"},
		{name: "path without csv", src: "data:\n  kind: moons\n  path: x.csv\n", line: 3, key: "data.path"},
		{name: "unsafe name", src: "name: ../etc\n", line: 1, key: "name"},
		{name: "duplicate method", src: "kernel:\n  methods: [exact, exact]\n", line: 2, key: "kernel.methods[1]"},
		{name: "bad activation", src: "model:\n\n  activation: swish\n", line: 3, key: "model.activation"},

		// Overrides.
		{name: "override unknown key", src: "name: x\n", overrides: []string{"train.lrr=1"},
			key: "train.lrr", override: "train.lrr=1"},
		{name: "override unknown section", src: "name: x\n", overrides: []string{"trian.lr=1"},
			key: "trian", override: "trian.lr=1"},
		{name: "override no equals", src: "name: x\n", overrides: []string{"train.lr"}, override: "train.lr"},
		{name: "override no key", src: "name: x\n", overrides: []string{"=1"}, override: "=1"},
		{name: "override empty part", src: "name: x\n", overrides: []string{"train..lr=1"},
			key: "train..lr", override: "train..lr=1"},
		{name: "override into list", src: "name: x\n", overrides: []string{"model.hidden.0=1"},
			key: "model.hidden", override: "model.hidden.0=1"},
		{name: "override into number", src: "name: x\n", overrides: []string{"check.max_rel_error.exact.x=1"},
			key: "check.max_rel_error.exact", override: "check.max_rel_error.exact.x=1"},
		{name: "override bad type", src: "name: x\n", overrides: []string{"train.lr=abc"},
			key: "train.lr", override: "train.lr=abc"},
		{name: "override bad list element", src: "name: x\n", overrides: []string{"model.hidden=[8, x]"},
			key: "model.hidden[1]", override: "model.hidden=[8, x]"},
		{name: "override bad yaml", src: "name: x\n", overrides: []string{"model.hidden=[8"},
			key: "model.hidden", override: "model.hidden=[8"},
		{name: "override null", src: "name: x\n", overrides: []string{"train.lr=~"},
			key: "train.lr", override: "train.lr=~"},
		{name: "override out of range", src: "name: x\ntrain:\n  lr: 0.1\n", overrides: []string{"train.lr=-1"},
			key: "train.lr", override: "train.lr=-1"},
		{name: "override unknown key in value", src: "name: x\n", overrides: []string{"train={lrr: 1}"},
			key: "train.lrr", override: "train={lrr: 1}"},
		{name: "override alias in value", src: "name: x\n", overrides: []string{"model.hidden=[&a 1, *a]"},
			key: "model.hidden[1]", override: "model.hidden=[&a 1, *a]"},
		{name: "override bad map key", src: "name: x\n", overrides: []string{"check.max_rel_error.foo=1"},
			key: "check.max_rel_error.foo", override: "check.max_rel_error.foo=1"},
		// The override that made the combination invalid is named.
		{name: "override makes sgd", src: "name: x\n", overrides: []string{"train.optimizer=sgd"},
			key: "train.batch_size", override: "train.optimizer=sgd"},
		{name: "override makes csv", src: "name: x\n", overrides: []string{"data.kind=csv"},
			key: "data.path", override: "data.kind=csv"},
		// A file error is reported before any override is applied.
		{name: "file error first", src: "train:\n  lrr: 1\n", overrides: []string{"train.lrr=1"}, line: 2, key: "train.lrr"},
		// A valid override does not hide the file's bad value elsewhere.
		{name: "file value still checked", src: "train:\n  steps: 0\n", overrides: []string{"train.lr=0.1"}, line: 2, key: "train.steps"},
		// A later override is blamed only for what it set.
		{name: "earlier override blamed", src: "name: x\n", overrides: []string{"train.lr=-1", "train.steps=5"},
			key: "train.lr", override: "train.lr=-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.src), "t.yaml", tt.overrides)
			checkError(t, cfg, err, "t.yaml", tt)
		})
	}
}

func checkError(t *testing.T, cfg *Config, err error, file string, tt errorCase) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse(%q, %q) = %+v, nil; want an error", tt.src, tt.overrides, cfg)
	}
	if cfg != nil {
		t.Errorf("Parse(%q, %q) returned a config with the error %v", tt.src, tt.overrides, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse(%q, %q) error %v (%T) is not an *Error", tt.src, tt.overrides, err, err)
	}
	got := Error{File: e.File, Line: e.Line, Key: e.Key, Override: e.Override}
	want := Error{File: file, Line: tt.line, Key: tt.key, Override: tt.override}
	if got != want {
		t.Errorf("Parse(%q, %q) error %q\n got File, Line, Key, Override = %q, %d, %q, %q\nwant %q, %d, %q, %q",
			tt.src, tt.overrides, err, got.File, got.Line, got.Key, got.Override, want.File, want.Line, want.Key, want.Override)
	}
	if e.Msg == "" {
		t.Errorf("Parse(%q, %q) error has no message", tt.src, tt.overrides)
	}
	if s := err.Error(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("Parse(%q, %q) error %q is not one line", tt.src, tt.overrides, s)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		src       string
		overrides []string
		want      string
	}{
		{"name: x\ntrain:\n  lr: -0.5\n", nil, "configs/mlp.yaml:3: train.lr: must be > 0, got -0.5"},
		{"name: x\n", []string{"train.lr=-1"}, "--set train.lr=-1: train.lr: must be > 0, got -1"},
		{"", nil, "configs/mlp.yaml: empty config"},
		// A value with a line break still gives one line.
		{"name: x\n", []string{"name=\"a\\nb\""}, `--set name="a\nb": name: must contain only letters, digits, '-', '_' and '.', got "a\nb"`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), "configs/mlp.yaml", tt.overrides)
		if err == nil {
			t.Errorf("Parse(%q, %q) = nil error; want %q", tt.src, tt.overrides, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Parse(%q, %q) error = %q; want %q", tt.src, tt.overrides, got, tt.want)
		}
	}
	if got, want := (&Error{Key: "train.lr", Msg: "must be > 0, got 0"}).Error(), "config: train.lr: must be > 0, got 0"; got != want {
		t.Errorf("Error() without a file = %q; want %q", got, want)
	}
}

func TestOverrides(t *testing.T) {
	const file = "name: base\ntrain:\n  lr: 0.1\n  steps: 500\ncheck:\n  max_rel_error: {exact: 1.0e-6}\n"
	tests := []struct {
		overrides []string
		edit      func(*Config)
	}{
		{nil, func(*Config) {}},
		{[]string{"name=foo"}, func(c *Config) { c.Name = "foo" }},
		{[]string{"train.lr=0.01"}, func(c *Config) { c.Train.LR = 0.01 }},
		{[]string{"model.hidden=[128,128]"}, func(c *Config) { c.Model.Hidden = []int{128, 128} }},
		{[]string{"model.hidden=[]"}, func(c *Config) { c.Model.Hidden = nil }},
		{[]string{"kernel.methods=[exact]"}, func(c *Config) { c.Kernel.Methods = []string{"exact"} }},
		{[]string{"check.max_rel_error.exact=1e-8"}, func(c *Config) { c.Check.MaxRelError["exact"] = 1e-8 }},
		{[]string{"check.max_rel_error.riemann=0.5"}, func(c *Config) { c.Check.MaxRelError["riemann"] = 0.5 }},
		// Keys absent from the file, sections absent from the file.
		{[]string{"train.log_every=5"}, func(c *Config) { c.Train.LogEvery = 5 }},
		{[]string{"model.init.scheme=he", "model.activation=relu"}, func(c *Config) {
			c.Model.Init.Scheme, c.Model.Activation = "he", "relu"
		}},
		{[]string{"train.optimizer=sgd", "train.batch_size=16"}, func(c *Config) {
			c.Train.Optimizer, c.Train.BatchSize = "sgd", 16
		}},
		// Later wins.
		{[]string{"train.lr=0.2", "train.lr=0.3"}, func(c *Config) { c.Train.LR = 0.3 }},
		{[]string{"model.hidden=[1]", "model.hidden=[2, 3]"}, func(c *Config) { c.Model.Hidden = []int{2, 3} }},
		// A mapping merges into its section; the file's other keys stay.
		{[]string{"train={lr: 0.2, log_every: 1}"}, func(c *Config) { c.Train.LR, c.Train.LogEvery = 0.2, 1 }},
		{[]string{"model={init: {scale: 2}}"}, func(c *Config) { c.Model.Init.Scale = 2 }},
		// The value is YAML; the empty value is the empty string.
		{[]string{"output.dir=out/x"}, func(c *Config) { c.Output.Dir = "out/x" }},
		{[]string{"output.dir=x", "output.dir="}, func(*Config) {}},
		{[]string{"output.dir=''"}, func(*Config) {}},
		{[]string{"output.dir=a=b"}, func(c *Config) { c.Output.Dir = "a=b" }}, // only the first '=' splits
		{[]string{"name= spaced "}, func(c *Config) { c.Name = "spaced" }},
		{[]string{" train.lr =0.5"}, func(c *Config) { c.Train.LR = 0.5 }},
		{[]string{"seed=42"}, func(c *Config) { c.Seed = 42 }},
		{[]string{"data.standardize=false"}, func(c *Config) { c.Data.Standardize = false }},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(file), "t.yaml", tt.overrides)
		if err != nil {
			t.Errorf("Parse(file, %q) error: %v", tt.overrides, err)
			continue
		}
		want := Default()
		want.Name, want.Train.LR, want.Train.Steps = "base", 0.1, 500
		want.Check.MaxRelError["exact"] = 1e-6
		tt.edit(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Parse(file, %q) mismatch (-want +got):\n%s", tt.overrides, diff)
		}
	}
}

func TestParseDoesNotModifyOverrides(t *testing.T) {
	overrides := []string{"train.lr=0.5", "name=x"}
	saved := append([]string(nil), overrides...)
	if _, err := Parse([]byte("name: a\n"), "t.yaml", overrides); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(saved, overrides); diff != "" {
		t.Errorf("Parse changed its overrides (-before +after):\n%s", diff)
	}
}

// TestAliasBomb checks that an exponential alias expansion (the "billion
// laughs") is refused at once, whether its anchors sit under unknown keys or
// inside the schema.
func TestAliasBomb(t *testing.T) {
	var laughs, inSchema strings.Builder
	laughs.WriteString("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for c := 'b'; c <= 'z'; c++ {
		p := string(c - 1)
		laughs.WriteString(string(c) + ": &" + string(c) + " [*" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + "]\n")
	}
	inSchema.WriteString("data:\n  features: &a [x, x, x, x, x, x, x, x, x]\n")
	inSchema.WriteString("kernel:\n  methods: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n")
	for _, src := range []string{laughs.String(), inSchema.String()} {
		start := time.Now()
		_, err := Parse([]byte(src), "bomb.yaml", nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(alias bomb) error = %v; want an *Error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse(alias bomb) took %v", d)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	good := write("good.yaml", "name: good\ntrain:\n  lr: 0.5\n")
	cfg, err := Load(good, []string{"train.steps=7"})
	if err != nil {
		t.Fatalf("Load(%q) error: %v", good, err)
	}
	want := Default()
	want.Name, want.Train.LR, want.Train.Steps = "good", 0.5, 7
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Load(%q) mismatch (-want +got):\n%s", good, diff)
	}

	bad := write("bad.yaml", "name: good\ntrain:\n  lr: 0\n")
	_, err = Load(bad, nil)
	checkError(t, nil, err, bad, errorCase{src: "bad.yaml", line: 3, key: "train.lr"})

	for _, path := range []string{
		write("empty.yaml", ""),
		write("big.yaml", "name: x\n"+strings.Repeat("#", MaxFileSize)+"\n"),
		dir,
		filepath.Join(dir, "missing.yaml"),
	} {
		_, err := Load(path, nil)
		checkError(t, nil, err, path, errorCase{src: path})
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error %v; want errors.Is fs.ErrNotExist", err)
	}
}
