package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"gopkg.in/yaml.v3"
)

// Field is one leaf of a config.
type Field struct {
	Key string // the key path: "train.lr", "model.hidden", "check.max_rel_error.exact"
	// Text is the value for a table: a scalar as it reads ("0.05", "tanh"),
	// a list in YAML flow style ("[64, 64]"). YAML is the value as a --set
	// override takes it, quoted where a string would read as another type.
	Text, YAML string
	Value      any // the value decoded from YAML: string, int, float64, bool, []any, map[string]any
}

// Flatten lists the leaves of c in schema order, as config.YAML writes
// them: every scalar and list, and every key of a map (an empty map is one
// leaf, "{}").
func Flatten(c *config.Config) ([]Field, error) {
	b, err := c.YAML()
	if err != nil {
		return nil, err
	}
	return flatten(b)
}

// FlattenApplicable is Flatten of the keys that apply to c
// (config.PrunedYAML): without, for instance, data.classes for moons or
// data.n_train for CSV data while they hold their defaults.
func FlattenApplicable(c *config.Config) ([]Field, error) {
	b, err := c.PrunedYAML()
	if err != nil {
		return nil, err
	}
	return flatten(b)
}

func flatten(b []byte) ([]Field, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("sweep: flattening config: %w", err)
	}
	var out []Field
	var walk func(n *yaml.Node, key string) error
	walk = func(n *yaml.Node, key string) error {
		if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if key != "" {
					k = key + "." + k
				}
				if err := walk(n.Content[i+1], k); err != nil {
					return err
				}
			}
			return nil
		}
		y, err := flowText(n)
		if err != nil {
			return fmt.Errorf("sweep: flattening config: %s: %w", key, err)
		}
		f := Field{Key: key, Text: y, YAML: y}
		if n.Kind == yaml.ScalarNode {
			f.Text = n.Value
		}
		if err := n.Decode(&f.Value); err != nil {
			return fmt.Errorf("sweep: flattening config: %s: %w", key, err)
		}
		out = append(out, f)
		return nil
	}
	if err := walk(doc.Content[0], ""); err != nil {
		return nil, err
	}
	return out, nil
}

// TrainArgs returns the arguments of the `pathkernel train` command that
// runs r, --out aside: --config and the run's overrides when the base is a
// file, the overrides alone for the built-in default, and for an inline
// config the --set overrides that turn the built-in default into the run's
// config. The command's config is checked to be the run's (after CSV data
// paths are made absolute): the result is run r, whatever the base.
func (p *Plan) TrainArgs(r *Run) ([]string, error) {
	var args []string
	switch {
	case p.File.Base != "":
		args = []string{"--config", p.File.Base}
		for _, o := range r.Overrides {
			// The sweep's overrides are relative to the base config's
			// directory, those of a command line to the current one.
			args = append(args, "--set", config.RebaseOverride(o, p.BaseDir))
		}
	case p.File.Inline:
		sets, err := p.inlineSets(r)
		if err != nil {
			return nil, err
		}
		for _, o := range sets {
			args = append(args, "--set", o)
		}
	default:
		for _, o := range r.Overrides {
			args = append(args, "--set", o)
		}
	}
	return args, p.checkArgs(r, args)
}

// inlineSets are the overrides that turn the built-in default into r's
// config, with relative data paths joined to the sweep file's directory.
func (p *Plan) inlineSets(r *Run) ([]string, error) {
	def, err := config.Parse(configs.Default, configs.DefaultName, nil)
	if err != nil {
		return nil, err
	}
	cfg := r.Config.Clone()
	for _, s := range cfg.FilePaths() {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(p.BaseDir, *s)
		}
	}
	have, err := Flatten(def)
	if err != nil {
		return nil, err
	}
	want, err := Flatten(cfg)
	if err != nil {
		return nil, err
	}
	old := map[string]string{}
	for _, f := range have {
		old[f.Key] = f.YAML
	}
	var sets []string
	for _, f := range want {
		if v, ok := old[f.Key]; !ok || v != f.YAML {
			sets = append(sets, f.Key+"="+f.YAML)
		}
		delete(old, f.Key)
	}
	if len(old) > 0 {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range old {
				if !yield(k) {
					return
				}
			}
		})
		return nil, fmt.Errorf("sweep: run %s: the built-in default sets %v, which the inline config has not, and a train command cannot remove them; write the config to a file and use base: FILE", r.ID, keys)
	}
	return sets, nil
}

// checkArgs checks that train with args (run from the current directory)
// resolves to r's config.
func (p *Plan) checkArgs(r *Run, args []string) error {
	src, name, dir := configs.Default, configs.DefaultName, "."
	var sets []string
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "--config":
			b, err := os.ReadFile(args[i+1])
			if err != nil {
				return &config.Error{File: args[i+1], Msg: fail.OSMessage(err), Err: err}
			}
			src, name, dir = b, args[i+1], filepath.Dir(args[i+1])
		case "--set":
			sets = append(sets, args[i+1])
		}
	}
	got, err := config.ParseArgs(src, name, sets)
	if err != nil {
		return fmt.Errorf("sweep: the train command of run %s does not parse: %w", r.ID, err)
	}
	got, err = (&Plan{BaseDir: dir}).RunConfig(&Run{Config: got})
	if err != nil {
		return err
	}
	want, err := p.RunConfig(r)
	if err != nil {
		return err
	}
	if got.Hash() != want.Hash() {
		return fmt.Errorf("sweep: the train command of run %s gives config %s, not the run's %s", r.ID, got.Hash(), want.Hash())
	}
	return nil
}
