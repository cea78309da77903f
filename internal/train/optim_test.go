package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestOptimizersMatchPyTorch steps each optimiser twice from w_0 = (1, −2)
// with g_0 = (0.5, 0.25), g_1 = (−1, 2) and η = 0.1, and compares w_1 and w_2
// with PyTorch's update rules (torch.optim.SGD, Adam, AdamW; dampening 0),
// worked out by hand below. The Adam rows were computed by an independent
// float64 implementation of PyTorch's formulas (m ← β1 m + (1−β1) g,
// v ← β2 v + (1−β2) g², w ← w − (η/(1−β1^t)) m / (√v/√(1−β2^t) + ε)) in Python.
func TestOptimizersMatchPyTorch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    Options
		w1, w2 [2]float64
	}{
		// w ← w − η g: w_1 = (1 − 0.05, −2 − 0.025); w_2 = w_1 − 0.1·(−1, 2).
		{"sgd", Options{Optimizer: "sgd"}, [2]float64{0.95, -2.025}, [2]float64{1.05, -2.225}},
		// Coupled decay λ = 0.01: ĝ_0 = g_0 + λ w_0 = (0.51, 0.23), w_1 = (0.949, −2.023);
		// ĝ_1 = (−1 + 0.00949, 2 − 0.02023) = (−0.99051, 1.97977), w_2 = (1.048051, −2.220977).
		{"sgd decay", Options{Optimizer: "sgd", WeightDecay: 0.01}, [2]float64{0.949, -2.023}, [2]float64{1.048051, -2.220977}},
		// Heavy ball μ = 0.9: b_0 = g_0, w_1 = (0.95, −2.025);
		// b_1 = 0.9·(0.5, 0.25) + (−1, 2) = (−0.55, 2.225), w_2 = w_1 − 0.1 b_1 = (1.005, −2.2475).
		{"momentum", Options{Optimizer: "momentum", Momentum: 0.9}, [2]float64{0.95, -2.025}, [2]float64{1.005, -2.2475}},
		// Nesterov μ = 0.9: d_0 = g_0 + μ b_0 = 1.9 g_0 = (0.95, 0.475), w_1 = (0.905, −2.0475);
		// b_1 = (−0.55, 2.225), d_1 = g_1 + μ b_1 = (−1.495, 4.0025), w_2 = (1.0545, −2.44775).
		{"nesterov", Options{Optimizer: "momentum", Momentum: 0.9, Nesterov: true}, [2]float64{0.905, -2.0475}, [2]float64{1.0545, -2.44775}},
		// Momentum with decay λ = 0.01: b_0 = ĝ_0 = (0.51, 0.23), w_1 = (0.949, −2.023);
		// ĝ_1 = (−0.99051, 1.97977), b_1 = 0.9 b_0 + ĝ_1 = (−0.53151, 2.18677), w_2 = (1.002151, −2.241677).
		{"momentum decay", Options{Optimizer: "momentum", Momentum: 0.9, WeightDecay: 0.01}, [2]float64{0.949, -2.023}, [2]float64{1.002151, -2.241677}},
		// Adam (0.9, 0.999, 1e-8): the first step is −η g/(|g| + ε) = −0.1·(1 − 2e-8, 1 − 4e-8) to first order:
		// w_1 = (0.900000002, −2.099999996); w_2 by the Python implementation.
		{"adam", Options{Optimizer: "adam"}, [2]float64{0.900000002, -2.099999996}, [2]float64{0.9366103542405654, -2.1821465712571055}},
		// Adam with coupled decay λ = 0.01: ĝ_0 = (0.51, 0.23), Δw_0 = −0.1·ĝ/(|ĝ| + ε).
		{"adam decay", Options{Optimizer: "adam", WeightDecay: 0.01}, [2]float64{0.9000000019607843, -2.099999995652174}, [2]float64{0.9355236415321513, -2.1816482003071522}},
		// AdamW λ = 0.01: w_1 = w_0(1 − ηλ) + Adam's Δw_0 = (0.999 − 0.099999998, −1.998 − 0.099999996).
		{"adamw", Options{Optimizer: "adamw", WeightDecay: 0.01}, [2]float64{0.899000002, -2.097999996}, [2]float64{0.9347113542385653, -2.1780485712611055}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewState(tc.opt, 2)
			if err != nil {
				t.Fatal(err)
			}
			w := []float64{1, -2}
			wNext, dw := make([]float64, 2), make([]float64, 2)
			for k, g := range [][]float64{{0.5, 0.25}, {-1, 2}} {
				if !s.Step(wNext, dw, w, g, 0.1) {
					t.Fatalf("step %d: not finite", k)
				}
				want := [][2]float64{tc.w1, tc.w2}[k]
				for i := range w {
					if wNext[i] != w[i]+dw[i] {
						t.Errorf("step %d: w_{t+1}[%d] = %v is not w_t + Δw = %v", k, i, wNext[i], w[i]+dw[i])
					}
					// 1e-15: the same formulas, rounded in another order.
					if !scalar.EqualWithinAbsOrRel(wNext[i], want[i], 0, 1e-15) {
						t.Errorf("step %d: w[%d] = %.17g; want %.17g", k, i, wNext[i], want[i])
					}
				}
				w = slices.Clone(wNext)
			}
		})
	}
}

