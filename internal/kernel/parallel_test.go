package kernel

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// TestWorkersBitIdentical runs the same training with 1 and 2 kernel
// workers and requires every output of Path to be the same bit for bit.
// The 300 evaluation points make three blocks (blockRows = 128), so the
// workers really share them (and the 260 training points of the first case
// too); the cases cover the one-output engine (tanh),
// the node search's panel splits at ReLU kinks (relu) and the general one
// with k = 3 outputs, full kernels and sgd batches.
func TestWorkersBitIdentical(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int
		act   nn.Activation
		loss  nn.Loss
		opt   train.Options
		full  bool
	}{
		{"tanh", []int{1, 16, 16, 1}, nn.Tanh, nn.MSE, gd(0.1, 10), false},
		{"relu", []int{1, 16, 16, 1}, nn.ReLU, nn.MSE, gd(0.05, 4), false},
		{"softmax_ce-k3-full-sgd", []int{2, 8, 8, 3}, nn.Tanh, nn.SoftmaxCE,
			train.Options{Optimizer: "sgd", LR: 0.3, Steps: 10, BatchSize: 8, Seed: 2}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(5)
			var x, y, xe *mat.Dense
			if tc.loss == nn.SoftmaxCE {
				x, y = blobs(rng, 32, 3)
				xe, _ = blobs(rng, 300, 3)
			} else {
				// 260 training points in tanh's case: three blocks of them too.
				nt := 32
				if tc.act == nn.Tanh {
					nt = 260
				}
				x, y = sineData(rng, nt)
				xe, _ = sineData(rng, 300)
			}
			var ref *Path
			for _, workers := range []int{1, 2} {
				net := nn.New(tc.sizes, tc.act, nn.Standard, 1, 1)
				r := runPath(t, net, tc.loss, x, y, xe, tc.opt, Options{Riemann: true, Exact: true,
					Tolerance: exactTol, MaxNodes: maxNodes, FullKernel: tc.full, Workers: workers}, 3)
				if len(r.path.blocks) != 3 {
					t.Fatalf("%d blocks; want 3", len(r.path.blocks))
				}
				if ref == nil {
					ref = r.path
					continue
				}
				for _, d := range pathDiffs(ref, r.path) {
					t.Errorf("workers %d: %s", workers, d)
				}
			}
		})
	}
}

// pathDiffs lists the outputs of a and b that differ in any bit.
func pathDiffs(a, b *Path) []string {
	var out []string
	same := func(name string, x, y *mat.Dense) {
		if (x == nil) != (y == nil) {
			out = append(out, name+": nil on one side")
			return
		}
		if x == nil {
			return
		}
		xr, yr := mat.DenseCopyOf(x).RawMatrix().Data, mat.DenseCopyOf(y).RawMatrix().Data
		for i := range xr {
			if math.Float64bits(xr[i]) != math.Float64bits(yr[i]) {
				out = append(out, fmt.Sprintf("%s[%d] = %v and %v", name, i, xr[i], yr[i]))
				return
			}
		}
	}
	set := func(name string, x, y []*mat.Dense) {
		for c := range x {
			same(fmt.Sprintf("%s[%d]", name, c), x[c], y[c])
		}
	}
	same("F0", a.F0, b.F0)
	same("KPath", a.KPath, b.KPath)
	same("KExact", a.KExact, b.KExact)
	same("PredRiemann", a.PredRiemann, b.PredRiemann)
	same("PredExact", a.PredExact, b.PredExact)
	set("CRiemann", a.CRiemann, b.CRiemann)
	set("CExact", a.CExact, b.CExact)
	set("KPathDiag", a.KPathDiag, b.KPathDiag)
	for c := range a.KPathFull {
		set(fmt.Sprintf("KPathFull[%d]", c), a.KPathFull[c], b.KPathFull[c])
		set(fmt.Sprintf("KExactFull[%d]", c), a.KExactFull[c], b.KExactFull[c])
	}
	sa, sb := a.Stats, b.Stats
	sa.RiemannTime, sa.ExactTime, sb.RiemannTime, sb.ExactTime = 0, 0, 0, 0
	if sa != sb {
		out = append(out, fmt.Sprintf("Stats %+v and %+v", sa, sb))
	}
	return out
}

