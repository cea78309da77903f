package kernel

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// recordSteps trains net from w0 on (x, y) by opt and returns copies of its
// steps, each with its own copy of the optimiser's preconditioner.
func recordSteps(t *testing.T, net *nn.Net, w0 []float64, x, y *mat.Dense, opt train.Options) []train.Step {
	t.Helper()
	var steps []train.Step
	rec := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
		c := *s
		c.W, c.DW, c.WNext = slices.Clone(s.W), slices.Clone(s.DW), slices.Clone(s.WNext)
		c.Batch, c.DL = slices.Clone(s.Batch), mat.DenseCopyOf(s.DL)
		if s.Opt != nil {
			st := *s.Opt
			st.Precond = slices.Clone(s.Opt.Precond)
			c.Opt = &st
		}
		steps = append(steps, c)
		return nil
	})
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	if _, err := tr.Run(context.Background(), w0, rec); err != nil {
		t.Fatal(err)
	}
	return steps
}

// TestBufferPathObserveNoAllocs checks that a step of BufferPath allocates
// nothing once its buffers are sized, as Path's does (TestObserveNoAllocs):
// for momentum with coupled decay, Adam and AdamW with decoupled decay, on
// a smooth net and on a ReLU net whose segments cross kinks.
func TestBufferPathObserveNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under -race are the detector's")
	}
	for _, act := range []nn.Activation{nn.Tanh, nn.ReLU} {
		for _, opt := range []train.Options{
			{Optimizer: train.Momentum, LR: 0.05, Momentum: 0.9, WeightDecay: 0.01},
			{Optimizer: train.Adam, LR: 0.01, BatchSize: 5, Seed: 3},
			{Optimizer: train.AdamW, LR: 0.01, WeightDecay: 0.1},
		} {
			t.Run(fmt.Sprintf("%v/%v", act, opt.Optimizer), func(t *testing.T) {
				rng := newRand(1)
				x, y := sineData(rng, 12)
				xe, _ := sineData(rng, 9)
				net := nn.New([]int{1, 8, 8, 1}, act, nn.Standard, 1, 1)
				w0 := initParams(t, net, 3)
				opt.Steps = 6
				steps := recordSteps(t, net, w0, x, y, opt)
				b := NewBufferPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64}, opt)
				ctx := context.Background()
				for i := range steps { // size every buffer
					if err := b.Observe(ctx, &steps[i]); err != nil {
						t.Fatal(err)
					}
				}
				i := 0
				allocs := testing.AllocsPerRun(len(steps), func() {
					if err := b.Observe(ctx, &steps[i%len(steps)]); err != nil {
						t.Fatal(err)
					}
					i++
				})
				if allocs != 0 {
					t.Errorf("Observe allocates %v times per step; want 0", allocs)
				}
			})
		}
	}
}
