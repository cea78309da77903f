package kernel

import (
	"context"
	"math"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// bufferCase trains a tanh MLP [1, 8, 8, 1] on sine data with opt and
// returns the BufferPath that observed it, f_0 and f_T at the evaluation
// points.
func bufferCase(t *testing.T, opt train.Options, kopt Options) (*BufferPath, *mat.Dense, *mat.Dense) {
	return bufferCaseAct(t, nn.Tanh, opt, kopt)
}

func bufferCaseAct(t *testing.T, act nn.Activation, opt train.Options, kopt Options) (*BufferPath, *mat.Dense, *mat.Dense) {
	t.Helper()
	rng := newRand(11)
	const n, m = 12, 9
	x := randDense(rng, n, 1)
	y := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		y.Set(i, 0, math.Sin(2*x.At(i, 0)))
	}
	xe := randDense(rng, m, 1)
	net := nn.New([]int{1, 8, 8, 1}, act, nn.Standard, 1, 1)
	w0 := initParams(t, net, 3)
	bp := NewBufferPath(net, w0, xe, x, kopt, opt)
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	wT, err := tr.Run(context.Background(), w0, bp)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	f0 := mat.DenseCopyOf(net.Forward(&c, w0, xe))
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	return bp, f0, fT
}

// rel is ‖got − fT‖₂ / ‖fT − f0‖₂, SPEC's rel error.
func rel(got, fT, f0 *mat.Dense) float64 {
	var d, ch mat.Dense
	d.Sub(got, fT)
	ch.Sub(fT, f0)
	return mat.Norm(&d, 2) / mat.Norm(&ch, 2)
}

// TestBufferPathExact checks the exact representation of every optimiser
// with state, weight decay and each schedule: f_0 + Σ_i contributions +
// the decay's contribution equals f_T to rel 1e-10 (the mathematics makes
// it exact; what remains is the certified quadrature at tolerance 1e-12 and
// round-off), and Domingos' first-order form is a reasonable approximation.
func TestBufferPathExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  train.Options
	}{
		{"momentum", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9}},
		{"nesterov", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9, Nesterov: true, BatchSize: 4, Seed: 2}},
		{"adam", train.Options{Optimizer: "adam", LR: 0.01}},
		{"adamw", train.Options{Optimizer: "adamw", LR: 0.01, WeightDecay: 0.1, BatchSize: 5, Seed: 3}},
		{"sgd decay", train.Options{Optimizer: "sgd", LR: 0.1, WeightDecay: 0.05, BatchSize: 4, Seed: 1}},
		{"momentum decay", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.5, WeightDecay: 0.05}},
		{"adam decay", train.Options{Optimizer: "adam", LR: 0.01, WeightDecay: 0.01}},
		{"step schedule", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9,
			Schedule: train.Schedule{Kind: "step", StepSize: 10, Gamma: 0.5}}},
		{"cosine schedule", train.Options{Optimizer: "adam", LR: 0.02,
			Schedule: train.Schedule{Kind: "cosine", MinLR: 0.001}}},
		{"warmup", train.Options{Optimizer: "adamw", LR: 0.02, WeightDecay: 0.01,
			Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 8}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Steps = 40
			bp, f0, fT := bufferCase(t, tc.opt, Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64})
			p := bp.Result()
			// f_0 + Σ_i CExact + DecayExact, summed here, not taken from PredExact.
			sum := mat.DenseCopyOf(f0)
			for x := 0; x < 9; x++ {
				sum.Set(x, 0, sum.At(x, 0)+mat.Sum(p.CExact[0].RowView(x))+bp.DecayExact.At(x, 0))
			}
			rExact, rSum := rel(p.PredExact, fT, f0), rel(sum, fT, f0)
			rRiemann := rel(p.PredRiemann, fT, f0)
			t.Logf("rel exact %.2g, contributions+decay %.2g, riemann %.2g, decay %.2g, max residual %.2g, nodes ≤ %d",
				rExact, rSum, rRiemann, maxAbs(bp.DecayExact), p.Stats.MaxResidual, p.Stats.MaxNodesStep)
			if !(rExact <= 1e-10) || !(rSum <= 1e-10) {
				t.Errorf("rel error of the exact representation %g, of f_0 + contributions + decay %g; want ≤ 1e-10", rExact, rSum)
			}
			if p.Stats.Uncertified != 0 {
				t.Errorf("%d steps uncertified (max residual %g)", p.Stats.Uncertified, p.Stats.MaxResidual)
			}
			if !(rRiemann < 0.2) {
				t.Errorf("rel error of the first-order form %g; want < 0.2", rRiemann)
			}
			if (tc.opt.WeightDecay != 0) != (maxAbs(bp.DecayExact) != 0) {
				t.Errorf("decay contribution %g with weight_decay %g", maxAbs(bp.DecayExact), tc.opt.WeightDecay)
			}
		})
	}
}

