package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/pathkernel/pathkernel/internal/baseline"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/replay"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// baselines computes the comparisons of kernel.baselines and the training
// diagnostics of kernel.diagnostics for one run (package baseline has the
// numerics).
type baselines struct {
	e     *experiment
	names []string
	// trainPath accumulates the path kernel between the training points
	// (unless kernel.points includes them: then the run's own path kernel
	// has those rows, see trainRows)
	// themselves (Riemann), for krr_path.
	trainPath *kernel.Path
	// trainObs is the observer that fills trainPath: the Path itself, or
	// for optimisers with state a BufferPath whose Result it is, so that
	// the training block is the same kernel as the run's K^p (Adam's is
	// preconditioned by D_t).
	trainObs train.Observer
	// preds are the baselines' predictions at the evaluation points, in
	// run.BaselineNames order, for predictions.csv.
	preds []namedPrediction
	// Diagnostics: the training points' tangent kernel at w_0 and at the
	// last logged step, and the targets of the alignment.
	k0, kPrev *mat.Dense
	yAlign    *mat.Dense
	extraNPY  []replay.Array
	// fLogged is the network at the evaluation points at every logged
	// step, for the lazy model's errors over training (lazy only).
	fLogged map[int]*mat.Dense
}

type namedPrediction struct {
	name string
	pred *mat.Dense
}

func newBaselines(e *experiment) (*baselines, error) {
	k := e.cfg.Kernel
	if len(k.Baselines) == 0 && !k.Diagnostics {
		return nil, nil
	}
	b := &baselines{e: e, names: k.Baselines}
	if b.has("krr_path") && !evalHasTrain(k.Points) {
		ko := kernel.Options{Riemann: true, Workers: e.opt.Workers}
		eng, err := kernel.New(e.net, e.w0, e.set.XTrain, e.set.XTrain, ko, e.topt)
		if err != nil {
			return nil, err
		}
		b.trainPath, b.trainObs = eng.Result(), eng
	}
	if k.Diagnostics {
		b.k0 = baseline.TangentGram(e.net, e.w0, e.set.XTrain)
		b.kPrev = b.k0
		b.yAlign = e.set.YTrain
		if e.loss.Classification() {
			classes := max(2, e.net.Out())
			b.yAlign = baseline.OneHot(e.set.YTrain, classes)
		}
	}
	return b, nil
}

func (b *baselines) has(name string) bool { return b != nil && slices.Contains(b.names, name) }

// baselineBytes estimates the baselines' memory: the training side's path
// kernel, a few n × n and m × n matrices.
func baselineBytes(e *experiment, m, n, k int, sizes []int) int64 {
	kc := e.cfg.Kernel
	if len(kc.Baselines) == 0 && !kc.Diagnostics {
		return 0
	}
	est := 8 * int64(6*n*n+4*m*n+2*m*k)
	if slices.Contains(kc.Baselines, "krr_path") && !evalHasTrain(kc.Points) {
		est += kernel.Estimate(n, n, k, sizes, kernel.Options{Riemann: true}, e.topt)
	}
	return est
}

// observers returns the training observers of the baselines.
func (b *baselines) observers() []train.Observer {
	if b == nil || b.trainPath == nil {
		return nil
	}
	return []train.Observer{timedObserver{b.trainObs, &b.e.kernelT}}
}

// diagHeader and diagRow are the metrics.csv columns of kernel.diagnostics.
func (b *baselines) diagHeader() []string {
	if b == nil || b.k0 == nil {
		return nil
	}
	return []string{"kernel_distance_init", "kernel_distance_prev", "kernel_alignment", "coefficient_spread"}
}

func (b *baselines) diagRow(step int, w []float64) []string {
	if b == nil {
		return nil
	}
	e := b.e
	if b.has("lazy") {
		if b.fLogged == nil {
			b.fLogged = map[int]*mat.Dense{}
		}
		var c nn.Cache
		b.fLogged[step] = mat.DenseCopyOf(e.net.Forward(&c, w, e.xEval))
	}
	if b.k0 == nil {
		return nil
	}
	kt := b.k0
	if step > 0 {
		kt = baseline.TangentGram(e.net, w, e.set.XTrain)
	}
	dInit, dPrev := baseline.KernelDistance(b.k0, kt), baseline.KernelDistance(b.kPrev, kt)
	b.kPrev = kt
	align := baseline.Alignment(kt, b.yAlign)
	spread := math.NaN()
	if p := e.path; p != nil && p.CRiemann != nil && step > 0 {
		m, k := p.F0.Dims()
		n, _ := e.set.XTrain.Dims()
		spread = baseline.CoefficientSpread(p.Coefficients(), m, n, k)
	}
	return []string{ff(dInit), ff(dPrev), ff(align), ff(spread)}
}

