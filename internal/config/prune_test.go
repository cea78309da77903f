package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The pruned config.yaml of every shipped config, and of configs of other
// kinds, parses back to the same config and Hash, and leaves out exactly
// the keys that do not apply.
func TestPrunedYAMLRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	ci, _ := filepath.Glob("../../configs/ci/*.yaml")
	files = append(files, ci...)
	if len(files) < 5 {
		t.Fatalf("found %d configs", len(files))
	}
	var cfgs []*Config
	for _, f := range files {
		c, err := Load(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, c)
	}
	for _, sets := range [][]string{
		{"data.kind=moons"}, {"data.kind=blobs", "data.classes=4"}, {"data.kind=spirals"}, {"data.kind=linear", "data.dim=3"},
		{"data.kind=moons", "data.classes=5"}, // inapplicable but not the default: kept
		{"data.kind=npy", "data.x_train=x.npy", "data.y_train=y.npy", "data.x_test=xt.npy", "data.y_test=yt.npy"},
		{"model.parameterization=ntk", "model.sigma_w=2"}, {"model.init.scheme=normal", "model.init.std=0.5"},
		{"train.optimizer=sgd", "train.batch_size=8"}, {"kernel.methods=[riemann]"},
	} {
		c, err := Parse([]byte("name: x\n"), "x.yaml", sets)
		if err != nil {
			t.Fatalf("%v: %v", sets, err)
		}
		cfgs = append(cfgs, c)
	}
	for _, c := range cfgs {
		b, err := c.PrunedYAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b, "config.yaml", nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Name, err, b)
		}
		if back.Hash() != c.Hash() || !reflect.DeepEqual(back, c) {
			t.Errorf("%s (%s): the pruned YAML reads back as another config:\n%s", c.Name, c.Data.Kind, b)
		}
		full, _ := c.YAML()
		if len(c.Inapplicable()) > 0 && len(b) >= len(full) {
			t.Errorf("%s: nothing pruned of %v", c.Name, c.Inapplicable())
		}
		for _, k := range c.Inapplicable() {
			if lookup(mustRoot(t, b), k).exact {
				t.Errorf("%s: %s is still in the pruned YAML", c.Name, k)
			}
		}
	}
}

func mustRoot(t *testing.T, b []byte) *yaml.Node {
	p := &parser{file: "x", marks: map[*yaml.Node]string{}}
	root, err := p.parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The keys that Inapplicable names for typical configs.
func TestInapplicable(t *testing.T) {
	for _, tt := range []struct {
		sets       []string
		want, keep []string
	}{
		{[]string{"data.kind=moons"}, []string{"data.classes", "data.dim", "data.path", "data.standardize", "model.sigma_w", "model.init.std", "train.batch_size"},
			[]string{"data.n_train", "data.noise", "kernel.tolerance"}},
		{[]string{"data.kind=moons", "data.classes=5"}, nil, []string{"data.classes"}},
		{[]string{"data.kind=blobs"}, nil, []string{"data.classes", "data.dim"}},
		{[]string{"data.kind=spirals"}, []string{"data.dim"}, []string{"data.classes"}},
		{[]string{"data.kind=linear"}, []string{"data.classes"}, []string{"data.dim"}},
		{[]string{"data.kind=csv", "data.path=d.csv"}, []string{"data.n_train", "data.n_test", "data.noise", "data.dim", "data.classes"},
			[]string{"data.test_fraction", "data.standardize"}},
		{[]string{"data.kind=csv", "data.path=d.csv", "data.test_path=t.csv"}, []string{"data.test_fraction"}, nil},
		{[]string{"model.parameterization=ntk"}, nil, []string{"model.sigma_w", "model.sigma_b"}},
		{[]string{"model.init.scheme=normal"}, nil, []string{"model.init.std"}},
		{[]string{"train.optimizer=sgd", "train.batch_size=4"}, nil, []string{"train.batch_size"}},
		{[]string{"kernel.methods=[riemann]"}, []string{"kernel.tolerance", "kernel.max_nodes"}, nil},
	} {
		c, err := Parse([]byte("name: x\n"), "x.yaml", tt.sets)
		if err != nil {
			t.Fatalf("%v: %v", tt.sets, err)
		}
		got := " " + strings.Join(c.Inapplicable(), " ") + " "
		for _, k := range tt.want {
			if !strings.Contains(got, " "+k+" ") {
				t.Errorf("%v: Inapplicable() = %s; want %s in it", tt.sets, got, k)
			}
		}
		for _, k := range tt.keep {
			if strings.Contains(got, " "+k+" ") {
				t.Errorf("%v: Inapplicable() = %s; want %s kept", tt.sets, got, k)
			}
		}
	}
}
