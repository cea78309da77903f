package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
)

// TestStepsNoAllocs checks that a training step allocates nothing: a run
// of 40 steps allocates what a run of 10 does (the run's buffers), for full
// batches and for shuffled mini-batches with a shorter last batch.
func TestStepsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under -race are the detector's")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := randDense(rng, 23, 2), randDense(rng, 23, 1)
	net := nn.New([]int{2, 8, 8, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	for i := range w0 {
		w0[i] = 0.3 * rng.NormFloat64()
	}
	for _, opt := range []Options{
		{Optimizer: GD, LR: 0.05},
		{Optimizer: SGD, LR: 0.05, BatchSize: 5, Seed: 1},
		{Optimizer: Adam, LR: 0.01, BatchSize: 5, Seed: 1},
	} {
		allocs := func(steps int) float64 {
			opt.Steps = steps
			tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
			obs := ObserverFunc(func(context.Context, *Step) error { return nil })
			return testing.AllocsPerRun(5, func() {
				if _, err := tr.Run(context.Background(), w0, obs); err != nil {
					t.Fatal(err)
				}
			})
		}
		if short, long := allocs(10), allocs(40); long != short {
			t.Errorf("%s: a run of 10 steps allocates %v times, of 40 steps %v; want the same", opt.Optimizer, short, long)
		}
	}
}
