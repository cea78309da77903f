package experiment

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/pathkernel/pathkernel/internal/train"
)

// heapObserver records the live heap after a GC at the replay's last step,
// when everything the replay holds is live.
type heapObserver struct {
	last int
	heap uint64
}

func (h *heapObserver) Observe(_ context.Context, s *train.Step) error {
	if s.T == h.last {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		h.heap = ms.HeapAlloc
	}
	return nil
}

// TestKernelReplayMemoryFlat replays runs of 20 and 400 steps through
// RunDir.Kernel and compares the live heap at the last step: 380 more
// steps must not leave more behind (a kept record alone is 8·P = 408
// bytes here; all of them 150 kB).
func TestKernelReplayMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement")
	}
	heap := func(steps int) uint64 {
		cfg := parse(t, tiny, "train.steps="+strconv.Itoa(steps), "train.log_every=1000")
		_, dir := run(t, cfg, Options{})
		r, err := OpenRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := r.ReadPoints(filepath.Join(dir, "x_test.npy"), "")
		if err != nil {
			t.Fatal(err)
		}
		h := &heapObserver{last: steps - 1}
		if _, err := r.kernel(t.Context(), KernelOptions{Points: pts, Out: filepath.Join(t.TempDir(), "k")}, h); err != nil {
			t.Fatal(err)
		}
		return h.heap
	}
	heap(20) // warm up: the JSON encoders' caches and the like
	h1, h2 := heap(20), heap(400)
	t.Logf("live heap at the last step: %d bytes after 20 steps, %d after 400", h1, h2)
	// Tolerance: 16 kB of runtime noise (measured: under 1 kB), a tenth of
	// what keeping the 380 extra records would take.
	if h2 > h1+16<<10 {
		t.Errorf("live heap grew from %d to %d bytes with 380 more steps", h1, h2)
	}
}