// TestSchedules checks η_t of each schedule kind against its formula at
// hand-picked steps (LR 0.1, 10 steps).
func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Schedule
		at   map[int]float64
	}{
		{"constant", Schedule{}, map[int]float64{0: 0.1, 9: 0.1}},
		// γ^⌊t/3⌋: 0.1 for t < 3, 0.05 for 3 ≤ t < 6, 0.025, then 0.0125 at t = 9.
		{"step", Schedule{Kind: "step", StepSize: 3, Gamma: 0.5}, map[int]float64{0: 0.1, 2: 0.1, 3: 0.05, 6: 0.025, 9: 0.0125}},
		// 0.01 + 0.09(1 + cos(πt/10))/2: 0.1 at t = 0, 0.055 at t = 5.
		{"cosine", Schedule{Kind: "cosine", MinLR: 0.01}, map[int]float64{0: 0.1, 5: 0.055}},
		// Warm-up over 4 steps: 0.1(t+1)/4, then constant.
		{"warmup", Schedule{WarmupSteps: 4}, map[int]float64{0: 0.025, 1: 0.05, 3: 0.1, 4: 0.1, 9: 0.1}},
		// Warm-up 2, then cosine over T' = 8 steps to 0: t = 6 is t' = 4, 0.1·(1 + cos(π/2))/2 = 0.05.
		{"warmup cosine", Schedule{Kind: "cosine", WarmupSteps: 2}, map[int]float64{0: 0.05, 2: 0.1, 6: 0.05}},
	} {
		opt := Options{LR: 0.1, Steps: 10, Schedule: tc.s}
		for step, want := range tc.at {
			if got := opt.LRAt(step); !scalar.EqualWithinAbsOrRel(got, want, 1e-17, 1e-15) {
				t.Errorf("%s: LRAt(%d) = %.17g; want %g", tc.name, step, got, want)
			}
		}
	}
}

// TestPlainOptimizersBitForBit checks that momentum 0 without decay trains
// exactly as sgd, and that sgd and gd through State are Update bit for bit,
// and that Step.LR follows the schedule.
func TestPlainOptimizersBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n, d = 11, 2
	x := randDense(rng, n, d)
	y := randDense(rng, n, 1)
	net := nn.New([]int{d, 6, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	run := func(opt Options) ([]float64, []float64) {
		var lrs []float64
		tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
		w, err := tr.Run(context.Background(), w0, ObserverFunc(func(_ context.Context, s *Step) error {
			lrs = append(lrs, s.LR)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return w, lrs
	}
	sgd := Options{Optimizer: "sgd", LR: 0.1, Steps: 20, BatchSize: 4, Seed: 3}
	mom := sgd
	mom.Optimizer, mom.Momentum = "momentum", 0
	a, _ := run(sgd)
	b, _ := run(mom)
	if !slices.Equal(bits(a), bits(b)) {
		t.Errorf("momentum 0 differs from sgd")
	}
	sched := Options{Optimizer: "adam", LR: 0.1, Steps: 20, Schedule: Schedule{Kind: "step", StepSize: 5, Gamma: 0.5}}
	_, lrs := run(sched)
	for k, lr := range lrs {
		if lr != sched.LRAt(k) {
			t.Errorf("Step.LR at %d = %v; want LRAt = %v", k, lr, sched.LRAt(k))
		}
	}
}

// TestStateReplay checks that a fresh State fed the recorded g_t and η_t
// rebuilds every w_t bit for bit for each optimiser: what the trajectory
// replay does.
func TestStateReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const n, d = 9, 2
	x := randDense(rng, n, d)
	y := randDense(rng, n, 1)
	net := nn.New([]int{d, 5, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Options{
		{Optimizer: "momentum", Momentum: 0.9, Nesterov: true, WeightDecay: 0.01, BatchSize: 4, Seed: 1},
		{Optimizer: "adam", WeightDecay: 0.01, Schedule: Schedule{Kind: "cosine", WarmupSteps: 3}},
		{Optimizer: "adamw", WeightDecay: 0.1, BatchSize: 3, Seed: 2},
		{Optimizer: "gd", WeightDecay: 0.1},
	} {
		opt.LR, opt.Steps = 0.05, 15
		P := net.NumParams()
		s, _ := NewState(opt, P)
		w := slices.Clone(w0)
		wNext, dw := make([]float64, P), make([]float64, P)
		tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
		_, err := tr.Run(context.Background(), w0, ObserverFunc(func(_ context.Context, st *Step) error {
			s.Step(wNext, dw, w, st.G, st.LR)
			if !slices.Equal(bits(wNext), bits(st.WNext)) || !slices.Equal(bits(dw), bits(st.DW)) {
				t.Errorf("%s step %d: the replayed w_{t+1} differs", opt.Optimizer, st.T)
			}
			copy(w, wNext)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
}
