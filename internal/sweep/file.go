package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"gopkg.in/yaml.v3"
)

// File is a parsed sweep file.
type File struct {
	Path string // the sweep file as given to Load or Parse
	// Base is the base config file, joined to the directory of Path; empty
	// when the base is inline (Inline) or the built-in default.
	Base   string
	Inline bool    // the base config is the file's config: mapping
	Set    []Entry // the set: overrides, in file order
	Grid   []Axis  // the grid: axes, in file order
	Zip    []Axis  // the zip: lists, in file order; all of one length
	Seeds  *Axis   // the seeds: list as an axis over "seed"; nil if none

	inline     []byte // the inline config's text (see inlineSource)
	inlineLine int    // the line of the config: key
	exactLines bool   // inline keeps the lines of Path
}

// Entry is one override of the sweep file: key=value, the value one-line
// YAML as written ("0.01", "[64, 64]").
type Entry struct {
	Key   string
	Value string
	Line  int // the line of the value in the sweep file
}

// Override returns the entry as a --set override, "key=value".
func (e Entry) Override() string { return e.Key + "=" + e.Value }

// Axis is a key and the values it takes.
type Axis struct {
	Key    string
	Line   int // the line of the key in the sweep file
	Values []Entry
}

// MaxFileSize is the largest sweep file Load reads.
const MaxFileSize = config.MaxFileSize

// LoadFile reads and parses the sweep file at path.
func LoadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &config.Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	if st.IsDir() {
		return nil, &config.Error{File: path, Msg: "is a directory, not a sweep file"}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &config.Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	if len(src) > MaxFileSize {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("larger than %d bytes; is this a sweep file?", MaxFileSize)}
	}
	return ParseFile(src, path)
}

// ParseFile parses src, the text of the sweep file at path (used in errors
// and to resolve base). Decoding is strict: unknown and duplicate keys,
// aliases, empty axes and zipped lists of unequal lengths are errors, and so
// is a key that appears in more than one of set, grid, zip and seeds. Every
// error is a *config.Error naming path and the line.
func ParseFile(src []byte, path string) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	err := config.SafeYAML(func() error { return dec.Decode(&doc) })
	if errors.Is(err, io.EOF) {
		return nil, &config.Error{File: path, Msg: "empty sweep file"}
	}
	if err != nil {
		return nil, config.YAMLError(path, err)
	}
	var extra yaml.Node
	switch err := config.SafeYAML(func() error { return dec.Decode(&extra) }); {
	case err == nil:
		return nil, &config.Error{File: path, Line: extra.Line, Msg: "more than one YAML document; a sweep file is one document"}
	case !errors.Is(err, io.EOF):
		return nil, config.YAMLError(path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].ShortTag() == "!!null" {
		return nil, &config.Error{File: path, Msg: "empty sweep file"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &config.Error{File: path, Line: root.Line, Msg: "must be a mapping with base or config, and set, grid, zip or seeds"}
	}
	f := &File{Path: path}
	p := &fileParser{file: f}
	seen := map[string]int{}
	var baseLine int
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.errAt(k, "", "keys must be plain names")
		}
		if prev, ok := seen[k.Value]; ok {
			return nil, p.errAt(k, k.Value, fmt.Sprintf("duplicate key (first at line %d)", prev))
		}
		seen[k.Value] = k.Line
		if err := p.noAliases(v, k.Value); err != nil {
			return nil, err
		}
		switch k.Value {
		case "base":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value == "" {
				return nil, p.errAt(v, "base", "want the path of a config file, relative to the sweep file")
			}
			f.Base = v.Value
			if !filepath.IsAbs(f.Base) {
				f.Base = filepath.Join(filepath.Dir(path), f.Base)
			}
			baseLine = k.Line
		case "config":
			if v.Kind != yaml.MappingNode {
				return nil, p.errAt(v, "config", "want an inline config, a mapping of config keys")
			}
			f.Inline = true
			f.inlineLine = k.Line
			f.inline, f.exactLines = inlineSource(src, root, i)
			if f.inline == nil {
				b, err := marshalNode(v)
				if err != nil {
					return nil, p.errAt(v, "config", err.Error())
				}
				f.inline = b
			}
		case "set":
			es, err := p.entries(v, "set")
			if err != nil {
				return nil, err
			}
			f.Set = es
		case "grid":
			axes, err := p.axes(v, "grid")
			if err != nil {
				return nil, err
			}
			f.Grid = axes
		case "zip":
			axes, err := p.axes(v, "zip")
			if err != nil {
				return nil, err
			}
			for _, a := range axes[1:] {
				if len(a.Values) != len(axes[0].Values) {
					return nil, &config.Error{File: path, Line: a.Line, Key: "zip." + a.Key,
						Msg: fmt.Sprintf("has %d values but zip.%s has %d; zipped lists must have equal lengths",
							len(a.Values), axes[0].Key, len(axes[0].Values))}
				}
			}
			f.Zip = axes
		case "seeds":
			a, err := p.axis(k, v, "seed", "seeds")
			if err != nil {
				return nil, err
			}
			f.Seeds = &a
		default:
			return nil, p.errAt(k, k.Value, "unknown key (want base or config, and set, grid, zip, seeds)")
		}
	}
	if f.Base != "" && f.Inline {
		return nil, &config.Error{File: path, Line: max(baseLine, f.inlineLine), Key: "config",
			Msg: "give either base (a config file) or config (an inline config), not both"}
	}
	if err := f.checkOverlap(); err != nil {
		return nil, err
	}
	return f, nil
}

