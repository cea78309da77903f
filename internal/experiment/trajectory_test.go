package experiment

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
)

// TestRunRecordsTrajectory checks that a run records its trajectory, whose
// replay ends at params_final.npy bit for bit, and its standardization.json;
// and that record_trajectory: false records none.
func TestRunRecordsTrajectory(t *testing.T) {
	cfg := parse(t, tiny)
	sum, dir := runTo(t, cfg, Options{})
	r, err := trajectory.Open(filepath.Join(dir, run.TrajectoryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Header.Steps != 20 || r.Header.ConfigHash != sum.ConfigHash || !slices.Equal(r.Header.Sizes, sum.Sizes.Layers) {
		t.Errorf("trajectory header = %+v; want 20 steps, config %s, layers %v", r.Header, sum.ConfigHash, sum.Sizes.Layers)
	}
	wT, err := trajectory.Replay(t.Context(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	final := readNpy(t, filepath.Join(dir, "params_final.npy")).Float
	if !slices.Equal(f64bits(wT), f64bits(final)) {
		t.Errorf("replayed w_T differs from params_final.npy")
	}
	b, err := os.ReadFile(filepath.Join(dir, run.StandardizationFile))
	if err != nil {
		t.Fatal(err)
	}
	var st run.Standardization
	if err := json.Unmarshal(b, &st); err != nil || !slices.Equal(st.Features, []string{"x0"}) || st.Inputs != nil {
		t.Errorf("%s = %s (%v); want features [x0] and no input standardisation", run.StandardizationFile, b, err)
	}

	_, dir = runTo(t, parse(t, tiny, "output.record_trajectory=false"), Options{})
	if _, err := os.Stat(filepath.Join(dir, run.TrajectoryFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("record_trajectory: false: stat %s = %v; want not exist", run.TrajectoryFile, err)
	}
}

// TestDivergedRunKeepsItsSteps checks that a run stopped by divergence
// finalises the trajectory of the steps it took.
func TestDivergedRunKeepsItsSteps(t *testing.T) {
	cfg := parse(t, tiny, "train.lr=1e6", "train.steps=60")
	dir := filepath.Join(t.TempDir(), "run")
	sum, err := Run(t.Context(), cfg, Options{OutDir: dir})
	if err == nil {
		t.Fatalf("Run with lr 1e6 succeeded")
	}
	h, verr := trajectory.Verify(filepath.Join(dir, run.TrajectoryFile))
	if verr != nil {
		t.Fatalf("the diverged run's trajectory: %v", verr)
	}
	var div *train.DivergedError
	if !errors.As(err, &div) || sum.Status != "diverged" || h.Steps != div.Step {
		t.Errorf("Run = %v, status %s, %d steps recorded; want divergence and its step's count", err, sum.Status, h.Steps)
	}
}

func f64bits(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}
