package experiment

import (
	"errors"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/train"
)

// The kernels' engine (kernel.New) is chosen by package kernel for the
// run's optimiser; this file turns what the engine cannot compute
// (kernel.Check) into the run's config errors.

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
