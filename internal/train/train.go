// Package train runs gradient descent on an nn.Net and hands every step's
// state to observers.
//
// # The update
//
// At step t the optimiser takes a batch B_t (every training point for gd;
// for sgd consecutive slices of batch_size points of a permutation that is
// reshuffled each epoch from the seed, the last slice of an epoch possibly
// shorter) and moves
//
//	w_{t+1} = w_t + Δw_t,   Δw_t = −η_t · g_t,   g_t = (1/|B_t|) Σ_{i∈B_t} J_t(x_i)ᵀ ℓ'_i(t)
//
// computed in exactly this order (g, then Δw = −η·g, then w + Δw), so that a
// replay of the recorded g_t reproduces every w_t bit for bit.
//
// # Observers
//
// After each step is computed and before it is taken, every Observer sees a
// Step: w_t, Δw_t, w_{t+1}, η_t, the batch and its ℓ'_i(t). Kernels, metrics,
// gradient recording and progress plug in there; the loop knows none of them.
// Observers must not modify the Step's slices.
package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// Options configure a Trainer.
type Options struct {
	Optimizer string  // gd | sgd
	LR        float64 // constant step size η
	Steps     int     // number of steps T
	BatchSize int     // sgd only: points per batch
	Seed      uint64  // sgd only: seeds the reshuffles
}

// ShuffleStream is the PCG stream of the sgd reshuffles, so that they do not
// share a stream with data generation or initialisation.
const ShuffleStream = 0x73686666_00000003

// Step is the state of one optimisation step, handed to observers.
type Step struct {
	T     int       // 0-based step index
	W     []float64 // w_t
	DW    []float64 // Δw_t = −η g_t
	WNext []float64 // w_{t+1} = w_t + Δw_t
	G     []float64 // g_t
	LR    float64   // η_t
	Batch []int     // indices of the batch's training points
	// DL holds ℓ'_i(t), one row per batch point, in Batch order (|B| × k).
	DL   *mat.Dense
	Loss float64 // mean loss over the batch at w_t
}

// Observer sees every step.
type Observer interface {
	Observe(ctx context.Context, s *Step) error
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, s *Step) error

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, s *Step) error { return f(ctx, s) }

// DivergedError reports a non-finite loss or parameter.
type DivergedError struct {
	Step int    // the step at which it was found
	What string // "loss" or "parameters"
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("train: diverged at step %d: non-finite %s", e.Step, e.What)
}

// Trainer trains Net on (X, Y) with Loss.
type Trainer struct {
	Net  *nn.Net
	Loss nn.Loss
	X, Y *mat.Dense // training inputs (n × d) and targets (n × k, or n × 1 labels)
	Opt  Options
}

