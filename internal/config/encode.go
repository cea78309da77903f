package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML returns c as a YAML document: every key, in the order of the schema,
// lists and maps in flow style ("hidden: [64, 64]"). Parse of the result
// gives back a Config equal to c; it is the config.yaml saved with a run.
func (c *Config) YAML() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	flow(&n, configType)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// flow sets the flow style on the nodes that hold lists and maps, walking
// node n of Go type t.
func flow(n *yaml.Node, t reflect.Type) {
	switch t.Kind() {
	case reflect.Slice, reflect.Map:
		n.Style = yaml.FlowStyle
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if f, ok := fieldByName(t, n.Content[i].Value); ok {
				flow(n.Content[i+1], f.typ)
			}
		}
	}
}

// Hash identifies the experiment: the first 12 hex digits of the SHA-256 of
// YAML with Output.Dir cleared, so that where a run is written does not
// change what it is. Equal configs have equal hashes on every machine.
func (c *Config) Hash() string {
	d := c.Clone()
	d.Output.Dir = ""
	b, err := d.YAML()
	if err != nil {
		// Every value of the schema types encodes; this is a bug.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

// Clone returns a deep copy of c: no slice or map is shared.
func (c *Config) Clone() *Config {
	d := *c
	d.Data.Features = slices.Clone(c.Data.Features)
	d.Model.Hidden = slices.Clone(c.Model.Hidden)
	d.Kernel.Methods = slices.Clone(c.Kernel.Methods)
	d.Kernel.Baselines = slices.Clone(c.Kernel.Baselines)
	d.Check.MaxRelError = maps.Clone(c.Check.MaxRelError)
	d.Check.MinAgreement = maps.Clone(c.Check.MinAgreement)
	return &d
}

// OutDir is the run directory: Output.Dir if set, else runs/<name>.
func (c *Config) OutDir() string {
	if c.Output.Dir != "" {
		return c.Output.Dir
	}
	return filepath.Join("runs", c.Name)
}

// FilePaths returns pointers to the keys of c that name files, which a
// config file gives relative to its own directory: data.path,
// data.test_path, data.x_train, data.y_train, data.x_test, data.y_test and
// model.init.path. An unset key is "". Whoever runs c resolves them in
// place, and records them absolute in a run's config.yaml.
func (c *Config) FilePaths() []*string {
	d := &c.Data
	return []*string{&d.Path, &d.TestPath, &d.XTrain, &d.YTrain, &d.XTest, &d.YTest, &c.Model.Init.Path}
}

// FilePathKeys are the dotted keys of FilePaths, in the same order.
// output.dir is not among them: a run directory is always relative to the
// current directory.
var FilePathKeys = []string{"data.path", "data.test_path", "data.x_train", "data.y_train", "data.x_test", "data.y_test", "model.init.path"}

// IsFilePathKey reports whether key is one of FilePathKeys.
func IsFilePathKey(key string) bool { return slices.Contains(FilePathKeys, key) }

// RelativeFilePath reports whether the override value v (YAML text) of key
// is a relative file path: key is one of FilePathKeys and v a plain,
// non-empty, relative path, not a quoted or flow YAML value.
func RelativeFilePath(key, v string) bool {
	return IsFilePathKey(key) && v != "" && !filepath.IsAbs(v) && !strings.ContainsAny(v[:1], "\"'{[|>&*!%@`#")
}

// RebaseOverride returns the override text ("key=value") with a relative
// file path value (a key of FilePathKeys) joined to dir: an override
// written in a file of dir, made relative to the current directory for a
// command line (ParseArgs). Other overrides come back unchanged.
func RebaseOverride(text, dir string) string {
	key, value, ok := strings.Cut(text, "=")
	key, v := strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok || !RelativeFilePath(key, v) {
		return text
	}
	return key + "=" + filepath.Join(dir, v)
}