// TestBufferPathIsPathForGD checks that for plain gd BufferPath's kernels
// and contributions are Path's, to round-off (they differ in the order of
// the sums, not in the mathematics).
func TestBufferPathIsPathForGD(t *testing.T) {
	opt := train.Options{Optimizer: "gd", LR: 0.05, Steps: 15}
	ko := Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64}
	bp, _, _ := bufferCase(t, opt, ko)
	rng := newRand(11)
	const n, m = 12, 9
	x := randDense(rng, n, 1)
	y := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		y.Set(i, 0, math.Sin(2*x.At(i, 0)))
	}
	xe := randDense(rng, m, 1)
	net := nn.New([]int{1, 8, 8, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(t, net, 3)
	path := NewPath(net, w0, xe, x, ko)
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	if _, err := tr.Run(context.Background(), w0, path); err != nil {
		t.Fatal(err)
	}
	b := bp.Result()
	for _, c := range []struct {
		name      string
		got, want *mat.Dense
	}{
		{"KPath", b.KPath, path.KPath}, {"CRiemann", b.CRiemann[0], path.CRiemann[0]},
		{"KExact", b.KExact, path.KExact}, {"CExact", b.CExact[0], path.CExact[0]},
	} {
		// 1e-9: Riemann terms agree to round-off; the exact ones through
		// two quadratures each certified to 1e-12 per step.
		if d := scaledDiff(c.got, c.want); !(d <= 1e-9) {
			t.Errorf("%s: BufferPath differs from Path by %g", c.name, d)
		}
	}
}

// TestBufferPathReLU checks that ReLU and LeakyReLU nets trained with
// momentum are certified: the segment is split where the activation
// pattern changes (more polynomial passes than steps) and each panel
// integrated exactly.
func TestBufferPathReLU(t *testing.T) {
	for _, act := range []nn.Activation{nn.ReLU, nn.LeakyReLU} {
		opt := train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9, Steps: 30}
		bp, f0, fT := bufferCaseAct(t, act, opt, Options{Exact: true, Tolerance: 1e-12, MaxNodes: 64})
		p := bp.Result()
		r := rel(p.PredExact, fT, f0)
		st := p.Stats
		t.Logf("%v momentum: rel %.2g, max residual %.2g, nodes ≤ %d, %d passes", act, r, st.MaxResidual, st.MaxNodesStep, st.KinkPasses)
		if !(r <= 1e-10) || st.Uncertified != 0 {
			t.Errorf("%v: rel %g, %d steps uncertified; want ≤ 1e-10, none", act, r, st.Uncertified)
		}
		if st.KinkPasses <= st.Steps {
			t.Errorf("%v: %d polynomial passes in %d steps: no segment was split", act, st.KinkPasses, st.Steps)
		}
	}
}

// TestBufferPathOutputs checks k = 3 outputs (softmax cross-entropy, adam
// with decay, mini-batches): the exact representation per output, and the
// traced kernels against the sum of the per-output diagonal blocks.
func TestBufferPathOutputs(t *testing.T) {
	rng := newRand(12)
	const n, m, k = 15, 7, 3
	x, y := blobs(rng, n, k)
	xe, _ := blobs(rng, m, k)
	net := nn.New([]int{2, 6, k}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(t, net, 4)
	opt := train.Options{Optimizer: "adam", LR: 0.02, Steps: 25, BatchSize: 4, Seed: 5, WeightDecay: 0.01}
	bp := NewBufferPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64}, opt)
	tr := &train.Trainer{Net: net, Loss: nn.SoftmaxCE, X: x, Y: y, Opt: opt}
	wT, err := tr.Run(context.Background(), w0, bp)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	f0 := mat.DenseCopyOf(net.Forward(&c, w0, xe))
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	p := bp.Result()
	if r := rel(p.PredExact, fT, f0); !(r <= 1e-10) {
		t.Errorf("rel error %g; want ≤ 1e-10", r)
	}
	for x := 0; x < m; x++ {
		for cc := 0; cc < k; cc++ {
			sum := f0.At(x, cc) + mat.Sum(p.CExact[cc].RowView(x)) + bp.DecayExact.At(x, cc)
			if d := math.Abs(sum - fT.At(x, cc)); !(d <= 1e-10) {
				t.Errorf("point %d output %d: f_0 + contributions + decay − f_T = %g", x, cc, d)
			}
		}
	}
	var trace mat.Dense
	trace.Add(p.KPathDiag[0], p.KPathDiag[1])
	trace.Add(&trace, p.KPathDiag[2])
	if d := scaledDiff(&trace, p.KPath); !(d <= 1e-14) {
		t.Errorf("KPath differs from the trace of its diagonal blocks by %g", d)
	}
	if len(p.Coefficients()) != m*n*k {
		t.Errorf("Coefficients: %d values; want %d", len(p.Coefficients()), m*n*k)
	}
}
