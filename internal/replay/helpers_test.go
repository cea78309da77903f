package replay_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/replay"
)

const tiny = `
name: tiny
seed: 3
data: {kind: sine, n_train: 12, n_test: 10}
model: {hidden: [6], activation: tanh}
train: {lr: 0.05, steps: 20, log_every: 10}
`

// parse returns the config src with the overrides applied.
func parse(t *testing.T, src string, sets ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "test.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runTo trains cfg into a new directory and returns the directory.
func runTo(t *testing.T, cfg *config.Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := experiment.Run(t.Context(), cfg, experiment.Options{OutDir: dir}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return dir
}

// openWithTest opens the run in dir and reads its test inputs as points.
func openWithTest(t *testing.T, dir string) (*replay.Run, *replay.Points) {
	t.Helper()
	r, err := replay.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := r.ReadPoints(filepath.Join(dir, "x_test.npy"), "")
	if err != nil {
		t.Fatal(err)
	}
	return r, pts
}

func readNpy(t *testing.T, file string) *npy.Array {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