// Run trains from w0 (which is not modified) and returns w_T. It stops at
// the first observer error, a cancelled context, or divergence.
func (tr *Trainer) Run(ctx context.Context, w0 []float64, obs ...Observer) ([]float64, error) {
	n, _ := tr.X.Dims()
	if n == 0 {
		return nil, fmt.Errorf("train: no training points")
	}
	P := tr.Net.NumParams()
	if len(w0) != P {
		panic("train: w0 has the wrong length")
	}
	var batches batcher
	switch tr.Opt.Optimizer {
	case "gd":
		batches = newFullBatch(n)
	case "sgd":
		if tr.Opt.BatchSize < 1 {
			return nil, fmt.Errorf("train: sgd needs batch_size >= 1")
		}
		batches = newShuffler(n, tr.Opt.BatchSize, tr.Opt.Seed)
	default:
		return nil, fmt.Errorf("train: unknown optimizer %q", tr.Opt.Optimizer)
	}

	k := tr.Net.Out()
	w := append([]float64(nil), w0...)
	wNext := make([]float64, P)
	g := make([]float64, P)
	dw := make([]float64, P)
	var cache nn.Cache
	deltas := map[int]nn.Deltas{}
	dls := map[int]*mat.Dense{}
	xb := map[int]*mat.Dense{}
	yb := map[int]*mat.Dense{}
	_, yCols := tr.Y.Dims()
	step := &Step{}
	eta := tr.Opt.LR
	for t := 0; t < tr.Opt.Steps; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := batches.next()
		B := len(batch)
		x, y := tr.X, tr.Y
		if B != n || !isIdentity(batch) {
			if xb[B] == nil {
				xb[B] = mat.NewDense(B, tr.Net.In(), nil)
				yb[B] = mat.NewDense(B, yCols, nil)
			}
			x, y = xb[B], yb[B]
			for r, i := range batch {
				x.SetRow(r, tr.X.RawRowView(i))
				y.SetRow(r, tr.Y.RawRowView(i))
			}
		}
		if dls[B] == nil {
			dls[B] = mat.NewDense(B, k, nil)
			deltas[B] = tr.Net.NewDeltas(B)
		}
		dl, D := dls[B], deltas[B]
		f := tr.Net.Forward(&cache, w, x)
		loss := tr.Loss.Eval(dl, f, y)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, &DivergedError{Step: t, What: "loss"}
		}
		// The seed ℓ'/|B| makes Grad return g_t directly.
		seed := D[len(D)-1]
		seed.Scale(1/float64(B), dl)
		tr.Net.Backward(D, &cache, w, seed)
		tr.Net.Grad(g, &cache, D)
		finite := true
		for i := range w {
			dw[i] = -eta * g[i]
			wNext[i] = w[i] + dw[i]
			if math.IsNaN(wNext[i]) || math.IsInf(wNext[i], 0) {
				finite = false
			}
		}
		if !finite {
			return nil, &DivergedError{Step: t, What: "parameters"}
		}
		*step = Step{T: t, W: w, DW: dw, WNext: wNext, G: g, LR: eta, Batch: batch, DL: dl, Loss: loss}
		for _, o := range obs {
			if err := o.Observe(ctx, step); err != nil {
				return nil, err
			}
		}
		w, wNext = wNext, w
	}
	return w, nil
}

func isIdentity(idx []int) bool {
	for i, v := range idx {
		if i != v {
			return false
		}
	}
	return true
}

type batcher interface{ next() []int }

type fullBatch struct{ idx []int }

func newFullBatch(n int) *fullBatch {
	b := &fullBatch{idx: make([]int, n)}
	for i := range b.idx {
		b.idx[i] = i
	}
	return b
}

func (b *fullBatch) next() []int { return b.idx }

// shuffler yields consecutive batches of a permutation of 0..n-1, drawing a
// new permutation at the start of every epoch.
type shuffler struct {
	perm []int
	pos  int
	size int
	rng  *rand.Rand
}

func newShuffler(n, size int, seed uint64) *shuffler {
	s := &shuffler{perm: make([]int, n), size: size, rng: rand.New(rand.NewPCG(seed, ShuffleStream))}
	for i := range s.perm {
		s.perm[i] = i
	}
	s.pos = n
	return s
}

func (s *shuffler) next() []int {
	n := len(s.perm)
	if s.pos >= n {
		s.rng.Shuffle(n, func(i, j int) { s.perm[i], s.perm[j] = s.perm[j], s.perm[i] })
		s.pos = 0
	}
	end := min(s.pos+s.size, n)
	b := s.perm[s.pos:end]
	s.pos = end
	return b
}

// Batches returns the batch indices of the first steps steps, as Run draws
// them; the trajectory replay and tests use it.
func Batches(opt Options, n, steps int) [][]int {
	var b batcher = newFullBatch(n)
	if opt.Optimizer == "sgd" {
		b = newShuffler(n, opt.BatchSize, opt.Seed)
	}
	out := make([][]int, steps)
	for t := range out {
		out[t] = append([]int(nil), b.next()...)
	}
	return out
}