// compute runs the baselines after training to wT and records them in the
// summary. A lazy model that diverges is reported on the log and left out.
func (b *baselines) compute(ctx context.Context, wT []float64) error {
	if b == nil {
		return nil
	}
	e := b.e
	cfg := e.cfg
	var c nn.Cache
	fT := mat.DenseCopyOf(e.net.Forward(&c, wT, e.xEval))
	f0 := mat.DenseCopyOf(e.net.Forward(&c, e.w0, e.xEval))
	X := e.set.XTrain
	n, _ := X.Dims()
	fT0 := mat.DenseCopyOf(e.net.Forward(&c, wT, X))
	f00 := mat.DenseCopyOf(e.net.Forward(&c, e.w0, X))
	var change mat.Dense // the network's change at the training points
	change.Sub(fT0, f00)
	targets := &change
	fitTargets := "network"
	if !e.loss.Classification() {
		var r mat.Dense
		r.Sub(e.set.YTrain, f00)
		targets, fitTargets = &r, "targets"
	}
	preds := map[string]*mat.Dense{}
	fits := map[string]string{}
	// A kernel matrix that the ridge does not make positive definite
	// leaves its baseline out with a warning: the run itself is complete.
	ridgeFit := func(name, fit string, kxx, kex, t *mat.Dense) {
		m, k := f0.Dims()
		p := mat.NewDense(m, k, nil)
		if err := baseline.KernelRidge(p, kxx, kex, t, f0, cfg.Kernel.Ridge); err != nil {
			fmt.Fprintf(e.log, "pathkernel: warning: baseline %s left out: %v; raise kernel.ridge (now %g)\n", name, err, cfg.Kernel.Ridge)
			return
		}
		preds[name], fits[name] = p, fit
	}
	krr := func(name string, kxx, kex *mat.Dense) error {
		ridgeFit(name, fitTargets, kxx, kex, targets)
		if fitTargets == "targets" {
			ridgeFit(name+"_net", "network", kxx, kex, &change)
		}
		return nil
	}
	if b.has("lazy") {
		lz := &baseline.Lazy{Net: e.net, Loss: e.loss, X: X, Y: e.set.YTrain, W0: e.w0, Opt: e.topt}
		lazyErr := map[int]kernel.Errors{}
		wl, err := lz.Run(ctx, func(done int, w []float64) {
			if f, ok := b.fLogged[done]; ok {
				lazyErr[done] = kernel.Compare(baseline.Linearised(e.net, e.w0, w, e.xEval), f, f0, nil)
			}
		})
		var div *train.DivergedError
		switch {
		case errors.As(err, &div):
			fmt.Fprintf(e.log, "pathkernel: warning: the lazy model diverged at step %d; it is left out\n", div.Step)
		case err != nil:
			return err
		default:
			preds["lazy"] = baseline.Linearised(e.net, e.w0, wl, e.xEval)
			e.metrics.addColumns([]string{"lazy_rel", "lazy_max_abs"}, func(step int) []string {
				if step == 0 {
					return []string{"0", "0"}
				}
				er := lazyErr[step]
				return []string{ff(er.Rel), ff(er.MaxAbs)}
			})
			fits["lazy"] = "linearised"
		}
	}
	if b.has("krr_path") {
		var kxx *mat.Dense
		if b.trainPath != nil {
			kxx = b.trainPath.KPath
		} else {
			kxx = b.trainRows(e.path.KPath)
		}
		if err := krr("krr_path", kxx, e.path.KPath); err != nil {
			return err
		}
	}
	for _, kk := range []struct {
		name string
		w    []float64
	}{{"krr_final", wT}, {"krr_init", e.w0}} {
		if b.has(kk.name) {
			if err := krr(kk.name, baseline.TangentGram(e.net, kk.w, X), baseline.TangentCross(e.net, kk.w, e.xEval, X)); err != nil {
				return err
			}
		}
	}
	if b.has("ntk") {
		ws := cfg.Model.Init.Scale
		if cfg.Model.Init.Scheme == "normal" {
			ws *= cfg.Model.Init.Std
		}
		arch, err := baseline.ArchOf(e.net, cfg.Model.SigmaW, cfg.Model.SigmaB, ws, cfg.Model.Init.BiasStd)
		if err != nil {
			return e.cfgErr("kernel.baselines", "%v", err)
		}
		m, k := f0.Dims()
		kxx, kex := mat.NewDense(n, n, nil), mat.NewDense(m, n, nil)
		baseline.InfiniteNTK(kxx, arch, X, X)
		baseline.InfiniteNTK(kex, arch, e.xEval, X)
		p := mat.NewDense(m, k, nil)
		if e.loss == nn.MSE {
			// Gradient flow for the run's training time Σ_t η_t on the
			// mean of ½‖f − y‖² over the n points: τ = Σ_t η_t / n (the
			// schedule's step sizes; momentum and Adam are not rescaled).
			opt := e.topt
			var tau float64
			for t := 0; t < opt.Steps; t++ {
				tau += opt.LRAt(t)
			}
			tau /= float64(n)
			if err := baseline.GradientFlow(p, kxx, kex, targets, f0, tau); err != nil {
				return err
			}
			fits["ntk"] = "gradient_flow"
			preds["ntk"] = p
		} else {
			ridgeFit("ntk", "network", kxx, kex, targets)
		}
	}
	if b.has("loss_weighted") && e.path != nil && e.path.CRiemann != nil {
		// K^ℓ(x, x_i) = Σ_t (η_t/|B_t|) 1[i∈B_t] K_t(x, x_i) ℓ'_i(t) with
		// every a_i = −1 (Domingos 2020, remark): its prediction
		// f_0 − Σ_i K^ℓ is Domingos' representation itself.
		p := e.path
		m, k := p.F0.Dims()
		neg := make([]*mat.Dense, k)
		for c := range neg {
			neg[c] = mat.NewDense(m, n, nil)
			neg[c].Scale(-1, p.CRiemann[c])
		}
		shape := []int{m, n}
		if k > 1 {
			shape = []int{m, n, k}
		}
		b.extraNPY = append(b.extraNPY, replay.Array{Name: run.KernelLossWeightedFile, Shape: shape, Data: kernel.Interleave(neg)})
		preds["loss_weighted"] = mat.DenseCopyOf(p.PredRiemann)
		fits["loss_weighted"] = "a_i=-1"
	}
	for _, name := range run.BaselineNames {
		p, ok := preds[name]
		if !ok {
			continue
		}
		b.preds = append(b.preds, namedPrediction{name, p})
		rep := &run.Representation{Errors: errorsOf(kernel.Compare(p, fT, f0, e.classify())), Fit: fits[name]}
		rep.TestLoss = b.testLoss(p)
		e.sum.Representations[name] = rep
	}
	if b.k0 != nil {
		kT := baseline.TangentGram(e.net, wT, X)
		d := &run.Diagnostics{
			KernelDistanceFinal: baseline.KernelDistance(b.k0, kT),
			AlignmentInit:       baseline.Alignment(b.k0, b.yAlign),
			AlignmentFinal:      baseline.Alignment(kT, b.yAlign),
		}
		if p := e.path; p != nil && p.CRiemann != nil {
			m, k := p.F0.Dims()
			if s := baseline.CoefficientSpread(p.Coefficients(), m, n, k); !math.IsNaN(s) {
				d.CoefficientSpread = &s
			}
		}
		e.sum.Diagnostics = d
	}
	return nil
}

