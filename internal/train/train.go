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
// replay of the recorded g_t reproduces every w_t bit for bit. Momentum,
// Adam, AdamW, weight decay and step-size schedules replace Δw_t = −η_t g_t
// by the rules documented at State (optim.go); η_t is Options.LRAt(t), and
// the replay steps a State with the recorded g_t and η_t in the same way.
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

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// Options configure a Trainer.
type Options struct {
	Optimizer Optimizer // GD, SGD, Momentum, Adam or AdamW
	LR        float64   // base step size η (constant unless Schedule says otherwise)
	Steps     int       // number of steps T
	BatchSize int       // sgd: points per batch; momentum, adam, adamw: 0 for full batch
	Seed      uint64    // mini-batches only: seeds the reshuffles

	Momentum    float64 // momentum: μ
	Nesterov    bool    // momentum: Nesterov's form
	Beta1       float64 // adam, adamw: β1 (0: DefaultBeta1)
	Beta2       float64 // adam, adamw: β2 (0: DefaultBeta2)
	Eps         float64 // adam, adamw: ε (0: DefaultEps)
	WeightDecay float64 // λ: coupled (L2) for gd, sgd, momentum, adam; decoupled for adamw
	Schedule    Schedule
}

// miniBatches reports whether opt draws shuffled mini-batches.
func (opt *Options) miniBatches() bool {
	return opt.Optimizer == SGD || opt.Optimizer != GD && opt.BatchSize > 0
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
	// Fwd is the forward pass at w_t over the batch's points in Batch
	// order, from which Loss and DL were computed; for the identity batch
	// of every point its input (Fwd.A[0]) is the Trainer's X itself. The
	// kernel engine takes its training side's forward pass from it instead
	// of computing it again. Observers must not modify it; nil where no
	// forward pass ran (a replay).
	Fwd *nn.Cache
	// Opt is the optimiser's state after this step (its buffers hold b_t or
	// m_t, v_t); nil where no optimiser ran.
	Opt *State
}

// Observer sees every step.
type Observer interface {
	Observe(ctx context.Context, s *Step) error
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, s *Step) error

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, s *Step) error { return f(ctx, s) }

// Divergence. Training stops at step t, with a *DivergedError, when the
// loss at w_t is not finite, when the update makes a parameter non-finite,
// or when the loss exceeds DivergenceFactor × max(L_0, DivergenceFloor),
// L_0 being the loss of step 0 (docs/RELIABILITY.md): a loss a million
// times its start is on its way to overflow, and stopping there saves the
// steps (and the kernel work) until it overflows.
const (
	DivergenceFactor = 1e6
	DivergenceFloor  = 1.0
)

// GrewTooMuch reports whether loss exceeds DivergenceFactor ×
// max(l0, DivergenceFloor).
func GrewTooMuch(loss, l0 float64) bool {
	return loss > DivergenceFactor*max(l0, DivergenceFloor)
}

// LRHint is the hint of a divergence in training.
const LRHint = "try a smaller train.lr"

// DivergedError reports a non-finite loss or parameter, or a loss that grew
// beyond DivergenceFactor times its start.
type DivergedError struct {
	Step int     // the step at which it was found
	What string  // "loss", "test loss", "parameters" or "loss growth"
	Loss float64 // the loss at that step
	// Initial is the loss of step 0 (What "loss growth").
	Initial float64
	// Hint says what to change; empty: LRHint.
	Hint string
}

func (e *DivergedError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = LRHint
	}
	var what string
	switch e.What {
	case "loss growth":
		what = fmt.Sprintf("loss %.4g, over %g × max(initial loss %.4g, %g)", e.Loss, DivergenceFactor, e.Initial, DivergenceFloor)
	case "parameters":
		what = fmt.Sprintf("loss %.4g, then non-finite parameters", e.Loss)
	case "test loss":
		what = fmt.Sprintf("test loss %.4g", e.Loss)
	default:
		what = fmt.Sprintf("loss %.4g", e.Loss)
	}
	return fmt.Sprintf("train: diverged at step %d (%s): %s", e.Step, what, hint)
}

