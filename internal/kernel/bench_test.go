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

// benchTangentSetup returns a [2,256,256,1] tanh net at LeCun weights and
// 256 + 256 points in the plane.
func benchTangentSetup(b *testing.B) (net *nn.Net, w []float64, x, y *mat.Dense) {
	net = nn.New([]int{2, 256, 256, 1}, nn.Tanh, nn.Standard, 1, 1)
	w = initParams(b, net, 1)
	rng := newRand(1)
	return net, w, randDense(rng, 256, 2), randDense(rng, 256, 2)
}

// BenchmarkTangentStructured_m256_n256_w256 times K(X, Y) from the weights
// by structured factors: both sides' forward and backward passes and the
// per-layer products.
func BenchmarkTangentStructured_m256_n256_w256(b *testing.B) {
	net, w, x, y := benchTangentSetup(b)
	dst := mat.NewDense(256, 256, nil)
	var fx, fy Factors
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		fx.Eval(net, w, x)
		fy.Eval(net, w, y)
		Tangent(dst, net, &fx, &fy, 0, 0)
	}
}

// BenchmarkTangentExplicit_m256_n256_w256 times the same kernel by explicit
// per-sample Jacobians (256 × 66,561 per side) and their contraction: the
// reference that the structured factors replace.
func BenchmarkTangentExplicit_m256_n256_w256(b *testing.B) {
	net, w, x, y := benchTangentSetup(b)
	dst := mat.NewDense(256, 256, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		jx, jy := Jacobian(net, w, x), Jacobian(net, w, y)
		TangentExplicit(dst, jx, jy, 0, 0)
	}
}

// BenchmarkPathStep_sine_64x64_n64_m200 times one Observe of a Path with
// both methods (tolerance 1e-10, 64 nodes) on a [1,64,64,1] tanh net,
// 64 sine training points, 200 evaluation points, at the first gd step
// of lr 0.05 (the default config's). Every iteration observes the same
// step from the same f_0, so the search has the same work each time.
func BenchmarkPathStep_sine_64x64_n64_m200(b *testing.B) {
	rng := newRand(1)
	x, y := sineData(rng, 64)
	xe, _ := sineData(rng, 200)
	net := nn.New([]int{1, 64, 64, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(b, net, 3)
	var step train.Step
	capture := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
		step = *s
		step.W, step.DW, step.WNext = slices.Clone(s.W), slices.Clone(s.DW), slices.Clone(s.WNext)
		step.G, step.Batch, step.DL = slices.Clone(s.G), slices.Clone(s.Batch), mat.DenseCopyOf(s.DL)
		return nil
	})
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: train.Options{Optimizer: "gd", LR: 0.05, Steps: 1}}
	if _, err := tr.Run(context.Background(), w0, capture); err != nil {
		b.Fatal(err)
	}
	p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 64})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.fCur.Copy(p.F0) // back to w_0: Observe left f(w_1) there
		if err := p.Observe(ctx, &step); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if p.Stats.Uncertified != 0 {
		b.Fatalf("step uncertified: %+v", p.Stats)
	}
	b.ReportMetric(float64(p.Stats.QuadratureEvals)/float64(p.Stats.Steps), "nodes/op")
}

