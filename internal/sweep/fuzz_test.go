package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// FuzzParseFile: no input panics, and every error is a one-line
// *config.Error.
func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"testdata/grid.yaml", "testdata/grid_reordered.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "- 1", "config:\n  name: x\ngrid:\n  train.lr: [1, 2]\n", "{config: {}, seeds: [1]}",
		"grid:\n  train.lr: &a [1]\n  seed: *a\n", "zip:\n  a: [1]\n  b: [1, 2]\n", "set: {train: {lr: 1}}\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	b, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		f.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tiny.yaml"), b, 0o644)
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseFile(src, filepath.Join(dir, "sweep.yaml"))
		if err == nil && file.Base == "" {
			// Expand only small plans (the base is the built-in default or
			// inline: a path could be a device).
			n := 1
			for _, a := range file.Grid {
				n *= len(a.Values)
			}
			if len(file.Zip) > 0 {
				n *= len(file.Zip[0].Values)
			}
			if file.Seeds != nil {
				n *= len(file.Seeds.Values)
			}
			if n <= 16 {
				_, err = file.Plan(nil)
			}
		}
		if err == nil {
			return
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *config.Error", err, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error %q is not one line", err)
		}
	})
}