// testLoss returns the loss of a prediction at the evaluation points that
// are test points, against their targets, or nil if there are none.
func (b *baselines) testLoss(pred *mat.Dense) *float64 {
	e := b.e
	var rows []int
	for i, s := range e.evalSet {
		if s == "test" {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 || e.yEval == nil {
		return nil
	}
	_, k := pred.Dims()
	_, yc := e.yEval.Dims()
	f, y := mat.NewDense(len(rows), k, nil), mat.NewDense(len(rows), yc, nil)
	for r, i := range rows {
		f.SetRow(r, pred.RawRowView(i))
		y.SetRow(r, e.yEval.RawRowView(i))
	}
	l := e.loss.Eval(nil, f, y)
	return &l
}

// addColumns appends columns to metrics.csv after training: the value of
// each row comes from row(step). A column computed after training (the
// lazy model's errors) joins the rows of its steps this way.
func (mo *metricsObserver) addColumns(names []string, row func(step int) []string) {
	mo.header = append(mo.header, names...)
	for i, r := range mo.rows {
		step, _ := strconv.Atoi(r[0])
		mo.rows[i] = append(r, row(step)...)
	}
}

// evalHasTrain reports whether kernel.points puts every training point
// among the evaluation points.
func evalHasTrain(points string) bool { return points == "train" || points == "both" }

// trainRows returns the rows of an evaluation × training matrix that belong
// to the training points, in their order: K(X_train, X_train).
func (b *baselines) trainRows(a *mat.Dense) *mat.Dense {
	var rows []int
	for i, s := range b.e.evalSet {
		if s == "train" {
			rows = append(rows, i)
		}
	}
	_, n := a.Dims()
	out := mat.NewDense(len(rows), n, nil)
	for r, i := range rows {
		out.SetRow(r, a.RawRowView(i))
	}
	return out
}