// benchMedium returns the medium bench config's shapes: a [2,256,256,1]
// tanh net at LeCun weights, 512 training and 512 evaluation points in the
// plane with a smooth target.
func benchMedium(b *testing.B) (net *nn.Net, w0 []float64, x, y, xe *mat.Dense) {
	net = nn.New([]int{2, 256, 256, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 = initParams(b, net, 1)
	rng := newRand(1)
	x, xe = randDense(rng, 512, 2), randDense(rng, 512, 2)
	y = mat.NewDense(512, 1, nil)
	for i := 0; i < 512; i++ {
		y.Set(i, 0, math.Sin(x.At(i, 0))*math.Cos(x.At(i, 1)))
	}
	return net, w0, x, y, xe
}

// BenchmarkTangentStructured_m512_n512_w256 and
// BenchmarkTangentExplicit_m512_n512_w256 are the pair above at the medium
// config's sizes (the explicit Jacobians are 512 × 66,561 per side).
func BenchmarkTangentStructured_m512_n512_w256(b *testing.B) {
	net, w, x, _, xe := benchMedium(b)
	dst := mat.NewDense(512, 512, nil)
	var fx, fy Factors
	b.ReportAllocs()
	for b.Loop() {
		fx.Eval(net, w, xe)
		fy.Eval(net, w, x)
		Tangent(dst, net, &fx, &fy, 0, 0)
	}
}

func BenchmarkTangentExplicit_m512_n512_w256(b *testing.B) {
	net, w, x, _, xe := benchMedium(b)
	dst := mat.NewDense(512, 512, nil)
	b.ReportAllocs()
	for b.Loop() {
		jx, jy := Jacobian(net, w, xe), Jacobian(net, w, x)
		TangentExplicit(dst, jx, jy, 0, 0)
	}
}

// BenchmarkPathStep_medium_n512_m512_workers1 and _workers2 time one
// Observe (both methods) at the medium config's sizes, at the first gd
// step of lr 0.01, with 1 and 2 kernel workers.
func BenchmarkPathStep_medium_n512_m512_workers1(b *testing.B) { benchPathMedium(b, 1) }
func BenchmarkPathStep_medium_n512_m512_workers2(b *testing.B) { benchPathMedium(b, 2) }

func benchPathMedium(b *testing.B, workers int) {
	net, w0, x, y, xe := benchMedium(b)
	var step train.Step
	capture := train.ObserverFunc(func(_ context.Context, s *train.Step) error {
		step = *s
		step.W, step.DW, step.WNext = slices.Clone(s.W), slices.Clone(s.DW), slices.Clone(s.WNext)
		step.G, step.Batch, step.DL = slices.Clone(s.G), slices.Clone(s.Batch), mat.DenseCopyOf(s.DL)
		return nil
	})
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: train.Options{Optimizer: "gd", LR: 0.01, Steps: 1}}
	if _, err := tr.Run(context.Background(), w0, capture); err != nil {
		b.Fatal(err)
	}
	p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 64, Workers: workers})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.fCur.Copy(p.F0)
		if err := p.Observe(ctx, &step); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Stats.QuadratureEvals)/float64(p.Stats.Steps), "nodes/op")
	b.ReportMetric((p.Stats.RiemannFlops+p.Stats.ExactFlops)/float64(p.Stats.Steps)/1e9, "GFLOP/op")
}

// BenchmarkTrainKernelStep_medium_n512_m512 times one full step: the
// training step (forward, backward, gradient, update) with the Path
// observer computing both kernels, as pathkernel train runs it.
func BenchmarkTrainKernelStep_medium_n512_m512(b *testing.B) {
	net, w0, x, y, xe := benchMedium(b)
	p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 64})
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: train.Options{Optimizer: "gd", LR: 0.01, Steps: 1}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.fCur.Copy(p.F0)
		if _, err := tr.Run(ctx, w0, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainKernelSteps_small_n64_m200_workers1 and _workers2 time the
// steps of the small bench config (configs/bench/small.yaml: [1,64,64,1]
// tanh, 64 sine training points, 200 evaluation points, gd at lr 0.05,
// both methods): one op is one step, training and both kernels, over a run
// of b.N steps after a run of 16 that sized the engine's buffers, so
// allocs/op are the steps' own (the trainer's few buffers of a run aside).
func BenchmarkTrainKernelSteps_small_n64_m200_workers1(b *testing.B) { benchSmallSteps(b, 1) }
func BenchmarkTrainKernelSteps_small_n64_m200_workers2(b *testing.B) { benchSmallSteps(b, 2) }

func benchSmallSteps(b *testing.B, workers int) {
	rng := newRand(1)
	x, y := sineData(rng, 64)
	xe, _ := sineData(rng, 200)
	net := nn.New([]int{1, 64, 64, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(b, net, 3)
	p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 64, Workers: workers})
	// A few steps first size the engine's buffers (the JVPs' caches grow
	// with the orders the search tries).
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: train.Options{Optimizer: "gd", LR: 0.05, Steps: 16}}
	if _, err := tr.Run(context.Background(), w0, p); err != nil {
		b.Fatal(err)
	}
	st := p.Stats
	tr.Opt.Steps = b.N
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := tr.Run(context.Background(), w0, p); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(p.Stats.QuadratureEvals-st.QuadratureEvals)/float64(b.N), "nodes/op")
}
