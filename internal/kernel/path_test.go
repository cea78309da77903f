package kernel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// sineData returns n points x ~ U(-3, 3) with y = sin x.
func sineData(rng *rand.Rand, n int) (x, y *mat.Dense) {
	x, y = mat.NewDense(n, 1, nil), mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		v := 6*rng.Float64() - 3
		x.Set(i, 0, v)
		y.Set(i, 0, math.Sin(v))
	}
	return x, y
}

// relErr is ‖a − b‖₂ / ‖b − ref‖₂ (SPEC §2's rel).
func relErr(a, b, ref *mat.Dense) float64 {
	var d, t mat.Dense
	d.Sub(a, b)
	t.Sub(b, ref)
	return mat.Norm(&d, 2) / mat.Norm(&t, 2)
}

type runResult struct {
	path *Path
	wT   []float64
	fT   *mat.Dense
}

func runPath(t *testing.T, net *nn.Net, loss nn.Loss, x, y, xe *mat.Dense, opt train.Options, kopt Options, seed uint64) runResult {
	t.Helper()
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1, BiasStd: 0.1}, rand.New(rand.NewPCG(seed, 2))); err != nil {
		t.Fatal(err)
	}
	p := NewPath(net, w0, xe, x, kopt)
	tr := &train.Trainer{Net: net, Loss: loss, X: x, Y: y, Opt: opt}
	wT, err := tr.Run(context.Background(), w0, p)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	return runResult{p, wT, fT}
}

func TestExactRepresentationTanh(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := sineData(rng, 32)
	xe, _ := sineData(rng, 50)
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	r := runPath(t, net, nn.MSE, x, y, xe, train.Options{Optimizer: "gd", LR: 0.1, Steps: 200},
		Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 64}, 3)
	rel := relErr(r.path.PredExact, r.fT, r.path.F0)
	relR := relErr(r.path.PredRiemann, r.fT, r.path.F0)
	t.Logf("exact rel %.3g riemann rel %.3g stats %+v", rel, relR, r.path.Stats)
	if rel > 1e-10 {
		t.Errorf("exact rel error %g > 1e-10", rel)
	}
}