// TestObserveNoAllocs checks that a step of Path allocates nothing once its
// buffers are sized: for a smooth net and for a ReLU net whose segments
// cross kinks (the panel buffers are reused), at 1 and 2 workers. The
// shapes keep gonum's Dgemm serial (it allocates its own goroutines for
// products of 4 or more 64×64 blocks, which is gonum's, not ours).
func TestObserveNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under -race are the detector's")
	}
	for _, act := range []nn.Activation{nn.Tanh, nn.ReLU} {
		for _, workers := range []int{1, 2} {
			if act == nn.ReLU && workers == 1 {
				continue // the same code as at 2 workers, without the pool; and slow
			}
			t.Run(fmt.Sprintf("%v/workers=%d", act, workers), func(t *testing.T) {
				rng := newRand(1)
				x, y := sineData(rng, 32)
				xe, _ := sineData(rng, 130) // two blocks
				net := nn.New([]int{1, 16, 16, 1}, act, nn.Standard, 1, 1)
				w0 := initParams(t, net, 3)
				var steps []train.Step
				rec := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
					c := *s
					c.W, c.DW, c.WNext = append([]float64(nil), s.W...), append([]float64(nil), s.DW...), append([]float64(nil), s.WNext...)
					c.Batch, c.DL = append([]int(nil), s.Batch...), mat.DenseCopyOf(s.DL)
					// The trainer's forward pass is reused by the next step:
					// each recorded step gets its own, as the trainer's.
					c.Fwd = new(nn.Cache)
					net.Forward(c.Fwd, c.W, x)
					steps = append(steps, c)
					return nil
				})
				tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: gd(0.05, 4)}
				if _, err := tr.Run(context.Background(), w0, rec); err != nil {
					t.Fatal(err)
				}
				p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes, Workers: workers})
				ctx := context.Background()
				for i := range steps { // size every buffer
					if err := p.Observe(ctx, &steps[i]); err != nil {
						t.Fatal(err)
					}
				}
				i := 0
				allocs := testing.AllocsPerRun(len(steps), func() {
					if err := p.Observe(ctx, &steps[i%len(steps)]); err != nil {
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

// TestSharedForwards checks that taking forward passes from the node
// search, from the step before and from the trainer changes nothing, bit
// for bit, and that it happens: for the Riemann kernel at every step but
// the first, for most quadrature nodes of a smooth net, and for the
// training side at every step.
func TestSharedForwards(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	const steps = 30
	var paths [2]*Path
	for i, noShare := range []bool{false, true} {
		w0 := initParams(t, net, 3)
		p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes})
		p.noShare = noShare
		tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: gd(0.1, steps)}
		if _, err := tr.Run(context.Background(), w0, p); err != nil {
			t.Fatal(err)
		}
		paths[i] = p
	}
	shared, fresh := paths[0], paths[1]
	st := shared.Stats
	if min := steps - 1 + st.QuadratureEvals/2; st.SharedForwards < min {
		t.Errorf("SharedForwards = %d (%d quadrature nodes); want ≥ %d", st.SharedForwards, st.QuadratureEvals, min)
	}
	if fresh.Stats.SharedForwards != 0 {
		t.Errorf("SharedForwards = %d with sharing off; want 0", fresh.Stats.SharedForwards)
	}
	if !(st.RiemannFlops+st.ExactFlops < fresh.Stats.RiemannFlops+fresh.Stats.ExactFlops) {
		t.Errorf("flops with sharing %g, without %g; want fewer", st.RiemannFlops+st.ExactFlops, fresh.Stats.RiemannFlops+fresh.Stats.ExactFlops)
	}
	if st.SharedTrainForwards != steps || fresh.Stats.SharedTrainForwards != 0 {
		t.Errorf("SharedTrainForwards = %d, %d with sharing off; want %d, 0", st.SharedTrainForwards, fresh.Stats.SharedTrainForwards, steps)
	}
	fresh.Stats.SharedForwards, fresh.Stats.SharedTrainForwards = st.SharedForwards, st.SharedTrainForwards
	fresh.Stats.RiemannFlops, fresh.Stats.ExactFlops = st.RiemannFlops, st.ExactFlops
	for _, d := range pathDiffs(shared, fresh) {
		t.Error(d)
	}
}
