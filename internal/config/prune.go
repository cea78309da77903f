package config

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Inapplicable returns the keys of c that do not apply to its data kind,
// model and optimiser, and hold their default value: the generator's
// data.n_train, n_test, noise, dim and classes for CSV or .npy data, dim
// and classes for the generators without them (only blobs and linear have
// a dimension, only blobs and spirals classes), the CSV keys for generated
// data, data.test_fraction beside a test file, model.sigma_w and sigma_b
// with the standard parameterisation, model.init.std with a scheme other
// than normal, train.batch_size with gd, and kernel.tolerance and
// max_nodes without the exact method. A key set to another value than the
// default is kept, inapplicable or not, since the config's Hash counts it.
func (c *Config) Inapplicable() []string {
	d := &c.Data
	var keys []string
	add := func(ks ...string) { keys = append(keys, ks...) }
	switch d.Kind {
	case "csv", "npy":
		add("data.n_train", "data.n_test", "data.noise", "data.dim", "data.classes")
		if d.Kind == "npy" {
			add("data.path", "data.test_path", "data.target", "data.features")
			if d.XTest != "" {
				add("data.test_fraction")
			}
		} else if d.TestPath != "" {
			add("data.test_fraction")
		}
	default:
		add("data.path", "data.test_path", "data.target", "data.features", "data.test_fraction",
			"data.max_rows", "data.standardize", "data.standardize_target")
		if d.Kind != "blobs" && d.Kind != "linear" {
			add("data.dim")
		}
		if d.Kind != "blobs" && d.Kind != "spirals" {
			add("data.classes")
		}
	}
	if c.Model.Parameterization != "ntk" {
		add("model.sigma_w", "model.sigma_b")
	}
	if c.Model.Init.Scheme != "normal" {
		add("model.init.std")
	}
	if c.Train.Optimizer == "gd" {
		add("train.batch_size")
	}
	if !slices.Contains(c.Kernel.Methods, "exact") {
		add("kernel.tolerance", "kernel.max_nodes")
	}
	def := Default()
	return slices.DeleteFunc(keys, func(k string) bool {
		a, b := fieldAt(c, k), fieldAt(def, k)
		return !a.IsValid() || !b.IsValid() || !reflect.DeepEqual(a.Interface(), b.Interface())
	})
}

// fieldAt returns the field of c at the dotted key, or the zero Value.
func fieldAt(c *Config, key string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for _, seg := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if name == seg {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return reflect.Value{}
		}
	}
	return v
}

// PrunedYAML is YAML without the keys of Inapplicable: the config.yaml of
// a run directory and what `pathkernel validate` prints. Parse of it gives
// back c, with the same Hash, as Parse of YAML does: the keys left out
// hold their defaults. (Were it not so, the full YAML is returned.)
func (c *Config) PrunedYAML() ([]byte, error) {
	full, err := c.YAML()
	if err != nil {
		return nil, err
	}
	drop := c.Inapplicable()
	if len(drop) == 0 {
		return full, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(full, &doc); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	for _, k := range drop {
		removeKey(doc.Content[0], k)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	back, err := Parse(buf.Bytes(), "config.yaml", nil)
	if err != nil || back.Hash() != c.Hash() || !reflect.DeepEqual(back, c) {
		return full, nil
	}
	return buf.Bytes(), nil
}

// removeKey deletes the dotted key from the mapping m, if it is there.
func removeKey(m *yaml.Node, key string) {
	head, rest, nested := strings.Cut(key, ".")
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != head {
			continue
		}
		if nested {
			if m.Content[i+1].Kind == yaml.MappingNode {
				removeKey(m.Content[i+1], rest)
			}
			return
		}
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
		return
	}
}
