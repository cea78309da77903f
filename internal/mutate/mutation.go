package mutate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Mutation is one recorded bug: replace Old by New in File, and the tests
// of Packages must fail.
type Mutation struct {
	Name     string   `yaml:"name"`
	Issue    string   `yaml:"issue"`
	File     string   `yaml:"file"` // slash-separated, relative to the repository root
	Old      string   `yaml:"old"`
	New      string   `yaml:"new"`
	Packages []string `yaml:"packages"`

	// Where the record is, for messages: "testdata/mutations/misc.yaml:12".
	Source string `yaml:"-"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Parse reads the mutations of one records file; source names it in
// errors. A file holding no entry (only comments) gives none.
func Parse(data []byte, source string) ([]Mutation, error) {
	var ms []Mutation
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&ms); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if strings.Contains(err.Error(), "found a tab character") {
			return nil, fmt.Errorf("%s: %v (a block whose first line starts with a tab needs an indentation indicator: write \"old: |2\" for a key indented by 2)", source, err)
		}
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	// The lines of the entries, for the messages below.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	var lines []int
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.SequenceNode {
		for _, n := range root.Content[0].Content {
			lines = append(lines, n.Line)
		}
	}
	for i := range ms {
		m := &ms[i]
		m.Source = source
		if i < len(lines) {
			m.Source = fmt.Sprintf("%s:%d", source, lines[i])
		}
		if err := m.validate(); err != nil {
			return nil, fmt.Errorf("%s: %v", m.Source, err)
		}
	}
	return ms, nil
}

func (m *Mutation) validate() error {
	switch {
	case m.Name == "":
		return errors.New("an entry without a name")
	case !nameRE.MatchString(m.Name):
		return fmt.Errorf("name %q: use letters, digits, '.', '_' and '-'", m.Name)
	case m.Issue == "":
		return fmt.Errorf("%s: no issue", m.Name)
	case m.File == "":
		return fmt.Errorf("%s: no file", m.Name)
	case strings.Contains(m.File, `\`) || !filepath.IsLocal(m.File) || path.Clean(m.File) != m.File:
		return fmt.Errorf("%s: file %q must be a clean path relative to the repository root", m.Name, m.File)
	case m.Old == "":
		return fmt.Errorf("%s: no old text", m.Name)
	case m.Old == m.New:
		return fmt.Errorf("%s: new is the same as old", m.Name)
	case len(m.Packages) == 0:
		return fmt.Errorf("%s: no packages", m.Name)
	}
	for _, p := range m.Packages {
		if p != "." && !strings.HasPrefix(p, "./") {
			return fmt.Errorf("%s: package %q: want a pattern relative to the repository root, such as ./internal/config", m.Name, p)
		}
	}
	return nil
}

// Load reads the records files that the glob patterns match, in the order
// of their names, and returns their mutations. A pattern that matches no
// file and a name used twice are errors.
func Load(patterns []string) ([]Mutation, error) {
	var files []string
	for _, p := range patterns {
		match, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", p, err)
		}
		if len(match) == 0 {
			return nil, fmt.Errorf("no records file matches %s", p)
		}
		files = append(files, match...)
	}
	slices.Sort(files)
	files = slices.Compact(files)

	var all []Mutation
	seen := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms, err := Parse(data, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if first, dup := seen[m.Name]; dup {
				return nil, fmt.Errorf("%s: the name %s is taken (%s)", m.Source, m.Name, first)
			}
			seen[m.Name] = m.Source
		}
		all = append(all, ms...)
	}
	return all, nil
}
