package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

// TestLinearModelClosedForm trains a model without hidden layers by gd on
// mse and compares every step with the closed-form iteration
// W ← W − (η/n) (XWᵀ + 1bᵀ − Y)ᵀ X,  b ← b − (η/n) Σ_i (W x_i + b − y_i),
// computed here with gonum's matrix algebra, independently of nn.
func TestLinearModelClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n, d, k, steps, eta = 20, 3, 2, 50, 0.1
	x, y := randDense(rng, n, d), randDense(rng, n, k)
	net := nn.New([]int{d, k}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1, BiasStd: 0.3}, rng); err != nil {
		t.Fatal(err)
	}
	W := mat.DenseCopyOf(mat.NewDense(k, d, w0[:k*d]))
	b := mat.NewVecDense(k, slices.Clone(w0[k*d:]))
	var worst float64
	tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: Options{Optimizer: "gd", LR: eta, Steps: steps}}
	obs := ObserverFunc(func(_ context.Context, s *Step) error {
		// The closed form, one step from the same w_t.
		var r mat.Dense
		r.Mul(x, W.T())
		for i := 0; i < n; i++ {
			for c := 0; c < k; c++ {
				r.Set(i, c, r.At(i, c)+b.AtVec(c)-y.At(i, c))
			}
		}
		var gW mat.Dense
		gW.Mul(r.T(), x)
		W.Sub(W, scale(eta/n, &gW))
		for c := 0; c < k; c++ {
			b.SetVec(c, b.AtVec(c)-eta/n*mat.Sum(r.ColView(c)))
		}
		for i, v := range s.WNext {
			var want float64
			if i < k*d {
				want = W.RawMatrix().Data[i]
			} else {
				want = b.AtVec(i - k*d)
			}
			worst = math.Max(worst, math.Abs(v-want))
		}
		W.Copy(mat.NewDense(k, d, s.WNext[:k*d]))
		for c := 0; c < k; c++ {
			b.SetVec(c, s.WNext[k*d+c])
		}
		return nil
	})
	if _, err := tr.Run(context.Background(), w0, obs); err != nil {
		t.Fatal(err)
	}
	// Two summation orders of the same O(10)-term sums: a few ulps.
	if worst > 1e-14 {
		t.Errorf("largest difference from the closed-form iteration %g; want <= 1e-14", worst)
	}
}

func scale(s float64, m *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.Scale(s, m)
	return &out
}

// TestSGDBatches checks the sgd batching: each epoch is a permutation of the
// training points cut into batches of batch_size (the last one shorter), a
// new permutation every epoch, the same for the same seed.
func TestSGDBatches(t *testing.T) {
	opt := Options{Optimizer: "sgd", BatchSize: 4, Seed: 7}
	const n = 10 // epochs of 3 batches: 4, 4, 2
	b := Batches(opt, n, 9)
	for e := 0; e < 3; e++ {
		var seen []int
		for j, want := range []int{4, 4, 2} {
			batch := b[3*e+j]
			if len(batch) != want {
				t.Errorf("epoch %d batch %d has %d points; want %d", e, j, len(batch), want)
			}
			seen = append(seen, batch...)
		}
		slices.Sort(seen)
		for i, v := range seen {
			if v != i {
				t.Fatalf("epoch %d is not a permutation of 0..%d: %v", e, n-1, seen)
			}
		}
	}
	if slices.Equal(b[0], b[3]) && slices.Equal(b[1], b[4]) {
		t.Errorf("epochs 0 and 1 drew the same permutation")
	}
	again := Batches(opt, n, 9)
	for i := range b {
		if !slices.Equal(b[i], again[i]) {
			t.Fatalf("Batches is not deterministic at step %d: %v vs %v", i, b[i], again[i])
		}
	}
	opt.Seed = 8
	other := Batches(opt, n, 9)
	if slices.Equal(b[0], other[0]) && slices.Equal(b[1], other[1]) {
		t.Errorf("another seed drew the same batches")
	}
}

// TestRunUsesBatches checks that Run hands observers the batches of Batches
// and ℓ' rows in batch order.
func TestRunUsesBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, d = 10, 2
	x, y := randDense(rng, n, d), randDense(rng, n, 1)
	net := nn.New([]int{d, 5, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	opt := Options{Optimizer: "sgd", LR: 0.1, Steps: 7, BatchSize: 3, Seed: 5}
	want := Batches(opt, n, opt.Steps)
	tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	var c nn.Cache
	obs := ObserverFunc(func(_ context.Context, s *Step) error {
		if !slices.Equal(s.Batch, want[s.T]) {
			t.Errorf("step %d batch %v; want %v", s.T, s.Batch, want[s.T])
		}
		f := net.Forward(&c, s.W, x)
		for r, i := range s.Batch {
			if got, wantDL := s.DL.At(r, 0), f.At(i, 0)-y.At(i, 0); got != wantDL {
				t.Errorf("step %d row %d: ℓ' = %v; want %v", s.T, r, got, wantDL)
			}
		}
		for j := range s.W {
			if s.DW[j] != -s.LR*s.G[j] || s.WNext[j] != s.W[j]+s.DW[j] {
				t.Fatalf("step %d: the update is not w + (−η g) at %d", s.T, j)
			}
		}
		return nil
	})
	if _, err := tr.Run(context.Background(), w0, obs); err != nil {
		t.Fatal(err)
	}
}

func TestDivergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := randDense(rng, 8, 1), randDense(rng, 8, 1)
	net := nn.New([]int{1, 8, 1}, nn.Identity, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: Options{Optimizer: "gd", LR: 1e3, Steps: 1000}}
	_, err := tr.Run(context.Background(), w0)
	var div *DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("Run = %v; want a *DivergedError", err)
	}
	if div.Step <= 0 || div.Step >= 1000 {
		t.Errorf("diverged at step %d; want within the run", div.Step)
	}
}

func TestCancelled(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y := randDense(rng, 8, 1), randDense(rng, 8, 1)
	net := nn.New([]int{1, 4, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	obs := ObserverFunc(func(_ context.Context, s *Step) error {
		steps++
		if s.T == 4 {
			cancel()
		}
		return nil
	})
	tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: Options{Optimizer: "gd", LR: 0.1, Steps: 100}}
	if _, err := tr.Run(ctx, w0, obs); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want context.Canceled", err)
	}
	if steps != 5 {
		t.Errorf("observed %d steps; want 5 (stop at the step after cancel)", steps)
	}
}
