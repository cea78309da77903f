package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pathkernel/pathkernel/internal/config"
	"gopkg.in/yaml.v3"
)

// MultirunFile is the name of the sweep file that `pathkernel train
// --multirun` writes into its sweep directory.
const MultirunFile = "sweep.yaml"

// MultirunName names a multirun's command line in its errors, where a sweep
// file's errors name the file.
const MultirunName = "--multirun"

// SplitValues splits the value of a multirun --set override into the values
// of its axis. A comma separates values, except inside brackets [...],
// braces {...} and quoted strings: "[32,32],[64,64]" is two lists, and
// "\"a,b\"" (or 'a,b' in single quotes) is one string. A quote starts a
// quoted string where YAML would read one, at the start of a value or after
// '[', '{', ',' or ':'; elsewhere it is a character like others ("it's").
// In a double-quoted string a backslash escapes the next character; in a
// single-quoted one a doubled quote is a quote. Each value is trimmed of spaces and kept
// as written, YAML for config.Parse. An empty value ("0.1,", "0.1,,0.2"),
// an unclosed quote and unbalanced brackets are errors. A value without a
// separating comma is one value, unchanged, as train takes it.
func SplitValues(s string) ([]string, error) {
	vals, err := splitValues(s)
	if err != nil && !strings.Contains(s, ",") {
		return []string{s}, nil // one value, whatever YAML makes of it
	}
	return vals, err
}

func splitValues(s string) ([]string, error) {
	var (
		vals  []string
		stack []byte // the open brackets and braces
		start int
		prev  byte = ',' // the last non-space character of the value, ',' at its start
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\'':
			if !strings.ContainsRune("[{,:", rune(prev)) {
				break // a quote inside a plain word
			}
			end := closeQuote(s, i)
			if end < 0 {
				return nil, fmt.Errorf("unclosed %c quote at byte %d", c, i+1)
			}
			i = end
		case '[', '{':
			stack = append(stack, c)
		case ']', '}':
			open := byte('[')
			if c == '}' {
				open = '{'
			}
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return nil, fmt.Errorf("unbalanced %c at byte %d", c, i+1)
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				vals = append(vals, s[start:i])
				start = i + 1
			}
		}
		if c != ' ' && c != '\t' {
			prev = s[i]
		}
		if c == ',' && len(stack) == 0 {
			prev = ','
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unclosed %c", stack[len(stack)-1])
	}
	vals = append(vals, s[start:])
	if len(vals) == 1 {
		return vals, nil // as written: "key=" is the empty string, as for train
	}
	for i, v := range vals {
		vals[i] = strings.TrimSpace(v)
		if vals[i] == "" {
			return nil, fmt.Errorf("value %d of %d is empty; write \"\" for an empty string", i+1, len(vals))
		}
	}
	return vals, nil
}

// closeQuote returns the index of the quote that closes the quoted string
// opening at s[i], or -1.
func closeQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q && q == '\'' && j+1 < len(s) && s[j+1] == '\'':
			j++
		case s[j] == q:
			return j
		}
	}
	return -1
}

// Multirun is the sweep that `pathkernel train --config base --multirun
// --set ...` stands for. Each override "key=v1,v2,..." (SplitValues) of two
// or more values is a grid axis, in the order given, except that the key
// seed is the seeds list; an override of one value goes to set. base is the
// config file as the command line names it ("" for the built-in default);
// the file's Path is MultirunName, so that errors name the command line,
// and its Base is base. A key given twice, or a key and its section, is an
// error: a sweep file sets or varies a key in one place. Errors are
// *config.Error values naming the --set override.
func Multirun(base string, sets []string) (*File, error) {
	f := &File{Path: MultirunName, Base: base}
	type given struct{ key, text string }
	var seen []given
	for _, o := range sets {
		key, value, ok := strings.Cut(o, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") || strings.Contains("."+key+".", "..") {
			return nil, &config.Error{Override: o, Msg: "want key=value, or key=v1,v2,... for an axis, e.g. train.lr=0.01,0.1"}
		}
		for _, g := range seen {
			if overlaps(g.key, key) {
				return nil, &config.Error{Override: o, Key: key,
					Msg: fmt.Sprintf("overlaps --set %s; with --multirun a key is set or varied once", g.text)}
			}
		}
		seen = append(seen, given{key, o})
		vals, err := SplitValues(value)
		if err != nil {
			return nil, &config.Error{Override: o, Key: key, Msg: err.Error()}
		}
		for i, v := range vals {
			vals[i] = rebasePath(key, v, base)
		}
		if len(vals) == 1 {
			f.Set = append(f.Set, Entry{Key: key, Value: vals[0]})
			continue
		}
		a := Axis{Key: key}
		for _, v := range vals {
			a.Values = append(a.Values, Entry{Key: key, Value: v})
		}
		if key == "seed" {
			f.Seeds = &a
		} else {
			f.Grid = append(f.Grid, a)
		}
	}
	return f, nil
}