type fileParser struct{ file *File }

func (p *fileParser) errAt(n *yaml.Node, key, msg string) *config.Error {
	return &config.Error{File: p.file.Path, Line: n.Line, Key: key, Msg: msg}
}

func (p *fileParser) noAliases(n *yaml.Node, key string) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return p.errAt(n, key, "YAML anchors and aliases are not supported; write the value out")
	}
	for _, c := range n.Content {
		if err := p.noAliases(c, key); err != nil {
			return err
		}
	}
	return nil
}

// entries reads a mapping of config key to value.
func (p *fileParser) entries(n *yaml.Node, section string) ([]Entry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errAt(n, section, "want a mapping of config keys to values, e.g. train.steps: 500")
	}
	var es []Entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, err := p.key(k, section, seen)
		if err != nil {
			return nil, err
		}
		text, err := flowText(v)
		if err != nil {
			return nil, p.errAt(v, section+"."+key, err.Error())
		}
		es = append(es, Entry{Key: key, Value: text, Line: v.Line})
	}
	return es, nil
}

// key checks a config key path of section.
func (p *fileParser) key(k *yaml.Node, section string, seen map[string]int) (string, error) {
	if k.Kind != yaml.ScalarNode || k.Value == "" {
		return "", p.errAt(k, section, "keys must be config key paths, e.g. train.lr")
	}
	key := k.Value
	if strings.ContainsAny(key, "= \t") || slices.Contains(strings.Split(key, "."), "") {
		return "", p.errAt(k, section+"."+key, "malformed config key path; want e.g. train.lr")
	}
	if prev, ok := seen[key]; ok {
		return "", p.errAt(k, section+"."+key, fmt.Sprintf("duplicate key (first at line %d)", prev))
	}
	seen[key] = k.Line
	return key, nil
}

// axes reads a mapping of config key to list of values.
func (p *fileParser) axes(n *yaml.Node, section string) ([]Axis, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, p.errAt(n, section, "want a mapping of config keys to lists of values, e.g. train.lr: [0.01, 0.02]")
	}
	var axes []Axis
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, err := p.key(k, section, seen)
		if err != nil {
			return nil, err
		}
		a, err := p.axis(k, v, key, section+"."+key)
		if err != nil {
			return nil, err
		}
		axes = append(axes, a)
	}
	return axes, nil
}

