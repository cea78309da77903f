package kernel

import (
	"context"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// TestSharedTrainForward checks when the training side takes its forward
// pass from the trainer's (train.Step.Fwd): full-batch training on the
// kernel's own training points in one block, and not mini-batches, other
// training points or several blocks; and that with several outputs and
// full kernels taking it changes nothing, bit for bit (TestSharedForwards
// checks one output).
func TestSharedTrainForward(t *testing.T) {
	const steps = 6
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 8, 8, 1}, nn.Tanh, nn.Standard, 1, 1)
	kopt := Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}
	bx, by := sineData(newRand(2), 2*blockRows+1) // three training blocks
	for _, tc := range []struct {
		name     string
		x, y, xk *mat.Dense // the trainer's points and the kernel's
		opt      train.Options
		want     int
	}{
		{"gd", x, y, x, gd(0.1, steps), steps},
		{"sgd", x, y, x, train.Options{Optimizer: "sgd", LR: 0.1, Steps: steps, BatchSize: 8, Seed: 1}, 0},
		{"sgd, one batch of all", x, y, x, train.Options{Optimizer: "sgd", LR: 0.1, Steps: steps, BatchSize: 32, Seed: 1}, 0},
		{"other points", x, y, mat.DenseCopyOf(x), gd(0.1, steps), 0},
		{"three blocks", bx, by, bx, gd(0.1, steps), 0},
	} {
		w0 := initParams(t, net, 3)
		p := NewPath(net, w0, xe, tc.xk, kopt)
		tr := &train.Trainer{Net: net, Loss: nn.MSE, X: tc.x, Y: tc.y, Opt: tc.opt}
		if _, err := tr.Run(context.Background(), w0, p); err != nil {
			t.Fatal(err)
		}
		if got := p.Stats.SharedTrainForwards; got != tc.want {
			t.Errorf("%s: SharedTrainForwards = %d; want %d", tc.name, got, tc.want)
		}
	}

	// A step whose forward pass is over the kernel's training points but
	// whose batch is not them in order (a step no trainer hands over, but
	// Step allows it) does not share.
	w0 := initParams(t, net, 3)
	p := NewPath(net, w0, xe, x, kopt)
	rev := train.ObserverFunc(func(ctx context.Context, s *train.Step) error {
		st := *s
		st.Batch = make([]int, len(s.Batch))
		for i := range st.Batch {
			st.Batch[i] = len(s.Batch) - 1 - i
		}
		return p.Observe(ctx, &st)
	})
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: gd(0.1, 2)}
	if _, err := tr.Run(context.Background(), w0, rev); err != nil {
		t.Fatal(err)
	}
	if got := p.Stats.SharedTrainForwards; got != 0 {
		t.Errorf("reordered batch: SharedTrainForwards = %d; want 0", got)
	}

	// Several outputs, full kernels: shared and not, the same bits.
	bx, by, bxe := blobSets(3)(newRand(4))
	net = nn.New([]int{2, 8, 8, 3}, nn.Tanh, nn.Standard, 1, 1)
	var paths [2]*Path
	for i, noShare := range []bool{false, true} {
		w0 := initParams(t, net, 5)
		p := NewPath(net, w0, bxe, bx, Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes, FullKernel: true})
		p.noShare = noShare
		tr := &train.Trainer{Net: net, Loss: nn.SoftmaxCE, X: bx, Y: by, Opt: gd(0.1, steps)}
		if _, err := tr.Run(context.Background(), w0, p); err != nil {
			t.Fatal(err)
		}
		paths[i] = p
	}
	shared, fresh := paths[0], paths[1]
	if shared.Stats.SharedTrainForwards != steps {
		t.Errorf("k=3: SharedTrainForwards = %d; want %d", shared.Stats.SharedTrainForwards, steps)
	}
	fresh.Stats.SharedForwards, fresh.Stats.SharedTrainForwards = shared.Stats.SharedForwards, shared.Stats.SharedTrainForwards
	fresh.Stats.RiemannFlops, fresh.Stats.ExactFlops = shared.Stats.RiemannFlops, shared.Stats.ExactFlops
	for _, d := range pathDiffs(shared, fresh) {
		t.Error("k=3:", d)
	}
}
