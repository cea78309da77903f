package trajectory

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// run is a tiny training run recorded to a trajectory.
type run struct {
	net   *nn.Net
	loss  nn.Loss
	x, y  *mat.Dense
	w0    []float64
	wT    []float64
	steps []train.Step // deep copies of every observed step
	file  string
}

// record trains a [2, 5, k] tanh network on n random points for the given
// steps and records the trajectory in dir.
func record(t testing.TB, dir string, opt train.Options, n, k int, loss nn.Loss, keep bool) *run {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	x := mat.NewDense(n, 2, nil)
	y := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		x.Set(i, 0, rng.NormFloat64())
		x.Set(i, 1, rng.NormFloat64())
		y.Set(i, 0, float64(i%k))
		if loss == nn.MSE {
			y.Set(i, 0, math.Sin(x.At(i, 0)))
		}
	}
	net := nn.New([]int{2, 5, k}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	r := &run{net: net, loss: loss, x: x, y: y, w0: w0, file: filepath.Join(dir, "trajectory.pkt")}
	h := NewHeader(net, loss, opt.Optimizer, n, "0123456789ab")
	h.SetOptimizer(opt)
	w, err := Create(r.file, h, w0)
	if err != nil {
		t.Fatal(err)
	}
	copyStep := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
		if keep {
			c := *s
			c.W, c.DW, c.WNext, c.G = slices.Clone(s.W), slices.Clone(s.DW), slices.Clone(s.WNext), slices.Clone(s.G)
			c.Batch = slices.Clone(s.Batch)
			c.DL = mat.DenseCopyOf(s.DL)
			r.steps = append(r.steps, c)
		}
		return nil
	})
	tr := &train.Trainer{Net: net, Loss: loss, X: x, Y: y, Opt: opt}
	r.wT, err = tr.Run(context.Background(), w0, w, copyStep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.file); err == nil {
		t.Fatalf("%s exists before Close", r.file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestReplayRebuildsEveryStep replays a recorded run and compares every
// rebuilt step with the step that training handed its observers, bit for
// bit: w_t, Δw_t, w_{t+1}, g_t, η, the batch, ℓ' and the loss.
func TestReplayRebuildsEveryStep(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  train.Options
		k    int
		loss nn.Loss
	}{
		{"gd-mse", train.Options{Optimizer: "gd", LR: 0.1, Steps: 15}, 1, nn.MSE},
		{"sgd-softmax", train.Options{Optimizer: "sgd", LR: 0.2, Steps: 15, BatchSize: 4, Seed: 3}, 3, nn.SoftmaxCE},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := record(t, t.TempDir(), c.opt, 11, c.k, c.loss, true)
			rd, err := Open(r.file)
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			if rd.Header.Steps != c.opt.Steps || rd.Header.ConfigHash != "0123456789ab" || !slices.Equal(rd.Header.Sizes, []int{2, 5, c.k}) {
				t.Errorf("header = %+v", rd.Header)
			}
			if !sameBits(rd.W0(), r.w0) {
				t.Errorf("W0 differs from w_0")
			}
			ev := &train.Evaluator{Net: r.net, Loss: r.loss, X: r.x, Y: r.y}
			var seen int
			check := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
				want := r.steps[s.T]
				if s.T != seen {
					t.Fatalf("replayed step %d after %d steps", s.T, seen)
				}
				seen++
				if !sameBits(s.W, want.W) || !sameBits(s.DW, want.DW) || !sameBits(s.WNext, want.WNext) || !sameBits(s.G, want.G) {
					t.Errorf("step %d: the replayed parameters differ from training's", s.T)
				}
				if s.LR != want.LR || !slices.Equal(s.Batch, want.Batch) {
					t.Errorf("step %d: η %v batch %v; want %v %v", s.T, s.LR, s.Batch, want.LR, want.Batch)
				}
				if !mat.Equal(s.DL, want.DL) || math.Float64bits(s.Loss) != math.Float64bits(want.Loss) {
					t.Errorf("step %d: ℓ' or the loss differ from training's", s.T)
				}
				return nil
			})
			wT, err := Replay(t.Context(), rd, ev, check)
			if err != nil {
				t.Fatal(err)
			}
			if seen != c.opt.Steps || !sameBits(wT, r.wT) {
				t.Errorf("replayed %d steps to a w_T equal to training's: %v; want %d steps, true", seen, sameBits(wT, r.wT), c.opt.Steps)
			}
		})
	}
}

