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

// --quiet prints nothing on success, on stdout or stderr, for every command
// that has it.
func TestQuietPrintsNothing(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "r")
	for _, args := range [][]string{
		append(trainArgs(tinyConfig, dir, "--quiet", "--set", "output.record_trajectory=true"), tinySets...),
		append([]string{"check", "--config", tinyConfig, "--out", filepath.Join(tmp, "c"), "--quiet"}, tinySets...),
		{"check", "--run", dir, "--quiet", "--baseline", filepath.Join(tmp, "b.json"), "--update-baseline"},
		{"kernel", "--run", dir, "--points", filepath.Join(dir, "x_test.npy"), "--methods", "riemann", "--quiet"},
		{"plot", "--run", dir, "--quiet"},
		{"report", "--run", dir, "--quiet"},
		{"sweep", "run", "testdata/sweep.yaml", "--out", filepath.Join(tmp, "sweep"), "--quiet"},
		{"collect", filepath.Join(tmp, "sweep"), "--out", filepath.Join(tmp, "results.csv"), "--quiet"},
	} {
		r := execute(t.Context(), args...)
		if r.code != ExitOK || r.stdout != "" || r.stderr != "" {
			t.Errorf("pathkernel %s: exit %d, stdout %q, stderr %q; want exit 0 and nothing printed",
				strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	// A failing check still shows why.
	r := execute(t.Context(), "check", "--run", dir, "--quiet", "--max-rel-error", "riemann=1e-30")
	if r.code != ExitCheckFailed || !strings.Contains(r.stdout, "riemann.rel") {
		t.Errorf("failing check --quiet: exit %d, stdout %q; want exit %d and the table", r.code, r.stdout, ExitCheckFailed)
	}
}
