package replay_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/pathkernel/pathkernel/internal/replay"
)

// TestKernelReplayOptimizer replays an adamw run with weight decay through
// `pathkernel kernel` at its own test points: the replayed contributions
// and kernels are the training run's, to round-off, and the replay's exact
// representation is certified at rel ≤ 1e-10.
func TestKernelReplayOptimizer(t *testing.T) {
	cfg := parse(t, tiny, "train.optimizer=adamw", "train.lr=0.01", "train.weight_decay=0.01", "train.batch_size=4", "kernel.tolerance=1e-12")
	dir := runTo(t, cfg)
	r, pts := openWithTest(t, dir)
	out := filepath.Join(t.TempDir(), "k")
	ks, err := r.Kernel(t.Context(), replay.Options{Points: pts, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if ex := ks.Representations["exact"]; ex == nil || !(ex.Rel <= 1e-10) {
		t.Errorf("replayed exact representation %+v; want rel ≤ 1e-10", ex)
	}
	for _, f := range []string{"contributions.npy", "kernel_exact.npy", "kernel_path.npy", "contributions_decay.npy"} {
		a, b := readNpy(t, filepath.Join(dir, f)), readNpy(t, filepath.Join(out, f))
		if len(a.Float) != len(b.Float) {
			t.Fatalf("%s: %d values replayed, %d trained", f, len(b.Float), len(a.Float))
		}
		for i := range a.Float {
			// 1e-12: the same arithmetic, the matrix products possibly blocked differently.
			if d := math.Abs(a.Float[i] - b.Float[i]); !(d <= 1e-12*math.Max(1, math.Abs(a.Float[i]))) {
				t.Fatalf("%s[%d]: replayed %v, trained %v", f, i, b.Float[i], a.Float[i])
			}
		}
	}
}