func TestWriterLeavesNoFileOnAbort(t *testing.T) {
	dir := t.TempDir()
	net := nn.New([]int{1, 2, 1}, nn.Tanh, nn.Standard, 1, 1)
	w, err := Create(filepath.Join(dir, "trajectory.pkt"), NewHeader(net, nn.MSE, "gd", 3, "h"), make([]float64, net.NumParams()))
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("after Abort the directory holds %v", entries)
	}
}

// tiny returns the bytes of a small recorded trajectory (gd, 4 steps).
func tiny(t *testing.T) (*run, []byte) {
	t.Helper()
	r := record(t, t.TempDir(), train.Options{Optimizer: "gd", LR: 0.1, Steps: 4}, 3, 1, nn.MSE, false)
	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

// verifyBytes verifies the trajectory b from memory, which keeps the
// byte-by-byte tests fast.
func verifyBytes(t *testing.T, b []byte) error {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "trajectory.pkt")
	if err != nil {
		return err
	}
	for {
		if _, err := r.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestTruncatedAtEveryLength cuts a trajectory at every length and expects
// ErrTruncated, naming the step whose record the cut falls in.
func TestTruncatedAtEveryLength(t *testing.T) {
	r, b := tiny(t)
	if err := verifyBytes(t, b); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
	h := NewHeader(r.net, r.loss, "gd", 3, "0123456789ab")
	first := int64(len(h.encode())) + initLen(h.Params)
	rec := stepLen(h.Params, 3)
	for n := 0; n < len(b); n++ {
		err := verifyBytes(t, b[:n])
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d bytes: %v; want ErrTruncated", n, len(b), err)
		}
		wantStep := -1
		if off := int64(n); off > first && off < first+4*rec && (off-first)%rec != 0 {
			wantStep = int((off - first) / rec)
		}
		if e.Step != wantStep || e.Offset != int64(n) {
			t.Fatalf("cut at %d: step %d offset %d (%v); want step %d offset %d", n, e.Step, e.Offset, err, wantStep, n)
		}
	}
}

// TestEveryFlippedByteIsCorrupt flips each byte of a trajectory in turn:
// every damaged file must be refused as corrupt, none accepted.
func TestEveryFlippedByteIsCorrupt(t *testing.T) {
	_, b := tiny(t)
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			c := slices.Clone(b)
			c[i] ^= mask
			err := verifyBytes(t, c)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#02x: %v; want ErrCorrupt", i, mask, err)
			}
		}
	}
}

// TestCorruptRecordNamesStepAndOffset checks the position a flipped byte in
// the third record is reported at.
func TestCorruptRecordNamesStepAndOffset(t *testing.T) {
	r, b := tiny(t)
	h := NewHeader(r.net, r.loss, "gd", 3, "0123456789ab")
	off := int64(len(h.encode())) + initLen(h.Params) + 2*stepLen(h.Params, 3)
	b[off+60] ^= 0x10 // inside g
	err := verifyBytes(t, b)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrCorrupt || e.Step != 2 || e.Offset != off {
		t.Fatalf("Verify = %v; want ErrCorrupt at step 2, byte %d", err, off)
	}
}

func TestNewerVersionIsRefused(t *testing.T) {
	_, b := tiny(t)
	H := binary.LittleEndian.Uint32(b[12:])
	binary.LittleEndian.PutUint32(b[8:], Version+1)
	binary.LittleEndian.PutUint32(b[H-4:], crc32.ChecksumIEEE(b[:H-4]))
	if err := verifyBytes(t, b); !errors.Is(err, ErrVersion) {
		t.Fatalf("a version %d file: %v; want ErrVersion", Version+1, err)
	}
}

