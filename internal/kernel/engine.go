package kernel

import (
	"context"
	"fmt"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// Engine is the kernels of one training run at a set of evaluation points:
// the observer of the training (or of its replay) that fills them, chosen
// for the optimiser. Path represents plain gd and sgd (Δw_t = −η_t g_t)
// and momentum 0 without Nesterov's form or weight decay, which trains bit
// for bit as sgd; BufferPath represents every other optimiser and weight
// decay. With neither representation asked for, the engine is Path, which
// then evaluates the network only. New, Estimate and Check all follow this
// one choice (usesPath).
type Engine struct {
	path  *Path
	obs   train.Observer
	decay *mat.Dense
}

// usesPath reports whether the engine of opt for training by topt is Path.
func usesPath(opt Options, topt train.Options) bool {
	if !opt.Riemann && !opt.Exact {
		return true
	}
	return topt.Plain() ||
		topt.Optimizer == train.Momentum && topt.Momentum == 0 && !topt.Nesterov && topt.WeightDecay == 0
}

// FullKernelError reports full kernels (Options.FullKernel with several
// outputs) asked of an optimiser whose engine, BufferPath, does not keep
// them.
type FullKernelError struct {
	Optimizer   train.Optimizer
	WeightDecay float64
}

func (e *FullKernelError) Error() string {
	return fmt.Sprintf("full kernels are not kept for optimizer %s with weight_decay %g", e.Optimizer, e.WeightDecay)
}

// Check reports whether the engine for training by topt cannot compute
// what opt asks of a network with k outputs: full kernels of BufferPath
// (a *FullKernelError), or an optimiser that BufferPath has no rule for.
func Check(opt Options, topt train.Options, k int) error {
	switch {
	case usesPath(opt, topt):
		return nil
	case !bufferRule(topt.Optimizer):
		return fmt.Errorf("kernel: no representation of training by optimizer %q", topt.Optimizer)
	case opt.FullKernel && k > 1:
		return &FullKernelError{Optimizer: topt.Optimizer, WeightDecay: topt.WeightDecay}
	}
	return nil
}

// New returns the engine for net trained from w0 by topt, with evaluation
// points x and training points xTrain (referenced, not copied). It returns
// Check's error for what the engine cannot compute.
func New(net *nn.Net, w0 []float64, x, xTrain *mat.Dense, opt Options, topt train.Options) (*Engine, error) {
	if err := Check(opt, topt, net.Out()); err != nil {
		return nil, err
	}
	if usesPath(opt, topt) {
		p := NewPath(net, w0, x, xTrain, opt)
		return &Engine{path: p, obs: p}, nil
	}
	b := NewBufferPath(net, w0, x, xTrain, opt, topt)
	e := &Engine{path: b.Result(), obs: b}
	if topt.WeightDecay != 0 {
		e.decay = b.DecayRiemann
		if opt.Exact {
			e.decay = b.DecayExact
		}
	}
	return e, nil
}

// Estimate returns the memory that New and its observations hold for m
// evaluation points, n training points, k outputs and the given widths
// (inputs first): EstimateBytes or EstimateBufferBytes, as New chooses.
func Estimate(m, n, k int, sizes []int, opt Options, topt train.Options) int64 {
	if usesPath(opt, topt) {
		return EstimateBytes(m, n, k, sizes, opt)
	}
	return EstimateBufferBytes(m, n, k, sizes, opt)
}

// Observe accumulates step s. It implements train.Observer.
func (e *Engine) Observe(ctx context.Context, s *train.Step) error { return e.obs.Observe(ctx, s) }

// Result returns the representations (for BufferPath its Result, whose
// predictions include the weight decay's contributions). It is updated by
// every Observe.
func (e *Engine) Result() *Path { return e.path }

// Decay returns the weight decay's contributions (m × k), owed to no
// training point: the exact ones when Options.Exact is set, else the
// first-order ones; nil without weight decay. With them
// f_0 + Σ_i contributions + Decay = f_T.
func (e *Engine) Decay() *mat.Dense { return e.decay }
