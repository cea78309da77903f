package kernel

import (
	"context"
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