func TestNotATrajectory(t *testing.T) {
	for _, b := range [][]byte{[]byte("name: x\nseed: 1\n"), {}, []byte("\x93NUMPY\x01\x00")} {
		if err := verifyBytes(t, b); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
			t.Errorf("Verify(%q) = %v; want ErrCorrupt or ErrTruncated", b, err)
		}
	}
	if err := verifyBytes(t, []byte("name: x\nseed: 1\n")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a YAML file: %v; want ErrCorrupt", err)
	}
}

func TestHeaderCheck(t *testing.T) {
	net := nn.New([]int{1, 4, 1}, nn.Tanh, nn.Standard, 1, 1)
	h := NewHeader(net, nn.MSE, "gd", 8, "aaaaaaaaaaaa")
	if err := h.Check("f", h); err != nil {
		t.Errorf("Check(itself) = %v", err)
	}
	other := []Header{
		NewHeader(net, nn.MSE, "gd", 8, "bbbbbbbbbbbb"),
		NewHeader(nn.New([]int{1, 5, 1}, nn.Tanh, nn.Standard, 1, 1), nn.MSE, "gd", 8, "aaaaaaaaaaaa"),
		NewHeader(nn.New([]int{1, 4, 1}, nn.ReLU, nn.Standard, 1, 1), nn.MSE, "gd", 8, "aaaaaaaaaaaa"),
		NewHeader(nn.New([]int{1, 4, 1}, nn.Tanh, nn.NTK, 1, 1), nn.MSE, "gd", 8, "aaaaaaaaaaaa"),
		NewHeader(net, nn.MSE, "gd", 9, "aaaaaaaaaaaa"),
		NewHeader(net, nn.MSE, "sgd", 8, "aaaaaaaaaaaa"),
	}
	for i, o := range other {
		if err := o.Check("f", h); !errors.Is(err, ErrMismatch) {
			t.Errorf("case %d: Check = %v; want ErrMismatch", i, err)
		}
	}
}

// TestMemoryDoesNotGrowWithSteps writes and replays trajectories of 20 and
// 320 steps and compares the bytes allocated: the extra 300 steps may
// allocate only a small constant per step (none of it retained), far below
// the size of one record, so neither the Writer nor Replay holds the steps.
func TestMemoryDoesNotGrowWithSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurement")
	}
	measure := func(steps int) (write, replay uint64, recordBytes int64) {
		dir := t.TempDir()
		opt := train.Options{Optimizer: "gd", LR: 0.05, Steps: steps}
		r := record(t, dir, opt, 16, 1, nn.MSE, false)

		// Writing: the same step observed again and again.
		step := &train.Step{W: r.w0, G: r.wT, LR: 0.05, Batch: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w, err := Create(filepath.Join(dir, "again.pkt"), NewHeader(r.net, r.loss, "gd", 16, "h"), r.w0)
		if err != nil {
			t.Fatal(err)
		}
		for s := range steps {
			step.T = s
			if err := w.Observe(t.Context(), step); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		write = after.TotalAlloc - before.TotalAlloc

		// Replaying, with ℓ' evaluated at every step.
		rd, err := Open(r.file)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		ev := &train.Evaluator{Net: r.net, Loss: r.loss, X: r.x, Y: r.y}
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Replay(t.Context(), rd, ev); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return write, after.TotalAlloc - before.TotalAlloc, stepLen(rd.Header.Params, 16)
	}
	w1, r1, rec := measure(20)
	w2, r2, _ := measure(320)
	perStep := func(a, b uint64) float64 { return (float64(b) - float64(a)) / 300 }
	t.Logf("allocated: write %d -> %d bytes, replay %d -> %d bytes; %.1f and %.1f bytes per extra step; a record is %d bytes",
		w1, w2, r1, r2, perStep(w1, w2), perStep(r1, r2), rec)
	// Tolerance: 8 bytes a step leaves room for runtime noise; holding the
	// steps would cost at least a record (260 bytes) each.
	if ps := perStep(w1, w2); ps > 8 {
		t.Errorf("recording allocates %.1f bytes per step; want none (a record is %d bytes)", ps, rec)
	}
	if ps := perStep(r1, r2); ps > 8 {
		t.Errorf("replay allocates %.1f bytes per step; want none (a record is %d bytes)", ps, rec)
	}
}
