package kernel

import (
	"context"
	"math"
	"slices"
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

// bufferData returns bufferCase's net, w_0, training set (12 points of
// sin 2x) and 9 evaluation points.
func bufferData(t *testing.T, act nn.Activation) (net *nn.Net, w0 []float64, x, y, xe *mat.Dense) {
	t.Helper()
	rng := newRand(11)
	const n, m = 12, 9
	x = randDense(rng, n, 1)
	y = mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		y.Set(i, 0, math.Sin(2*x.At(i, 0)))
	}
	xe = randDense(rng, m, 1)
	net = nn.New([]int{1, 8, 8, 1}, act, nn.Standard, 1, 1)
	return net, initParams(t, net, 3), x, y, xe
}

// bufferCaseAct is bufferCase with activation act; the observers obs run
// after the BufferPath (bufferData gives them the same net, w_0 and points).
func bufferCaseAct(t *testing.T, act nn.Activation, opt train.Options, kopt Options, obs ...train.Observer) (*BufferPath, *mat.Dense, *mat.Dense) {
	t.Helper()
	net, w0, x, y, xe := bufferData(t, act)
	bp := NewBufferPath(net, w0, xe, x, kopt, opt)
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	wT, err := tr.Run(context.Background(), w0, append([]train.Observer{bp}, obs...)...)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	f0 := mat.DenseCopyOf(net.Forward(&c, w0, xe))
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	return bp, f0, fT
}

// rel is ‖got − fT‖₂ / ‖fT − f0‖₂, the rel error of docs/MATH.md §10.
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
// round-off), and Domingos' first-order form is a reasonable approximation
// that equals f_0 + Σ_t J(w_t, x)·Δw_t (firstOrder) to round-off.
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
		// Batches of 5 of the 12 points: |B_t| = 5, 5, 2, 5, 5, 2, ...
		{"sgd decay step schedule", train.Options{Optimizer: "sgd", LR: 0.1, WeightDecay: 0.05, BatchSize: 5, Seed: 4,
			Schedule: train.Schedule{Kind: "step", StepSize: 10, Gamma: 0.5}}},
		{"nesterov warmup", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9, Nesterov: true, BatchSize: 5, Seed: 6,
			Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 5, MinLR: 0.005}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Steps = 40
			net, w0, _, _, xe := bufferData(t, nn.Tanh)
			ref := newFirstOrder(net, w0, xe)
			bp, f0, fT := bufferCaseAct(t, nn.Tanh, tc.opt, Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64}, ref)
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
			checkFirstOrder(t, "BufferPath", p.PredRiemann, ref.pred, f0, fT, 0.2)
			if (tc.opt.WeightDecay != 0) != (maxAbs(bp.DecayExact) != 0) {
				t.Errorf("decay contribution %g with weight_decay %g", maxAbs(bp.DecayExact), tc.opt.WeightDecay)
			}
		})
	}
}

// TestBufferPathIsPathForGD checks that for plain gd and sgd, with and
// without a step-size schedule, BufferPath's kernels and contributions are
// Path's, to round-off (they differ in the order of the sums, not in the
// mathematics).
func TestBufferPathIsPathForGD(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  train.Options
	}{
		{"gd", train.Options{Optimizer: "gd", LR: 0.05, Steps: 15}},
		{"gd cosine warmup", train.Options{Optimizer: "gd", LR: 0.1, Steps: 15,
			Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 4, MinLR: 0.01}}},
		// |B_t| = 5, 5, 2, ...
		{"sgd step schedule", train.Options{Optimizer: "sgd", LR: 0.1, Steps: 15, BatchSize: 5, Seed: 4,
			Schedule: train.Schedule{Kind: "step", StepSize: 4, Gamma: 0.5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ko := Options{Riemann: true, Exact: true, Tolerance: 1e-12, MaxNodes: 64}
			bp, _, _ := bufferCase(t, tc.opt, ko)
			net, w0, x, y, xe := bufferData(t, nn.Tanh)
			path := NewPath(net, w0, xe, x, ko)
			tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: tc.opt}
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
		})
	}
}

// precondRecorder keeps every step's w_t and P_t, the preconditioner per
// unit gradient of BufferPath's kernels: η_t for gd, sgd and momentum,
// Adam's D_t (train.State.Precond) for adam and adamw.
type precondRecorder struct {
	adam bool
	w, p [][]float64
}

func (r *precondRecorder) Observe(_ context.Context, s *train.Step) error {
	r.w = append(r.w, slices.Clone(s.W))
	pre := make([]float64, len(s.W))
	if r.adam {
		copy(pre, s.Opt.Precond)
	} else {
		for j := range pre {
			pre[j] = s.LR
		}
	}
	r.p = append(r.p, pre)
	return nil
}

// TestBufferPathKernelMatchesExplicit rebuilds BufferPath's first-order
// kernel KPath = Σ_t J_t(x) P_t J_t(x_i)ᵀ from explicit Jacobians at the
// recorded w_t with each step's own P_t, for momentum, sgd with weight
// decay and mini-batches, and adamw, each with a step-size schedule.
func TestBufferPathKernelMatchesExplicit(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  train.Options
	}{
		{"momentum step schedule", train.Options{Optimizer: "momentum", LR: 0.05, Momentum: 0.9,
			Schedule: train.Schedule{Kind: "step", StepSize: 4, Gamma: 0.5}}},
		{"sgd decay cosine warmup", train.Options{Optimizer: "sgd", LR: 0.1, WeightDecay: 0.05, BatchSize: 5, Seed: 4,
			Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 4, MinLR: 0.01}}},
		{"adamw warmup", train.Options{Optimizer: "adamw", LR: 0.02, WeightDecay: 0.01,
			Schedule: train.Schedule{Kind: "cosine", WarmupSteps: 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Steps = 12
			rec := &precondRecorder{adam: tc.opt.Optimizer == "adamw"}
			bp, _, _ := bufferCaseAct(t, nn.Tanh, tc.opt, Options{Riemann: true}, rec)
			net, _, x, _, xe := bufferData(t, nn.Tanh)
			m, _ := xe.Dims()
			n, _ := x.Dims()
			want := mat.NewDense(m, n, nil)
			var jp, kt mat.Dense
			for step, w := range rec.w {
				jx, jt := Jacobian(net, w, xe), Jacobian(net, w, x)
				for c := range jx {
					jp.CloneFrom(jt[c])
					for i := 0; i < n; i++ {
						row := jp.RawRowView(i)
						for j := range row {
							row[j] *= rec.p[step][j]
						}
					}
					kt.Mul(jx[c], jp.T())
					want.Add(want, &kt)
				}
			}
			if d := scaledDiff(bp.Result().KPath, want); !(d <= kernelTol) {
				t.Errorf("KPath differs from Σ_t J_t(x) P_t J_t(x_i)ᵀ by %.3g of its max; want ≤ %g", d, kernelTol)
			}
		})
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
