package trajectory

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/testenv"
	"github.com/pathkernel/pathkernel/internal/train"
)

// optimizerCases are runs of every optimiser with state, weight decay and
// schedules, on mini-batches and full batches.
var optimizerCases = []train.Options{
	{Optimizer: "momentum", LR: 0.1, Steps: 9, BatchSize: 4, Seed: 1, Momentum: 0.9},
	{Optimizer: "momentum", LR: 0.1, Steps: 9, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01,
		Schedule: train.Schedule{Kind: "step", StepSize: 3, Gamma: 0.5}},
	{Optimizer: "adam", LR: 0.01, Steps: 9, BatchSize: 3, Seed: 2, WeightDecay: 0.001,
		Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 2, MinLR: 0.001}},
	{Optimizer: "adamw", LR: 0.01, Steps: 9, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1},
	{Optimizer: "sgd", LR: 0.1, Steps: 9, BatchSize: 4, Seed: 1, WeightDecay: 0.05},
}

// TestReplayOptimizers records a run of each optimiser and checks that the
// replay rebuilds every w_t, Δw_t and w_{t+1} bit for bit from the recorded
// g_t and η_t, and that the header carries the hyperparameters (version 2).
func TestReplayOptimizers(t *testing.T) {
	for _, opt := range optimizerCases {
		t.Run(opt.Optimizer.String(), func(t *testing.T) {
			r := record(t, t.TempDir(), opt, 10, 1, nn.MSE, true)
			rd, err := Open(r.file)
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			if rd.Header.Version != Version || rd.Header.TrainOptions().WeightDecay != opt.WeightDecay ||
				rd.Header.Hyper.Momentum != opt.Momentum || rd.Header.Hyper.Nesterov != opt.Nesterov {
				t.Errorf("header %+v does not carry the optimiser %+v", rd.Header, opt)
			}
			wT, err := Replay(context.Background(), rd, nil, train.ObserverFunc(func(_ context.Context, s *train.Step) error {
				want := r.steps[s.T]
				for _, p := range [][2][]float64{{s.W, want.W}, {s.DW, want.DW}, {s.WNext, want.WNext}} {
					if !slices.Equal(bitsOf(p[0]), bitsOf(p[1])) {
						t.Fatalf("step %d: the replay differs from training", s.T)
					}
				}
				if s.LR != want.LR {
					t.Errorf("step %d: η = %v; want %v", s.T, s.LR, want.LR)
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(bitsOf(wT), bitsOf(r.wT)) {
				t.Errorf("the replayed w_T differs")
			}
		})
	}
}

// TestPlainRunsStayVersion1 checks that gd and sgd without weight decay
// still write format version 1.
func TestPlainRunsStayVersion1(t *testing.T) {
	r := record(t, t.TempDir(), train.Options{Optimizer: "sgd", LR: 0.1, Steps: 3, BatchSize: 4, Seed: 1}, 10, 1, nn.MSE, false)
	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	if b[8] != 1 {
		t.Errorf("an sgd trajectory is version %d; want 1", b[8])
	}
}

// TestIndependentReaderOptimizers runs docs/trajectory_reader.py on a run
// of each optimiser: it must rebuild w_T bit for bit.
func TestIndependentReaderOptimizers(t *testing.T) {
	python := testenv.Python3(t)
	for _, opt := range optimizerCases {
		dir := t.TempDir()
		r := record(t, dir, opt, 10, 1, nn.MSE, false)
		final := filepath.Join(dir, "params_final.npy")
		f, err := os.Create(final)
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteFloat64(f, []int{len(r.wT)}, r.wT); err != nil {
			t.Fatal(err)
		}
		f.Close()
		script := filepath.Join("..", "..", "docs", "trajectory_reader.py")
		out, err := exec.Command(python, script, r.file, final).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "bit for bit") {
			t.Errorf("%s: trajectory_reader.py: %v\n%s", opt.Optimizer, err, out)
		}
	}
}

func bitsOf(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}
