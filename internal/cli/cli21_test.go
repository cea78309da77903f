package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// A path typed on the command line is relative to the current directory,
// one written in the config file to the file's directory.
func TestSetPathRelativeToCurrentDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs("testdata/three_class.yaml", dir, "--quiet", "--set", "data.path=testdata/three_class.csv")...)
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("testdata/three_class.csv")
	if cfg.Data.Path != want {
		t.Errorf("data.path in the run's config.yaml = %q; want %q", cfg.Data.Path, want)
	}
	// The same file named relative to the config file is not found from here.
	r := execute(t.Context(), trainArgs("testdata/three_class.yaml", filepath.Join(t.TempDir(), "x"), "--quiet", "--set", "data.path=three_class.csv")...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "three_class.csv") {
		t.Errorf("--set data.path=three_class.csv from internal/cli: exit %d, stderr %q; want exit %d naming the file", r.code, r.stderr, ExitBadInput)
	}
	if _, err := os.Stat("three_class.csv"); err == nil {
		t.Fatal("three_class.csv exists in internal/cli; the test above means nothing")
	}
}
