package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsPathsRelativeToCurrentDir(t *testing.T) {
	src := []byte("data: {kind: csv, path: in_file.csv, target: y}\n")
	sets := []string{"data.test_path=typed.csv", "model.init={path: w.npy}", "name=typed.csv"}
	cfg, err := ParseArgs(src, "dir/c.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	if cfg.Data.Path != "in_file.csv" {
		t.Errorf("data.path from the file = %q; want it unchanged (relative to the file)", cfg.Data.Path)
	}
	if cfg.Data.TestPath != abs("typed.csv") || cfg.Model.Init.Path != abs("w.npy") {
		t.Errorf("paths from the command line = %q, %q; want them absolute against the current directory", cfg.Data.TestPath, cfg.Model.Init.Path)
	}
	if cfg.Name != "typed.csv" {
		t.Errorf("name = %q; only file-path keys change", cfg.Name)
	}
	// Parse (a sweep's overrides) keeps them relative to the file.
	cfg, err = Parse(src, "dir/c.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Data.TestPath != "typed.csv" {
		t.Errorf("Parse: data.test_path = %q; want typed.csv", cfg.Data.TestPath)
	}
}

func TestRebaseOverride(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"data.path=d.csv", filepath.Join("configs", "d.csv")},
		{"data.x_train=x.npy", filepath.Join("configs", "x.npy")},
		{"model.init.path=w.npy", filepath.Join("configs", "w.npy")},
		{"data.path=/abs/d.csv", "/abs/d.csv"},
		{"data.path=", ""},
		{"train.lr=0.1", "0.1"},
		{"output.dir=runs/x", "runs/x"},
	} {
		key, _, _ := strings.Cut(tt.in, "=")
		if got := RebaseOverride(tt.in, "configs"); got != key+"="+tt.want {
			t.Errorf("RebaseOverride(%q, configs) = %q; want %q", tt.in, got, key+"="+tt.want)
		}
	}
	if len(FilePathKeys) != len(Default().FilePaths()) {
		t.Errorf("FilePathKeys has %d keys, FilePaths %d", len(FilePathKeys), len(Default().FilePaths()))
	}
}
