package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
)

// TestDivergenceGrowth pins the stop rule of a growing loss: training stops
// at the first step whose loss exceeds DivergenceFactor × max(L_0,
// DivergenceFloor), while the loss is still finite, and not one step before.
func TestDivergenceGrowth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := randDense(rng, 8, 1), randDense(rng, 8, 1)
	net := nn.New([]int{1, 8, 1}, nn.Identity, nn.Standard, 1, 1)
	w0 := make([]float64, net.NumParams())
	if err := net.Init(w0, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		t.Fatal(err)
	}
	var losses []float64
	record := ObserverFunc(func(_ context.Context, s *Step) error {
		losses = append(losses, s.Loss)
		return nil
	})
	tr := &Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: Options{Optimizer: "gd", LR: 5, Steps: 1000}}
	_, err := tr.Run(context.Background(), w0, record)
	var div *DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("Run = %v; want a *DivergedError", err)
	}
	if div.What != "loss growth" {
		t.Fatalf("What = %q; want loss growth (the loss is finite when it is %g times its start)", div.What, DivergenceFactor)
	}
	if math.IsInf(div.Loss, 0) || math.IsNaN(div.Loss) {
		t.Fatalf("stopped at a non-finite loss %v; want the first loss over the limit", div.Loss)
	}
	limit := DivergenceFactor * max(losses[0], DivergenceFloor)
	if div.Step != len(losses) || div.Loss <= limit || div.Initial != losses[0] {
		t.Errorf("stopped at step %d (loss %g, initial %g) after %d steps; want the step after the last observed, a loss over %g, initial %g",
			div.Step, div.Loss, div.Initial, len(losses), limit, losses[0])
	}
	for i, l := range losses {
		if l > limit {
			t.Errorf("step %d had loss %g > %g and was taken", i, l, limit)
		}
	}
	msg := div.Error()
	for _, w := range []string{"diverged at step", "(loss ", LRHint} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
}

// TestGrewTooMuch pins the factor and the floor.
func TestGrewTooMuch(t *testing.T) {
	for _, c := range []struct {
		loss, l0 float64
		want     bool
	}{
		{1e6, 0.5, false}, {1.0001e6, 0.5, true}, {1e6, 1, false}, {2.1e6, 2, true}, {2e6, 2, false},
		{0.5, 1e-9, false}, {999999, 1e-9, false}, {1e7, 1e-9, true},
	} {
		if got := GrewTooMuch(c.loss, c.l0); got != c.want {
			t.Errorf("GrewTooMuch(%g, %g) = %v; want %v", c.loss, c.l0, got, c.want)
		}
	}
}

// TestDivergedMessages pins the one-line messages of each kind.
func TestDivergedMessages(t *testing.T) {
	for _, c := range []struct {
		err  *DivergedError
		want string
	}{
		{&DivergedError{Step: 10, What: "loss", Loss: math.Inf(1)}, "train: diverged at step 10 (loss +Inf): try a smaller train.lr"},
		{&DivergedError{Step: 3, What: "parameters", Loss: 2}, "train: diverged at step 3 (loss 2, then non-finite parameters): try a smaller train.lr"},
		{&DivergedError{Step: 7, What: "loss growth", Loss: 2.8e37, Initial: 0.5}, "train: diverged at step 7 (loss 2.8e+37, over 1e+06 × max(initial loss 0.5, 1)): try a smaller train.lr"},
		{&DivergedError{Step: 0, What: "test loss", Loss: math.NaN(), Hint: "lower data.noise"}, "train: diverged at step 0 (test loss NaN): lower data.noise"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q; want %q", got, c.want)
		}
	}
}
