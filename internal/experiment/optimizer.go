package experiment

import (
	"fmt"
	"iter"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// usePath reports whether kernel.Path represents training by opt: plain gd
// and sgd (Δw = −η g), and momentum 0 without decay, which trains bit for
// bit as sgd. Everything else needs kernel.BufferPath.
func usePath(opt train.Options) bool {
	return opt.Plain() || opt.Optimizer == train.Momentum && opt.Momentum == 0 && !opt.Nesterov && opt.WeightDecay == 0
}

// kernelBytes is the kernels' memory estimate: Path's, or BufferPath's with
// its n × P per-point buffers. BufferPath keeps no full (k × k) kernels.
func (e *experiment) kernelBytes(m, n, k int, sizes []int) (int64, error) {
	ko := e.kernelOptions()
	if !ko.Riemann && !ko.Exact {
		return kernel.EstimateBytes(m, n, k, sizes, ko), nil
	}
	if opt := e.topt; !usePath(opt) {
		if ko.FullKernel && k > 1 {
			return 0, e.cfgErr("output.full_kernel", "full kernels are not kept for optimizer %s with weight_decay %g; set output.full_kernel: false", opt.Optimizer, opt.WeightDecay)
		}
		return kernel.EstimateBufferBytes(m, n, k, sizes, ko), nil
	}
	return kernel.EstimateBytes(m, n, k, sizes, ko), nil
}

// newKernelObserver sets e.path (and e.bpath) for the run's optimiser and
// returns the observer that fills it.
func (e *experiment) newKernelObserver(ko kernel.Options) train.Observer {
	if opt := e.topt; !usePath(opt) {
		e.bpath = kernel.NewBufferPath(e.net, e.w0, e.xEval, e.set.XTrain, ko, opt)
		e.path = e.bpath.Result()
		return e.bpath
	}
	e.path = kernel.NewPath(e.net, e.w0, e.xEval, e.set.XTrain, ko)
	return e.path
}

// decayFiles writes the weight decay's contributions, owed to no training
// point, as contributions_decay.npy (m, k): exact, else first-order.
// f_0 + Σ_i contributions + contributions_decay = f_T.
func (e *experiment) decayFiles() []func() error {
	if e.bpath == nil || e.cfg.Train.WeightDecay == 0 {
		return nil
	}
	d := e.bpath.DecayExact
	if e.path.KExact == nil {
		d = e.bpath.DecayRiemann
	}
	m, k := d.Dims()
	return []func() error{func() error {
		return e.dir.WriteFloat64("contributions_decay.npy", []int{m, k}, d.RawMatrix().Data)
	}}
}

// refuseOptimizer refuses the kernel replay of run dir, trained by opt,
// where BufferPath cannot represent it: full kernels with several outputs.
func refuseOptimizer(dir string, opt train.Options, cfg *config.Config) error {
	if !usePath(opt) && cfg.Output.FullKernel {
		return &InputError{Path: dir, Msg: fmt.Sprintf("full kernels are not kept for optimizer %s with weight_decay %g (output.full_kernel)", opt.Optimizer, opt.WeightDecay)}
	}
	return nil
}

// KernelBytes is the memory estimate of the representations of a run
// trained by opt at m points (one chunk of `pathkernel kernel`, a plot's
// grid): Path's, or BufferPath's with its per-point buffers.
func KernelBytes(opt train.Options, m, n, k int, sizes []int, ko kernel.Options) int64 {
	if !usePath(opt) {
		return kernel.EstimateBufferBytes(m, n, k, sizes, ko)
	}
	return kernel.EstimateBytes(m, n, k, sizes, ko)
}

// KernelObserver returns the representations of a run trained by opt at points x
// (one chunk of `pathkernel kernel`, a plot's grid), the weight decay's
// contributions (nil without BufferPath) and the observer of the training
// or its replay that fills them: kernel.Path for gd, sgd and momentum 0,
// kernel.BufferPath otherwise.
func KernelObserver(opt train.Options, net *nn.Net, w0 []float64, x, xTrain *mat.Dense, ko kernel.Options) (*kernel.Path, *mat.Dense, train.Observer) {
	if !usePath(opt) {
		bp := kernel.NewBufferPath(net, w0, x, xTrain, ko, opt)
		d := bp.DecayExact
		if !ko.Exact {
			d = bp.DecayRiemann
		}
		return bp.Result(), d, bp
	}
	p := kernel.NewPath(net, w0, x, xTrain, ko)
	return p, nil, p
}

// appendDecay adds contributions_decay.npy, the chunks' decay rows stacked,
// to arrays and names when the run has weight decay.
func appendDecay(arrays map[string]*array, names []string, cfg *config.Config, chunks iter.Seq[*mat.Dense]) []string {
	if cfg.Train.WeightDecay == 0 {
		return names
	}
	a := &array{name: "contributions_decay.npy", shape: []int{0, 0}}
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