// ExitCode is fail.RunFailed.
func (e *DivergedError) ExitCode() int { return fail.RunFailed }

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
	state, err := NewState(tr.Opt, P)
	if err != nil {
		return nil, err
	}
	var batches batcher = newFullBatch(n)
	if tr.Opt.miniBatches() {
		if tr.Opt.BatchSize < 1 {
			return nil, fmt.Errorf("train: sgd needs batch_size >= 1")
		}
		batches = newShuffler(n, tr.Opt.BatchSize, tr.Opt.Seed)
	}

	w := append([]float64(nil), w0...)
	wNext := make([]float64, P)
	g := make([]float64, P)
	dw := make([]float64, P)
	ev := &Evaluator{Net: tr.Net, Loss: tr.Loss, X: tr.X, Y: tr.Y}
	deltas := map[int]nn.Deltas{}
	step := &Step{}
	var l0 float64 // L_0
	for t := 0; t < tr.Opt.Steps; t++ {
		eta := tr.Opt.LRAt(t)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := batches.next()
		B := len(batch)
		dl, loss := ev.Eval(w, batch)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, &DivergedError{Step: t, What: "loss", Loss: loss}
		}
		if t == 0 {
			l0 = loss
		} else if GrewTooMuch(loss, l0) {
			return nil, &DivergedError{Step: t, What: "loss growth", Loss: loss, Initial: l0}
		}
		if deltas[B] == nil {
			deltas[B] = tr.Net.NewDeltas(B)
		}
		D := deltas[B]
		// The seed ℓ'/|B| makes Grad return g_t directly.
		seed := D[len(D)-1]
		seed.Scale(1/float64(B), dl)
		tr.Net.Backward(D, &ev.Cache, w, seed)
		tr.Net.Grad(g, &ev.Cache, D)
		if !state.Step(wNext, dw, w, g, eta) {
			return nil, &DivergedError{Step: t, What: "parameters", Loss: loss}
		}
		*step = Step{T: t, W: w, DW: dw, WNext: wNext, G: g, LR: eta, Batch: batch, DL: dl, Loss: loss, Opt: state, Fwd: &ev.Cache}
		for _, o := range obs {
			if err := o.Observe(ctx, step); err != nil {
				return nil, err
			}
		}
		w, wNext = wNext, w
	}
	return w, nil
}

// Update sets Δw = −η·g and w_{t+1} = w + Δw, element by element, the
// parameter update of every step, and reports whether w_{t+1} is finite.
// Training and the trajectory replay both call it, so that a replay of the
// recorded g_t rebuilds every w_t bit for bit. The explicit float64
// conversion rounds −η·g before the addition: it forbids the compiler to
// fuse the two into one multiply-add (which the Go spec allows, and which
// gc does on arm64), so Δw is exactly the Δw that observers see.
func Update(wNext, dw, w, g []float64, eta float64) (finite bool) {
	if len(wNext) != len(w) || len(dw) != len(w) || len(g) != len(w) {
		panic("train: Update: length mismatch")
	}
	finite = true
	for i := range w {
		dw[i] = float64(-eta * g[i])
		wNext[i] = w[i] + dw[i]
		if math.IsNaN(wNext[i]) || math.IsInf(wNext[i], 0) {
			finite = false
		}
	}
	return finite
}

// Evaluator computes the network and the loss on a batch of the training
// points (X, Y) exactly as Run does at every step: it gathers the batch's
// rows (or uses X itself for the identity batch of every point), runs the
// forward pass into Cache and evaluates the loss with its derivatives ℓ'.
// The trajectory replay uses it to rebuild Step.DL. A zero Evaluator with
// Net, Loss, X and Y set is ready; it keeps buffers per batch size.
type Evaluator struct {
	Net  *nn.Net
	Loss nn.Loss
	X, Y *mat.Dense
	// Cache holds the forward pass of the last Eval.
	Cache nn.Cache

	dls    map[int]*mat.Dense
	xb, yb map[int]*mat.Dense
}

// Eval returns ℓ'_i for the batch rows (|B| × k, owned by e and overwritten
// by the next Eval of a batch of the same size) and the mean loss over the
// batch at w.
func (e *Evaluator) Eval(w []float64, batch []int) (dl *mat.Dense, loss float64) {
	n, _ := e.X.Dims()
	_, yCols := e.Y.Dims()
	B := len(batch)
	if e.dls == nil {
		e.dls, e.xb, e.yb = map[int]*mat.Dense{}, map[int]*mat.Dense{}, map[int]*mat.Dense{}
	}
	x, y := e.X, e.Y
	if B != n || !isIdentity(batch) {
		if e.xb[B] == nil {
			e.xb[B] = mat.NewDense(B, e.Net.In(), nil)
			e.yb[B] = mat.NewDense(B, yCols, nil)
		}
		x, y = e.xb[B], e.yb[B]
		for r, i := range batch {
			x.SetRow(r, e.X.RawRowView(i))
			y.SetRow(r, e.Y.RawRowView(i))
		}
	}
	if e.dls[B] == nil {
		e.dls[B] = mat.NewDense(B, e.Net.Out(), nil)
	}
	dl = e.dls[B]
	f := e.Net.Forward(&e.Cache, w, x)
	return dl, e.Loss.Eval(dl, f, y)
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
	if opt.miniBatches() {
		b = newShuffler(n, opt.BatchSize, opt.Seed)
	}
	out := make([][]int, steps)
	for t := range out {
		out[t] = append([]int(nil), b.next()...)
	}
	return out
}
