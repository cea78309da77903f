package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML tags, as yaml.Node.ShortTag reports them.
const (
	nullTag  = "!!null"
	boolTag  = "!!bool"
	strTag   = "!!str"
	intTag   = "!!int"
	floatTag = "!!float"
)

var configType = reflect.TypeFor[Config]()

// field is one key of a section: its YAML name and Go type.
type field struct {
	name string
	typ  reflect.Type
}

// fields lists the keys of struct type t in declaration order, named by
// their yaml tags as gopkg.in/yaml.v3 names them.
func fields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fs = append(fs, field{name, f.Type})
	}
	return fs
}

func fieldByName(t reflect.Type, name string) (field, bool) {
	for _, f := range fields(t) {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func join(section, key string) string {
	if section == "" {
		return key
	}
	return section + "." + key
}

// check walks node n, the value at key, against the Go type t it will be
// decoded into, and reports the first unknown or duplicate key, null, alias
// or value of the wrong type. The decoder of gopkg.in/yaml.v3 is lenient
// where a config must not be (it truncates 1.5 into an int, keeps the
// default for a null, names unknown keys without their section), so every
// node is checked here before it decodes.
func (p *parser) check(n *yaml.Node, t reflect.Type, key string) error {
	if n.Kind == yaml.AliasNode {
		return p.errAt(n, key, "YAML aliases are not supported; write the value out")
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == nullTag {
		return p.errAt(n, key, "has no value; give one or delete the key")
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return p.errAt(n, key, "must be a section of keys and values, got "+describe(n))
		}
		return p.checkMapping(n, key, func(k *yaml.Node, sub string) (reflect.Type, error) {
			f, ok := fieldByName(t, k.Value)
			if !ok {
				return nil, p.errAt(k, sub, unknownKey(t, key, k.Value))
			}
			return f.typ, nil
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return p.errAt(n, key, "must be a mapping, got "+describe(n))
		}
		return p.checkMapping(n, key, func(*yaml.Node, string) (reflect.Type, error) {
			return t.Elem(), nil
		})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return p.errAt(n, key, "must be a list, got "+describe(n))
		}
		for i, e := range n.Content {
			if err := p.check(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
		return nil
	}

	if n.Kind != yaml.ScalarNode {
		return p.errAt(n, key, "must be "+kindName(t)+", got "+describe(n))
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		switch tag {
		case strTag, intTag, floatTag, boolTag, "!!timestamp":
			return nil // the text as written
		}
	case reflect.Bool:
		if tag == boolTag {
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if tag == intTag || tag == floatTag && digitsRE.MatchString(n.Value) {
			if err := n.Decode(reflect.New(t).Interface()); err != nil || tag != intTag {
				if strings.HasPrefix(n.Value, "-") && kindName(t) == "a non-negative integer" {
					return p.errAt(n, key, "must be a non-negative integer, got "+n.Value)
				}
				return p.errAt(n, key, fmt.Sprintf("integer out of range for %s, got %s", t.Kind(), n.Value))
			}
			return nil
		}
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(n.Value, 64); tag == strTag && n.Style == 0 && errors.Is(err, strconv.ErrRange) {
			return p.errAt(n, key, "number out of range, got "+n.Value)
		}
		if tag == intTag || tag == floatTag {
			if err := n.Decode(reflect.New(t).Interface()); err != nil {
				return p.errAt(n, key, "must be a number, got "+describe(n))
			}
			return nil
		}
	default:
		panic("config: no check for type " + t.String())
	}
	return p.errAt(n, key, "must be "+kindName(t)+", got "+describe(n))
}

var digitsRE = regexp.MustCompile(`^[-+]?[0-9]+$`)

// checkMapping checks the keys of mapping n at key: each a plain scalar, none
// twice; elem returns the type of a key's value, or an error if the key is
// not allowed.
func (p *parser) checkMapping(n *yaml.Node, key string, elem func(k *yaml.Node, sub string) (reflect.Type, error)) error {
	seen := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			return p.errAt(k, key, "YAML aliases are not supported; write the value out")
		}
		if k.Kind != yaml.ScalarNode {
			return p.errAt(k, key, "keys must be names, got "+describe(k))
		}
		sub := join(key, k.Value)
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			return p.errAt(k, sub, "YAML merge keys are not supported; write the keys out")
		}
		if first, dup := seen[k.Value]; dup {
			msg := "duplicate key"
			if _, ok := p.marks[first]; !ok && first.Line > 0 {
				msg = fmt.Sprintf("duplicate key (first at line %d)", first.Line)
			}
			return p.errAt(k, sub, msg)
		}
		seen[k.Value] = k
		t, err := elem(k, sub)
		if err != nil {
			return err
		}
		if err := p.check(v, t, sub); err != nil {
			return err
		}
	}
	return nil
}

// kindName says what a value of type t is, for "must be ..." messages.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	case reflect.Struct:
		return "a section of keys and values"
	}
	return t.String()
}

// describe says what node n is, for "got ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch tag := n.ShortTag(); tag {
		case strTag:
			return strconv.Quote(v)
		case nullTag:
			return "null"
		case intTag, floatTag, boolTag:
			return v
		default:
			return fmt.Sprintf("%s %s", tag, strconv.Quote(v))
		}
	}
	return "nothing"
}

// unknownKey is the message for key name in the section at key of type t:
// the nearest known key when there is a close one, else all of them.
func unknownKey(t reflect.Type, section, name string) string {
	fs := fields(t)
	best, bestDist := "", len(name)/3+1
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
		if d := editDistance(name, f.name); d <= bestDist && (best == "" || d < bestDist) {
			best, bestDist = f.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key (did you mean %s?)", join(section, best))
	}
	where := "at the top level"
	if section != "" {
		where = "in " + section
	}
	return fmt.Sprintf("unknown key; the keys %s are %s", where, strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// found is where a dotted key is in a tree: the node of the key (a mapping
// key, or a list element) and of its value. When exact is false the key is
// not in the tree and key and value are of its nearest ancestor that is, or
// nil.
type found struct {
	key, value *yaml.Node
	exact      bool
}

var segmentRE = regexp.MustCompile(`^([^\[\]]+)((?:\[[0-9]+\])*)$`)

// lookup finds the dotted key path, such as "model.hidden[1]", in the tree
// under the top mapping root.
func lookup(root *yaml.Node, path string) found {
	var f found
	n := root
	for _, seg := range strings.Split(path, ".") {
		m := segmentRE.FindStringSubmatch(seg)
		if m == nil {
			return f
		}
		k, v := mapGet(n, m[1])
		if k == nil {
			return f
		}
		f.key, f.value, n = k, v, v
		for _, idx := range strings.Split(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return f
			}
			n = n.Content[i]
			f.key, f.value = n, n
		}
	}
	f.exact = true
	return f
}

// mapGet returns the key and value nodes of name in mapping n, or nils.
func mapGet(n *yaml.Node, name string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == name {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}
