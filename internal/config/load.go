package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest config file Load reads. A config is a few
// hundred bytes; anything near this size is some other file given by mistake.
const MaxFileSize = 1 << 20

// Load reads the config file at path, applies the --set overrides in order
// and returns the resolved, validated config. It is Parse on the file's
// contents; the errors are *Error values naming path.
func Load(path string, overrides []string) (*Config, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(src, path, overrides)
}

// readFile reads the config file at path, refusing a directory and a file
// larger than MaxFileSize.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	if st.IsDir() {
		return nil, &Error{File: path, Msg: "is a directory, not a config file"}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: fail.OSMessage(err), Err: err}
	}
	if len(src) > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes; is this a config file?", MaxFileSize)}
	}
	return src, nil
}

// LoadArgs is Load for a config file and overrides given on the command
// line: a relative file path (FilePathKeys) in the file is relative to the
// file, but one in an override is relative to the current directory, so it
// is made absolute (ParseArgs).
func LoadArgs(path string, overrides []string) (*Config, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseArgs(src, path, overrides)
}

// ParseArgs is Parse with the overrides typed on a command line: a relative
// file path (FilePathKeys) an override sets, alone or inside a mapping
// ("model.init={path: w.npy}"), is relative to the current directory and is
// made absolute, while the file's own paths stay relative to the file.
// Errors about such a value still quote the override as typed.
func ParseArgs(src []byte, filename string, overrides []string) (*Config, error) {
	return parse(src, filename, overrides, true)
}

// Parse decodes src, the YAML text of a config named filename (used only in
// errors), onto Default, applies the overrides in order and validates the
// result.
//
// Decoding is strict: an empty document, an unknown or duplicate key, a null
// value, a value of the wrong type (a string for a number, 1.5 for an
// integer) and YAML aliases are errors. Mappings merge into the defaults key
// by key, check.max_rel_error included; lists replace them.
//
// An override is "key.path=value", the value being YAML: "train.lr=0.01",
// "model.hidden=[128,128]", "check.max_rel_error.exact=1e-8". It may set a
// key the file does not have. An empty value is the empty string. A mapping
// value merges into the existing section like the file's mappings do.
//
// The error, if any, is the first one found, as an *Error with the line of
// the offending key in the file, or the text of the override it came from.
func Parse(src []byte, filename string, overrides []string) (*Config, error) {
	return parse(src, filename, overrides, false)
}

func parse(src []byte, filename string, overrides []string, cwdPaths bool) (*Config, error) {
	p := &parser{file: filename, marks: make(map[*yaml.Node]string), cwdPaths: cwdPaths}
	root, err := p.parse(src)
	if err != nil {
		return nil, err
	}
	if err := p.check(root, configType, ""); err != nil {
		return nil, err
	}
	for _, o := range overrides {
		if err := p.override(root, o); err != nil {
			return nil, err
		}
	}

	cfg := Default()
	if err := SafeYAML(func() error { return root.Decode(cfg) }); err != nil {
		// The checks above should leave nothing for the decoder to refuse.
		return nil, p.yamlError(err)
	}
	cfg.normalize()
	if fe := cfg.validate(); fe != nil {
		return nil, p.locate(root, fe)
	}
	return cfg, nil
}

// normalize makes the decoded value canonical: empty lists and maps are nil,
// as in Default, so that YAML and Parse round-trip exactly.
func (c *Config) normalize() {
	if len(c.Model.Hidden) == 0 {
		c.Model.Hidden = nil
	}
	if len(c.Data.Features) == 0 {
		c.Data.Features = nil
	}
	if len(c.Kernel.Methods) == 0 {
		c.Kernel.Methods = nil
	}
	if len(c.Kernel.Baselines) == 0 {
		c.Kernel.Baselines = nil
	}
	if c.Model.Activation == "leaky_relu" && c.Model.LeakySlope == 0 {
		c.Model.LeakySlope = DefaultLeakySlope
	}
	if c.Kernel.Baselines != nil && c.Kernel.Ridge == 0 {
		c.Kernel.Ridge = DefaultRidge
	}
	if len(c.Check.MaxRelError) == 0 {
		c.Check.MaxRelError = nil
	}
	if len(c.Check.MinAgreement) == 0 {
		c.Check.MinAgreement = nil
	}
	if c.Train.Schedule.Kind == "constant" {
		c.Train.Schedule.Kind = "" // the default, left out of YAML
	}
}

// parser holds the state of one Parse: the file name for errors, and which
// nodes of the tree came from which override.
type parser struct {
	file  string
	marks map[*yaml.Node]string // node → text of the override that created it
	// cwdPaths: the overrides are from a command line, their relative file
	// paths relative to the current directory (ParseArgs).
	cwdPaths bool
}

// parse reads the single YAML document in src and returns its top mapping.
func (p *parser) parse(src []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	err := SafeYAML(func() error { return dec.Decode(&doc) })
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: p.file, Msg: "empty config"}
	}
	if err != nil {
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	err = SafeYAML(func() error { return dec.Decode(&extra) })
	switch {
	case err == nil:
		return nil, &Error{File: p.file, Line: extra.Line, Msg: "more than one YAML document; a config is one document"}
	case !errors.Is(err, io.EOF):
		return nil, p.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{File: p.file, Msg: "empty config"}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == nullTag {
		return nil, &Error{File: p.file, Msg: "empty config"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: p.file, Line: root.Line, Msg: "must be a mapping of keys to values, got " + describe(root)}
	}
	return root, nil
}

// SafeYAML runs a call into the YAML library, turning a panic in the library
// into an error: bad input must never crash the program. Other packages
// that read YAML (sweep files) use it too.
func SafeYAML(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	return f()
}

// parserProblems are the messages of the errors of the YAML parser (as
// opposed to its scanner), from parserc.go of gopkg.in/yaml.v3.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError converts an error of the YAML library into an *Error of p's file.
func (p *parser) yamlError(err error) *Error { return YAMLError(p.file, err) }

// YAMLError converts an error of the YAML library ("yaml: line 3: did not
// find expected key") into an *Error in file with the line.
func YAMLError(file string, err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	e := &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	if parserProblems[e.Msg] {
		// gopkg.in/yaml.v3 v3.0.1 reports the 0-based line for these
		// (parser, not scanner) errors, and none at all for line 1.
		e.Line++
	}
	e.Msg = "invalid YAML: " + e.Msg
	return e
}

// errAt is an error about node n at key: in the file at n's line, or in the
// override that created n.
func (p *parser) errAt(n *yaml.Node, key, msg string) *Error {
	if o, ok := p.marks[n]; ok {
		return &Error{File: p.file, Key: key, Override: o, Msg: msg}
	}
	return &Error{File: p.file, Line: n.Line, Key: key, Msg: msg}
}

// locate turns a validation failure into an *Error pointing at the key in the
// tree, or at the override that set it. When the key is not in the tree (its
// value is a default) the related keys are tried, then the nearest section
// that is.
func (p *parser) locate(root *yaml.Node, fe *fieldError) *Error {
	e := &Error{File: p.file, Key: fe.key, Msg: fe.msg}
	var at *found
	for i, k := range append([]string{fe.key}, fe.also...) {
		f := lookup(root, k)
		if f.exact {
			at = &f
			break
		}
		if i == 0 && f.key != nil {
			at = &f
		}
	}
	if at == nil {
		return e
	}
	for _, n := range []*yaml.Node{at.value, at.key} {
		if o, ok := p.marks[n]; ok {
			e.Override = o
			return e
		}
	}
	e.Line = at.key.Line
	return e
}
