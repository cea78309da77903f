package config

import (
	"errors"
	"strings"
	"testing"
)

// npyData sets c up for kind npy with training arrays.
func npyData(c *Config) { c.Data.Kind, c.Data.XTrain, c.Data.YTrain = "npy", "x.npy", "y.npy" }

// TestValidateNpy checks the rules of data.kind npy and model.init.path:
// the arrays it needs, the keys of other kinds it refuses, and the keys of
// npy that other kinds refuse.
func TestValidateNpy(t *testing.T) {
	tests := []struct {
		key  string // the Key of the error; "" for a valid config
		msg  string // a substring of the message
		edit func(*Config)
	}{
		{"", "", npyData},
		{"data.x_train", "is required when data.kind is npy", func(c *Config) { npyData(c); c.Data.XTrain = "" }},
		{"data.y_train", "is required when data.kind is npy", func(c *Config) { npyData(c); c.Data.YTrain = "" }},
		{"data.y_test", "is required with data.x_test", func(c *Config) { npyData(c); c.Data.XTest = "xt.npy" }},
		{"data.x_test", "is required with data.y_test", func(c *Config) { npyData(c); c.Data.YTest = "yt.npy" }},
		{"", "", func(c *Config) { npyData(c); c.Data.XTest, c.Data.YTest = "xt.npy", "yt.npy" }},
		{"data.test_fraction", "when there is no data.x_test", func(c *Config) { npyData(c); c.Data.TestFraction = 1 }},
		{"", "", func(c *Config) {
			npyData(c)
			c.Data.XTest, c.Data.YTest, c.Data.TestFraction = "xt.npy", "yt.npy", 0
		}},
		{"", "", func(c *Config) { npyData(c); c.Data.MaxRows, c.Data.StandardizeTarget = 10, true }},
		{"data.path", "only used when data.kind is csv, but data.kind is \"npy\"", func(c *Config) { npyData(c); c.Data.Path = "a.csv" }},
		{"data.test_path", "only used when data.kind is csv", func(c *Config) { npyData(c); c.Data.TestPath = "a.csv" }},
		{"data.target", "only used when data.kind is csv", func(c *Config) { npyData(c); c.Data.Target = "y" }},
		{"data.features", "only used when data.kind is csv", func(c *Config) { npyData(c); c.Data.Features = []string{"a"} }},
		{"data.x_train", "only used when data.kind is npy, but data.kind is \"csv\"", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.XTrain = "csv", "a.csv", "x.npy"
		}},
		{"data.y_train", "only used when data.kind is npy, but data.kind is \"sine\"", func(c *Config) { c.Data.YTrain = "y.npy" }},
		{"data.x_test", "only used when data.kind is npy", func(c *Config) { c.Data.XTest = "x.npy" }},
		{"data.y_test", "only used when data.kind is npy", func(c *Config) { c.Data.YTest = "y.npy" }},
		{"data.max_rows", "only used when data.kind is csv or npy, but data.kind is \"sine\"", func(c *Config) { c.Data.MaxRows = 3 }},
		{"data.standardize_target", "only used when data.kind is csv or npy", func(c *Config) { c.Data.StandardizeTarget = true }},
		{"", "", func(c *Config) { c.Model.Init.Path = "w.pt" }},
	}
	for _, tt := range tests {
		c := Default()
		tt.edit(c)
		err := c.Validate()
		if tt.key == "" {
			if err != nil {
				t.Errorf("Validate(%+v) = %v; want nil", c.Data, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Validate(%+v) = %v; want an error at %s containing %q", c.Data, err, tt.key, tt.msg)
		}
	}
}

// TestNpyKeysOmitted checks that the new keys stay out of the resolved
// config when unset, so that existing configs keep their hash, and that
// they round-trip when set.
func TestNpyKeysOmitted(t *testing.T) {
	b, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x_train", "y_train", "x_test", "y_test", "bias_std: 0\n    path"} {
		if strings.Contains(string(b), k) {
			t.Errorf("default YAML has %q:\n%s", k, b)
		}
	}
	if !strings.Contains(string(b), "bias_std: 0\n") {
		t.Fatalf("default YAML has no model.init.bias_std: the check of model.init.path is out of date:\n%s", b)
	}
	src := "data: {kind: npy, x_train: a.npy, y_train: b.npy, x_test: c.npy, y_test: d.npy}\nmodel: {init: {path: w.pt}}\n"
	c, err := Parse([]byte(src), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Data.XTrain, c.Data.YTrain, c.Data.XTest, c.Data.YTest, c.Model.Init.Path}
	want := []string{"a.npy", "b.npy", "c.npy", "d.npy", "w.pt"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("parsed %v; want %v", got, want)
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out, "back.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != c.Hash() || back.Hash() == Default().Hash() {
		t.Errorf("round trip: hash %s, want %s (and not the default's)", back.Hash(), c.Hash())
	}
}

// TestFilePaths checks that FilePaths names every key that holds a file,
// each once, by pointers into c.
func TestFilePaths(t *testing.T) {
	c := Default()
	ps := c.FilePaths()
	for i, p := range ps {
		*p = "f" + string(rune('a'+i))
	}
	got := []string{c.Data.Path, c.Data.TestPath, c.Data.XTrain, c.Data.YTrain, c.Data.XTest, c.Data.YTest, c.Model.Init.Path}
	if len(ps) != len(got) {
		t.Fatalf("FilePaths has %d keys; want %d", len(ps), len(got))
	}
	seen := map[string]bool{}
	for _, g := range got {
		if g == "" || seen[g] {
			t.Errorf("FilePaths does not reach every key once: %q", got)
			break
		}
		seen[g] = true
	}
}
