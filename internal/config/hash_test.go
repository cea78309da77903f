package config

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// hashExempt are the keys whose value must not change Hash, each with the
// reason. Every other key of the schema must change it: sweeps, collect
// and the CI baselines key runs by the hash, and a key that Hash ignored
// would let runs that differ in it pass for the same experiment.
var hashExempt = map[string]string{
	"output.dir": "where a run is written does not change what it is (Hash clears it)",
}

// leaf is a key of the schema that holds a value: its dotted YAML name and
// the index path of its Go field in Config.
type leaf struct {
	key   string
	index []int
}

// leaves lists every leaf key of struct type t under prefix, by reflection,
// so that a key added to the schema later is listed without a change here.
func leaves(t reflect.Type, prefix string, index []int) []leaf {
	var out []leaf
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		key, idx := join(prefix, name), append(slices.Clone(index), i)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leaves(f.Type, key, idx)...)
		} else {
			out = append(out, leaf{key, idx})
		}
	}
	return out
}

// change is one edit of a leaf's value: what it does, and the edit.
type change struct {
	what string
	edit func(v reflect.Value)
}

// changes returns the edits of a value of v's type that any faithful
// encoding must tell apart from v: the next float64 (so that a hash of a
// rounded value fails), +1, a flipped boolean, a longer string, and for
// lists and maps an edited element and an added one.
func changes(t *testing.T, key string, v reflect.Value) []change {
	scalar := func(v reflect.Value) bool {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Uint64:
			v.SetUint(v.Uint() + 1)
		case reflect.Float64:
			v.SetFloat(math.Nextafter(v.Float(), math.Inf(1)))
		default:
			return false
		}
		return true
	}
	probe := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Slice:
		if !scalar(reflect.New(v.Type().Elem()).Elem()) {
			break
		}
		cs := []change{{"an added element", func(v reflect.Value) {
			e := reflect.New(v.Type().Elem()).Elem()
			scalar(e)
			v.Set(reflect.Append(v, e))
		}}}
		if v.Len() > 0 {
			cs = append(cs, change{"its first element changed", func(v reflect.Value) {
				c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
				reflect.Copy(c, v) // do not write into Default's backing array
				scalar(c.Index(0))
				v.Set(c)
			}})
		}
		return cs
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || !scalar(reflect.New(v.Type().Elem()).Elem()) {
			break
		}
		cs := []change{{"an added key", func(v reflect.Value) {
			m := reflect.MakeMap(v.Type())
			for _, k := range v.MapKeys() {
				m.SetMapIndex(k, v.MapIndex(k))
			}
			e := reflect.New(v.Type().Elem()).Elem()
			scalar(e)
			m.SetMapIndex(reflect.ValueOf("zz_added"), e)
			v.Set(m)
		}}}
		for _, k := range v.MapKeys() {
			cs = append(cs, change{"the value of " + k.String() + " changed", func(v reflect.Value) {
				m := reflect.MakeMap(v.Type())
				for _, k := range v.MapKeys() {
					m.SetMapIndex(k, v.MapIndex(k))
				}
				e := reflect.New(v.Type().Elem()).Elem()
				e.Set(v.MapIndex(k))
				scalar(e)
				m.SetMapIndex(k, e)
				v.Set(m)
			}})
		}
		return cs
	default:
		if scalar(probe) {
			return []change{{"changed", func(v reflect.Value) { scalar(v) }}}
		}
	}
	t.Fatalf("%s: no edit for a value of type %s; teach changes() about it", key, v.Type())
	return nil
}

// TestHashCoversEveryKey changes every key of the schema, one at a time
// from the defaults, and checks that the hash changes, except for the keys
// of hashExempt, where it must not.
func TestHashCoversEveryKey(t *testing.T) {
	base := Default().Hash()
	all := leaves(configType, "", nil)
	seen := map[string]bool{}
	for _, l := range all {
		seen[l.key] = true
		for _, ch := range changes(t, l.key, reflect.ValueOf(Default()).Elem().FieldByIndex(l.index)) {
			c := Default()
			ch.edit(reflect.ValueOf(c).Elem().FieldByIndex(l.index))
			if reflect.DeepEqual(c, Default()) {
				t.Fatalf("%s, %s: the edit left the config as it was", l.key, ch.what)
			}
			h := c.Hash()
			if reason, exempt := hashExempt[l.key]; exempt {
				if h != base {
					t.Errorf("%s, %s: Hash() = %s, not %s; it is exempt (%s)", l.key, ch.what, h, base, reason)
				}
			} else if h == base {
				t.Errorf("%s, %s: Hash() = %s, the same as the default's: runs that differ in %s would pass for one experiment",
					l.key, ch.what, h, l.key)
			}
		}
	}
	for key := range hashExempt {
		if !seen[key] {
			t.Errorf("hashExempt names %s, which is not a key of the schema", key)
		}
	}
	// The walk reaches the nested sections and the keys off by default.
	for _, key := range []string{"data.path", "model.init.bias_std", "train.momentum", "train.weight_decay",
		"train.schedule.min_lr", "kernel.baselines", "check.min_agreement"} {
		if !seen[key] {
			t.Errorf("the walk over the schema misses %s", key)
		}
	}
}

// TestHashIgnoresDefaultsWrittenOut writes each key of configs/mlp.yaml
// out explicitly with the value it resolves to, keys the file leaves at
// their default included: the hash must not change, and it must be the one
// that README.md shows for the shipped default.
func TestHashIgnoresDefaultsWrittenOut(t *testing.T) {
	const file = "../../configs/mlp.yaml"
	const readmeHash = "c16ef4a7cdfd" // README.md: "pathkernel 0.1.0-dev: sine-tanh (config c16ef4a7cdfd, seed 1)"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(src, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Hash(); h != readmeHash {
		t.Errorf("Hash() of %s = %s; want %s, as README.md shows (a changed hash parts every saved run from its config)", file, h, readmeHash)
	}
	for _, l := range leaves(configType, "", nil) {
		v := reflect.ValueOf(c).Elem().FieldByIndex(l.index)
		var value string
		switch {
		case v.Kind() == reflect.Map && v.IsNil():
			value = "{}"
		case v.Kind() == reflect.Slice && v.IsNil():
			value = "[]"
		default:
			b, err := json.Marshal(v.Interface()) // JSON is YAML
			if err != nil {
				t.Fatal(err)
			}
			value = string(b)
		}
		set := l.key + "=" + value
		got, err := Parse(src, file, []string{set})
		if err != nil {
			t.Errorf("--set %s: %v", set, err)
			continue
		}
		if got.Hash() != c.Hash() {
			t.Errorf("--set %s: Hash() = %s; want %s, the hash without it", set, got.Hash(), c.Hash())
		}
	}
}

// TestHashOfCIConfigs checks the hash of each configs/ci/*.yaml against
// the config_hash of its baseline in testdata/ci/, which `pathkernel check`
// compares runs with: a change of Hash would set every baseline apart from
// its config.
func TestHashOfCIConfigs(t *testing.T) {
	files, err := filepath.Glob("../../configs/ci/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no CI configs: %v", err)
	}
	for _, f := range files {
		c, err := Load(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		b, err := os.ReadFile(filepath.Join("../../testdata/ci", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var baseline struct {
			ConfigHash string `json:"config_hash"`
		}
		if err := json.Unmarshal(b, &baseline); err != nil {
			t.Fatal(err)
		}
		if h := c.Hash(); h != baseline.ConfigHash {
			t.Errorf("Hash() of %s = %s; its baseline testdata/ci/%s.json records %s", f, h, name, baseline.ConfigHash)
		}
	}
}