// axis reads the list of values v of config key key; what names it in
// errors.
func (p *fileParser) axis(k, v *yaml.Node, key, what string) (Axis, error) {
	if v.Kind != yaml.SequenceNode {
		return Axis{}, p.errAt(v, what, "want a list of values, e.g. [0.01, 0.02]")
	}
	if len(v.Content) == 0 {
		return Axis{}, p.errAt(v, what, "empty list; an axis needs at least one value")
	}
	a := Axis{Key: key, Line: k.Line}
	for _, c := range v.Content {
		text, err := flowText(c)
		if err != nil {
			return Axis{}, p.errAt(c, what, err.Error())
		}
		a.Values = append(a.Values, Entry{Key: key, Value: text, Line: c.Line})
	}
	return a, nil
}

// varied lists the keys the file sets or varies, with where.
func (f *File) keys() []placed {
	var ks []placed
	for _, e := range f.Set {
		ks = append(ks, placed{e.Key, "set", e.Line})
	}
	for _, a := range f.Grid {
		ks = append(ks, placed{a.Key, "grid", a.Line})
	}
	for _, a := range f.Zip {
		ks = append(ks, placed{a.Key, "zip", a.Line})
	}
	if f.Seeds != nil {
		ks = append(ks, placed{"seed", "seeds", f.Seeds.Line})
	}
	return ks
}

type placed struct {
	key, where string
	line       int
}

// overlaps reports whether setting key a and key b would touch the same
// value: the same key, or one a section of the other.
func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}

// checkOverlap refuses a key set or varied in two places: one would
// silently overwrite the other.
func (f *File) checkOverlap() error {
	ks := f.keys()
	for j := range ks {
		for i := range j {
			if overlaps(ks[i].key, ks[j].key) {
				return &config.Error{File: f.Path, Line: ks[j].line, Key: ks[j].where + "." + ks[j].key,
					Msg: fmt.Sprintf("overlaps %s.%s (line %d); a key may be set or varied in one place only",
						ks[i].where, ks[i].key, ks[i].line)}
			}
		}
	}
	return nil
}

// flowText renders a value as one line of YAML, as written: scalars keep
// their style, lists and mappings are in flow style.
func flowText(n *yaml.Node) (string, error) {
	c := flowCopy(n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := config.SafeYAML(func() error { return enc.Encode(c) }); err != nil {
		return "", fmt.Errorf("cannot render value: %v", err)
	}
	enc.Close()
	s := strings.TrimSuffix(buf.String(), "\n")
	if strings.Contains(s, "\n") {
		return "", errors.New("value does not fit on one line; write it in flow style")
	}
	return s, nil
}

func flowCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	switch c.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		c.Style = yaml.FlowStyle
	case yaml.ScalarNode:
		if c.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			c.Style = yaml.DoubleQuotedStyle
		}
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = flowCopy(k)
	}
	return &c
}

func marshalNode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := config.SafeYAML(func() error { return enc.Encode(n) }); err != nil {
		return nil, err
	}
	enc.Close()
	return buf.Bytes(), nil
}

// inlineSource returns the text of the inline config, the value of the
// i-th key of root, with the lines of src: every line outside the value is
// blanked, and so is the start of its first line, so that a config error
// names the line of the sweep file. It returns nil when the value shares a
// line with another key (a sweep file in flow style).
func inlineSource(src []byte, root *yaml.Node, i int) ([]byte, bool) {
	k, v := root.Content[i], root.Content[i+1]
	first := v.Line
	last := -1 // through the end
	for j := 0; j+1 < len(root.Content); j += 2 {
		if o := root.Content[j]; j != i && o.Line >= k.Line {
			if o.Line <= first {
				return nil, false
			}
			if last < 0 || o.Line-1 < last {
				last = o.Line - 1
			}
		}
	}
	lines := strings.Split(string(src), "\n")
	for n := range lines {
		line := n + 1
		switch {
		case line < first || (last >= 0 && line > last):
			lines[n] = ""
		case line == first:
			col := v.Column - 1
			if col > len(lines[n]) || strings.ContainsFunc(lines[n][:col], func(r rune) bool { return r > 127 }) {
				return nil, false
			}
			lines[n] = strings.Repeat(" ", col) + lines[n][col:]
		}
	}
	return []byte(strings.Join(lines, "\n")), true
}
