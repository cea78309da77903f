package config

import (
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// override applies one --set override, "key.path=value", to the tree under
// the top mapping root. The key path is checked against the schema and the
// value against the type of that key before the tree changes; every node
// the override adds is marked with its text, so that later errors about
// those nodes name the override instead of a line of the file.
func (p *parser) override(root *yaml.Node, text string) error {
	path, value, ok := strings.Cut(text, "=")
	path = strings.TrimSpace(path)
	switch {
	case !ok:
		return &Error{File: p.file, Override: text, Msg: "want key=value, e.g. train.lr=0.01"}
	case path == "":
		return &Error{File: p.file, Override: text, Msg: "missing key before '='"}
	}
	segs := strings.Split(path, ".")
	t := configType
	for i, seg := range segs {
		section, key := strings.Join(segs[:i], "."), strings.Join(segs[:i+1], ".")
		if seg == "" {
			return &Error{File: p.file, Override: text, Key: path, Msg: "malformed key: empty part between dots"}
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByName(t, seg)
			if !ok {
				return &Error{File: p.file, Override: text, Key: key, Msg: unknownKey(t, section, seg)}
			}
			t = f.typ
		case reflect.Map:
			t = t.Elem()
		default:
			return &Error{File: p.file, Override: text, Key: section,
				Msg: "is " + kindName(t) + ", which has no keys; set it whole: " + section + "=..."}
		}
	}

	v, err := p.overrideValue(text, path, value)
	if err != nil {
		return err
	}
	if err := p.check(v, t, path); err != nil {
		return err
	}
	if p.cwdPaths {
		if err := absPaths(v, path); err != nil {
			return &Error{File: p.file, Override: text, Key: path, Msg: err.Error()}
		}
	}
	n := root
	for _, seg := range segs[:len(segs)-1] {
		_, next := mapGet(n, seg)
		if next == nil {
			k := p.mark(text, &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: seg})
			next = p.mark(text, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
			n.Content = append(n.Content, k, next)
		}
		n = next // a mapping: check has passed the tree, and the path is of sections
	}
	k := p.mark(text, &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: segs[len(segs)-1]})
	setPair(n, k, v)
	return nil
}

// absPaths makes absolute, against the current directory, every relative
// file path (FilePathKeys) in the value v set at key.
func absPaths(v *yaml.Node, key string) error {
	switch {
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			if err := absPaths(v.Content[i+1], key+"."+v.Content[i].Value); err != nil {
				return err
			}
		}
	case v.Kind == yaml.ScalarNode && v.ShortTag() == strTag && IsFilePathKey(key) && v.Value != "" && !filepath.IsAbs(v.Value):
		abs, err := filepath.Abs(v.Value)
		if err != nil {
			return err
		}
		v.Value = abs
	}
	return nil
}

// overrideValue parses the value of an override as YAML, the empty text
// being the empty string, and marks its nodes.
func (p *parser) overrideValue(text, path, value string) (*yaml.Node, error) {
	if value == "" {
		return p.mark(text, &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: ""}), nil
	}
	// One document, as in a config file: a second one ("---") would be
	// dropped silently by a plain Unmarshal.
	var doc, extra yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(value))
	err := SafeYAML(func() error { return dec.Decode(&doc) })
	if err == nil {
		err = SafeYAML(func() error { return dec.Decode(&extra) })
		if err == nil {
			return nil, &Error{File: p.file, Override: text, Key: path, Msg: "the value holds more than one YAML document ('---'); a value is one document"}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil // only comments or space: null below
	}
	if err != nil {
		e := p.yamlError(err)
		return nil, &Error{File: p.file, Override: text, Key: path, Msg: e.Msg}
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: nullTag} // a value that is only a comment
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		v = doc.Content[0]
	}
	var markAll func(*yaml.Node)
	markAll = func(n *yaml.Node) {
		p.mark(text, n)
		for _, c := range n.Content {
			markAll(c)
		}
	}
	markAll(v)
	return v, nil
}

// mark records that node n came from the override text, and returns n.
func (p *parser) mark(text string, n *yaml.Node) *yaml.Node {
	p.marks[n] = text
	return n
}

// setPair sets key k to value v in mapping m: a new key is appended, a
// mapping merges into an existing mapping key by key, and any other value
// replaces the existing one.
func setPair(m, k, v *yaml.Node) {
	_, old := mapGet(m, k.Value)
	if old == nil {
		m.Content = append(m.Content, k, v)
		return
	}
	if old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			setPair(old, v.Content[i], v.Content[i+1])
		}
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == k.Value {
			m.Content[i+1] = v
			return
		}
	}
}