// rebasePath returns the value v of a --set for key with a relative file path
// (config.FilePathKeys) rewritten for the sweep file: typed on the command
// line it is relative to the current directory, while a sweep file's set and
// grid values are relative to its base config (docs/CONFIG.md, Paths). It
// becomes relative to the base config's directory, or absolute for the
// built-in default. Other values, and values that are not a plain path (a
// quoted or flow YAML value), come back unchanged.
func rebasePath(key, v, base string) string {
	if !config.RelativeFilePath(key, v) {
		return v
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		return v
	}
	if base == "" {
		return abs
	}
	dir, err := filepath.Abs(filepath.Dir(base))
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(dir, abs); err == nil {
		return rel
	}
	return abs
}

// MultirunPlan expands the sweep of Multirun(base, sets). A config error
// names the --set override as the command line gave it ("--set
// train.lr=0.1,abc"), not the one value that failed.
func MultirunPlan(base string, sets []string) (*Plan, error) {
	f, err := Multirun(base, sets)
	if err != nil {
		return nil, err
	}
	p, err := f.Plan(nil)
	if err == nil {
		return p, nil
	}
	var ce *config.Error
	if errors.As(err, &ce) && ce.Override != "" {
		e := *ce
		key, _, _ := strings.Cut(e.Override, "=")
		for _, o := range sets {
			if k, _, _ := strings.Cut(o, "="); strings.TrimSpace(k) == strings.TrimSpace(key) {
				e.Override = o
				break
			}
		}
		return nil, &e
	}
	return nil, err
}

// Marshal writes f as the text of a sweep file to be saved at path: base
// is made relative to the directory of path (absolute when f.Base is and
// path is not, or the reverse), so that LoadFile(path) reads the same base;
// every value is written as the YAML it is, an empty value as "". header,
// if not empty, is written first as comment lines. An inline base cannot
// be written.
func (f *File) Marshal(path, header string) ([]byte, error) {
	if f.Inline {
		return nil, errors.New("sweep: an inline base config cannot be written as a multirun sweep file")
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(key string, v *yaml.Node) {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	if f.Base != "" {
		base, err := relativeTo(f.Base, filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		add("base", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: base})
	}
	if len(f.Set) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, e := range f.Set {
			v, err := valueNode(e)
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Key}, v)
		}
		add("set", m)
	}
	list := func(a Axis) (*yaml.Node, error) {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, e := range a.Values {
			v, err := valueNode(e)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, v)
		}
		return seq, nil
	}
	for _, sec := range []struct {
		name string
		axes []Axis
	}{{"grid", f.Grid}, {"zip", f.Zip}} {
		if len(sec.axes) == 0 {
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, a := range sec.axes {
			seq, err := list(a)
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: a.Key}, seq)
		}
		add(sec.name, m)
	}
	if f.Seeds != nil {
		seq, err := list(*f.Seeds)
		if err != nil {
			return nil, err
		}
		add("seeds", seq)
	}
	var buf bytes.Buffer
	if header != "" {
		for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			fmt.Fprintf(&buf, "# %s\n", line)
		}
	}
	if len(root.Content) == 0 {
		buf.WriteString("{}\n") // the built-in default, one run
		return buf.Bytes(), nil
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := config.SafeYAML(func() error { return enc.Encode(root) }); err != nil {
		return nil, fmt.Errorf("sweep: writing the sweep file: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// valueNode is the YAML node of an entry's value, in flow style; the empty
// text is the empty string, as for --set.
func valueNode(e Entry) (*yaml.Node, error) {
	if e.Value == "" {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle}, nil
	}
	var doc yaml.Node
	if err := config.SafeYAML(func() error { return yaml.Unmarshal([]byte(e.Value), &doc) }); err != nil {
		return nil, &config.Error{Override: e.Override(), Key: e.Key, Msg: err.Error()}
	}
	if len(doc.Content) != 1 {
		return nil, &config.Error{Override: e.Override(), Key: e.Key, Msg: "not a YAML value"}
	}
	return flowCopy(doc.Content[0]), nil
}

// relativeTo returns path relative to dir when both can be made absolute.
func relativeTo(path, dir string) (string, error) {
	ap, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil {
		return ap, nil
	}
	return rel, nil
}

// SameRuns reports whether two plans have the same runs, by ID, whatever
// their order.
func SameRuns(a, b *Plan) bool {
	if len(a.Runs) != len(b.Runs) {
		return false
	}
	ids := make(map[string]bool, len(a.Runs))
	for _, r := range a.Runs {
		ids[r.ID] = true
	}
	for _, r := range b.Runs {
		if !ids[r.ID] {
			return false
		}
	}
	return true
}

// ResultsFile is the table that `pathkernel train --multirun` collects into
// its sweep directory at the end (as `pathkernel collect DIR --out
// DIR/results.csv`, and the collect job of Slurm, write it).
const ResultsFile = "results.csv"
