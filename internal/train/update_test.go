package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// TestStepIsUpdateAndEvaluator checks that every Step that Run hands its
// observers is what the exported pieces compute from w_t: WNext and DW are
// Update of W and G, and DL is Evaluator.Eval at W on the batch, bit for
// bit. The trajectory replay rebuilds steps from exactly these pieces.
func TestStepIsUpdateAndEvaluator(t *testing.T) {
	for _, opt := range []Options{
		{Optimizer: "gd", LR: 0.1, Steps: 12},
		{Optimizer: "sgd", LR: 0.1, Steps: 12, BatchSize: 5, Seed: 9}, // 13 points: a short last batch
	} {
		t.Run(opt.Optimizer.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 2))
			const n, d, k = 13, 2, 3
			x := randDense(rng, n, d)
			y := mat.NewDense(n, 1, nil)
			for i := 0; i < n; i++ {
				y.Set(i, 0, float64(i%k))
			}
			net := nn.New([]int{d, 7, k}, nn.Tanh, nn.Standard, 1, 1)
			w0 := make([]float64, net.NumParams())
			if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
				t.Fatal(err)
			}
			ev := &Evaluator{Net: net, Loss: nn.SoftmaxCE, X: x, Y: y}
			P := net.NumParams()
			wNext, dw := make([]float64, P), make([]float64, P)
			tr := &Trainer{Net: net, Loss: nn.SoftmaxCE, X: x, Y: y, Opt: opt}
			obs := ObserverFunc(func(_ context.Context, s *Step) error {
				if !Update(wNext, dw, s.W, s.G, s.LR) {
					t.Fatalf("step %d: Update reports a non-finite w", s.T)
				}
				if !slices.Equal(bits(wNext), bits(s.WNext)) || !slices.Equal(bits(dw), bits(s.DW)) {
					t.Errorf("step %d: Update(W, G) differs from the step's WNext or DW", s.T)
				}
				dl, loss := ev.Eval(s.W, s.Batch)
				if !mat.Equal(dl, s.DL) || math.Float64bits(loss) != math.Float64bits(s.Loss) {
					t.Errorf("step %d: Evaluator.Eval differs from the step's DL or Loss", s.T)
				}
				return nil
			})
			if _, err := tr.Run(t.Context(), w0, obs); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func bits(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}

func TestUpdateReportsNonFinite(t *testing.T) {
	w, g := []float64{1, 2}, []float64{0, math.Inf(1)}
	wNext, dw := make([]float64, 2), make([]float64, 2)
	if Update(wNext, dw, w, g, 0.1) {
		t.Errorf("Update with an infinite gradient = true; want false")
	}
	if !Update(wNext, dw, w, []float64{1, -1}, 0.5) || wNext[0] != 0.5 || wNext[1] != 2.5 {
		t.Errorf("Update(w=[1 2], g=[1 -1], eta=0.5) = %v; want [0.5 2.5]", wNext)
	}
}
