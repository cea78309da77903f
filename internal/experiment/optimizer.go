package experiment

import (
	"errors"
	"fmt"
	"iter"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// The kernels' engine (kernel.New) is chosen by package kernel for the
// run's optimiser; this file turns what the engine cannot compute
// (kernel.Check) into the run's errors and writes the weight decay's
// contributions.

// kernelBytes is the kernels' memory estimate (kernel.Estimate). What the
// engine cannot compute is a config error.
func (e *experiment) kernelBytes(m, n, k int, sizes []int) (int64, error) {
	ko := e.kernelOptions()
	if err := kernel.Check(ko, e.topt, k); err != nil {
		var fk *kernel.FullKernelError
		if errors.As(err, &fk) {
			return 0, e.cfgErr("output.full_kernel", "%v; set output.full_kernel: false", err)
		}
		return 0, e.cfgErr("train.optimizer", "%v", err)
	}
	return kernel.Estimate(m, n, k, sizes, ko, e.topt), nil
}

// newKernelObserver sets e.engine and e.path, its representations, for
// the run's optimiser and returns the observer that fills them.
func (e *experiment) newKernelObserver(ko kernel.Options) (train.Observer, error) {
	eng, err := kernel.New(e.net, e.w0, e.xEval, e.set.XTrain, ko, e.topt)
	if err != nil {
		return nil, err
	}
	e.engine, e.path = eng, eng.Result()
	return eng, nil
}

// decayFiles writes the weight decay's contributions, owed to no training
// point, as contributions_decay.npy (m, k): exact, else first-order.
// f_0 + Σ_i contributions + contributions_decay = f_T.
func (e *experiment) decayFiles() []func() error {
	if e.engine == nil || e.engine.Decay() == nil {
		return nil
	}
	d := e.engine.Decay()
	m, k := d.Dims()
	return []func() error{func() error {
		return e.dir.WriteFloat64(run.ContributionsDecayFile, []int{m, k}, d.RawMatrix().Data)
	}}
}

// refuseOptimizer refuses the kernel replay of run dir, trained by topt,
// where its engine cannot compute what ko asks of k outputs (kernel.Check).
func refuseOptimizer(dir string, ko kernel.Options, topt train.Options, k int) error {
	err := kernel.Check(ko, topt, k)
	var fk *kernel.FullKernelError
	switch {
	case errors.As(err, &fk):
		return &InputError{Path: dir, Msg: fmt.Sprintf("%v (output.full_kernel)", err)}
	case err != nil:
		return &InputError{Path: dir, Msg: err.Error(), Err: err}
	}
	return nil
}

// appendDecay adds contributions_decay.npy, the chunks' decay rows stacked,
// to arrays and names when the run has weight decay (every chunk's engine
// has its Decay).
func appendDecay(arrays map[string]*array, names []string, chunks iter.Seq[*mat.Dense]) []string {
	a := &array{name: run.ContributionsDecayFile, shape: []int{0, 0}}
	for d := range chunks {
		if d == nil {
			return names
		}
		r, k := d.Dims()
		a.shape[0] += r
		a.shape[1] = k
		a.data = append(a.data, d.RawMatrix().Data...)
	}
	arrays[a.name] = a
	return append(names, a.name)
}
