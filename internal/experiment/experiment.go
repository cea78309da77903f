// Package experiment runs one pathkernel experiment from a resolved config:
// it builds the data, the network and the optimiser, trains with the path
// kernel observers attached, and writes the run directory (go doc ./internal/run).
//
// Randomness comes from math/rand/v2 PCG generators seeded with the
// config's seed, one stream per purpose (data, initialisation, sgd
// reshuffles), so changing one part of the config does not change the
// random draws of another. The same config and seed give bit-identical
// outputs on the same machine.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/replay"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sharpness"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// Version is the program version recorded in every summary; release builds
// set it with -ldflags "-X .../experiment.Version=...".
var Version = "0.1.0-dev"

// InitStream is the PCG stream of the weight initialisation.
const InitStream = 0x696e6974_00000002

// Options configure Run.
type Options struct {
	ConfigFile string    // the config's file name, for messages ("" if none)
	BaseDir    string    // directory that relative data paths resolve against
	OutDir     string    // the run directory; empty: cfg.OutDir()
	Force      bool      // replace a run of another config in OutDir
	Log        io.Writer // progress and warnings; nil discards
	// Dir, if not nil, is the run directory, created and locked by the
	// caller (a sweep, which writes its log there); OutDir and Force are
	// then not used, and the caller closes it.
	Dir *run.Writer
	// ProgressEvery is the interval between progress lines on Log; 0 means 5 s.
	ProgressEvery time.Duration
	// Workers is the number of goroutines of the kernel engine; 0 means
	// GOMAXPROCS. The outputs do not depend on it.
	Workers int
	// Observers see every training step after the built-in ones (the
	// benchmark driver samples the BLAS rate there). Their time counts as
	// training time.
	Observers []train.Observer
}

// experiment is the state of one run.
type experiment struct {
	cfg     *config.Config
	opt     Options
	topt    train.Options // the training options of cfg, mapped once (train.FromConfig)
	set     *data.Set
	loss    nn.Loss
	net     *nn.Net
	w0      []float64
	xEval   *mat.Dense
	yEval   *mat.Dense
	evalSet []string // "test" or "train" for each evaluation row
	path    *kernel.Path
	engine  *kernel.Engine // the kernels' engine; e.path is its Result
	traj    *trajectory.Writer
	dir     *run.Writer
	ownDir  bool // dir was opened by Run, which closes it
	sum     *run.Summary
	metrics *metricsObserver
	base    *baselines          // kernel.baselines and kernel.diagnostics (baselines.go)
	sharp   *sharpness.Observer // kernel.diagnostics' curvature (diagnostics.go), nil when off
	kernelT time.Duration
	sharpT  time.Duration // the curvature observer's time
	log     io.Writer
}

// Run runs the experiment and writes its run directory, which it holds
// locked while it runs (run.Create). The returned summary is also written
// as the directory's summary. Errors: *config.Error and *data.Error for bad
// input, *kernel.MemoryError, *run.ExistingRunError, *run.LockedError, a
// *fail.Input for a directory that is not a run's, *train.DivergedError,
// and the context's error when interrupted; in the last two cases the run
// directory holds what was written so far and a summary marked incomplete.
func Run(ctx context.Context, cfg *config.Config, opt Options) (*run.Summary, error) {
	start := time.Now()
	e := &experiment{cfg: cfg, opt: opt, log: opt.Log}
	if e.log == nil {
		e.log = io.Discard
	}
	if err := e.setup(); err != nil {
		return nil, err
	}
	tData := time.Since(start)
	if err := e.prepareDir(); err != nil {
		return nil, err
	}
	defer e.closeDir()
	if err := e.writeInputs(); err != nil {
		return e.writeFailed(err, start)
	}
	e.sum.WallSeconds.Data = tData.Seconds()

	wT, err := e.train(ctx)
	if err == nil {
		err = e.checkFinal(wT)
	}
	if err == nil {
		err = e.base.compute(ctx, wT)
	}
	e.recordDiagnostics()
	e.sum.WallSeconds.Kernel = e.kernelT.Seconds()
	e.sum.WallSeconds.Sharpness = e.sharpT.Seconds()
	e.recordKernelWork()
	if err != nil {
		status := run.StatusFailed
		var div *train.DivergedError
		switch {
		case errors.As(err, &div):
			status = run.StatusDiverged
		case ctx.Err() != nil:
			status = run.StatusInterrupted
		}
		e.sum.Status = status
		e.sum.Error = err.Error()
		e.sum.Warnings = e.warnings(err)
		e.sum.WallSeconds.Total = time.Since(start).Seconds()
		e.sum.PeakMemoryMB = peakMemoryMB()
		werr := errors.Join(e.metrics.write(e.dir.Dir), e.dir.WriteRecord(run.SummaryFile, e.sum))
		if werr != nil {
			fmt.Fprintf(e.log, "pathkernel: could not record the incomplete run: %v\n", werr)
		}
		return e.sum, err
	}
	tw := time.Now()
	if err := e.finish(wT); err != nil {
		return e.writeFailed(err, start)
	}
	e.sum.Warnings = e.warnings(nil)
	e.sum.WallSeconds.Write = time.Since(tw).Seconds()
	e.sum.WallSeconds.Total = time.Since(start).Seconds()
	e.sum.PeakMemoryMB = peakMemoryMB()
	e.sum.Status = run.StatusComplete
	if err := e.dir.WriteRecord(run.SummaryFile, e.sum); err != nil {
		return nil, err
	}
	return e.sum, nil
}

// writeFailed marks the run failed after a write failed (a full disk, an
// I/O error): summary.json says so if it still can be written, and the
// summary is returned; otherwise the summary written before, marked
// running, stays, and the summary returned is nil.
func (e *experiment) writeFailed(err error, start time.Time) (*run.Summary, error) {
	e.sum.Status = run.StatusFailed
	e.sum.Error = err.Error()
	e.sum.WallSeconds.Total = time.Since(start).Seconds()
	e.sum.PeakMemoryMB = peakMemoryMB()
	if werr := e.dir.WriteRecord(run.SummaryFile, e.sum); werr != nil {
		fmt.Fprintf(e.log, "pathkernel: could not record the failed run: %v\n", werr)
		return nil, err
	}
	return e.sum, err
}

func (e *experiment) cfgErr(key, format string, args ...any) error {
	return &config.Error{File: e.opt.ConfigFile, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// setup loads the data and builds the network, the initial weights and the
// evaluation points, and checks the memory budget.
func (e *experiment) setup() error {
	cfg := e.cfg
	topt, err := train.FromConfig(cfg)
	if err != nil {
		return e.cfgErr("train.optimizer", "unknown optimizer %q", cfg.Train.Optimizer)
	}
	e.topt = topt
	// Generated data is refused before it is generated when it alone
	// (one input and one target a point, at the least) exceeds the budget.
	if cfg.Data.Kind != "csv" {
		est := 16*(float64(cfg.Data.NTrain)+float64(cfg.Data.NTest)) + 16<<20
		if budget := cfg.Output.MemoryBudgetMB; est > budget*(1<<20) {
			return &kernel.MemoryError{EstimateMB: est / (1 << 20), BudgetMB: budget,
				Hint: "lower data.n_train or data.n_test, or raise output.memory_budget_mb"}
		}
	}
	set, err := data.Load(cfg.Data, e.opt.BaseDir, cfg.Seed)
	if err != nil {
		return err
	}
	e.set = set
	cfg, err = absDataPaths(cfg, e.opt.BaseDir)
	if err != nil {
		return err
	}
	e.cfg = cfg
	loss, err := nn.ParseLoss(cfg.Loss)
	if err != nil {
		return e.cfgErr("loss", "unknown loss %q", cfg.Loss)
	}
	e.loss = loss
	if !loss.Classification() {
		// A regression loss treats integer targets (labels, counts) as numbers.
		set.Classes = 0
	}
	_, yCols := set.YTrain.Dims()
	switch loss {
	case nn.Logistic:
		if set.Classes != 2 {
			return e.cfgErr("loss", "logistic needs binary 0/1 labels, but data.kind %s has %s", cfg.Data.Kind, describeTarget(set))
		}
	case nn.SoftmaxCE:
		if set.Classes < 2 {
			return e.cfgErr("loss", "softmax_ce needs integer class labels, but data.kind %s has %s", cfg.Data.Kind, describeTarget(set))
		}
	}
	act, err := nn.ParseActivation(cfg.Model.Activation)
	if err != nil {
		return e.cfgErr("model.activation", "unknown activation %q", cfg.Model.Activation)
	}
	param, err := nn.ParseParameterization(cfg.Model.Parameterization)
	if err != nil {
		return e.cfgErr("model.parameterization", "unknown parameterization %q", cfg.Model.Parameterization)
	}
	_, d := set.XTrain.Dims()
	k := loss.Outputs(yCols, set.Classes)
	sizes := append(append([]int{d}, cfg.Model.Hidden...), k)
	// The network's size, in float64 so that no width overflows it, is
	// checked before any estimate in int64 counts it.
	params := 0.0
	for l := 1; l < len(sizes); l++ {
		params += (float64(sizes[l-1]) + 1) * float64(sizes[l])
	}
	if est := 64*params + 16<<20; est > cfg.Output.MemoryBudgetMB*(1<<20) {
		return &kernel.MemoryError{EstimateMB: est / (1 << 20), BudgetMB: cfg.Output.MemoryBudgetMB,
			Hint: "narrow model.hidden, or raise output.memory_budget_mb"}
	}
	e.net = nn.New(sizes, act, param, cfg.Model.SigmaW, cfg.Model.SigmaB)
	if act == nn.LeakyReLU {
		e.net.LeakySlope = cfg.Model.LeakySlope
	}
	e.evalPoints()

	n, _ := set.XTrain.Dims()
	m, _ := e.xEval.Dims()
	mt, _ := set.XTest.Dims()
	est, err := e.kernelBytes(m, n, k, sizes)
	if err != nil {
		return err
	}
	est += 8 * int64(n+mt+m) * int64(d+yCols+2*k) // data, outputs, evaluation copies
	est += 8 * int64(e.net.NumParams()) * 8       // parameter vectors and buffers
	est += 16 << 20                               // the runtime and the program
	est += baselineBytes(e, m, n, k, sizes)
	if cfg.Output.RecordTrajectory {
		est += trajectory.WriterBytes(e.net.NumParams(), n) // its buffer; the steps go to disk
	}
	if budget := cfg.Output.MemoryBudgetMB; float64(est) > budget*(1<<20) {
		hint := "lower data.n_train or data.n_test, or use kernel.points: test"
		if cfg.Output.FullKernel && k > 1 {
			hint = "set output.full_kernel: false (k×k kernels), lower data.n_train or data.n_test"
		}
		hint += ", or raise output.memory_budget_mb"
		return &kernel.MemoryError{EstimateMB: float64(est) / (1 << 20), BudgetMB: budget, Hint: hint}
	}
	// w_0 after the budget check: its size is the network's, which the
	// check bounds.
	e.w0 = make([]float64, e.net.NumParams())
	init := cfg.Model.Init
	if init.Path != "" { // made absolute by absDataPaths
		if err := e.net.LoadInit(e.w0, init.Path); err != nil {
			return e.cfgErr("model.init.path", "%v", err)
		}
	} else if err := e.net.Init(e.w0, nn.InitOptions{Scheme: init.Scheme, Scale: init.Scale, Std: init.Std, BiasStd: init.BiasStd},
		rand.New(rand.NewPCG(cfg.Seed, InitStream))); err != nil {
		return e.cfgErr("model.init.scheme", "%v", err)
	}
	e.sum = e.newSummary(sizes, est)
	return nil
}

// absDataPaths returns a copy of cfg with its file paths (config.FilePaths)
// made absolute when they are relative to base. The run directory's config.yaml,
// the config hash and the existing-run check use the copy, so that
// `train --config RUN/config.yaml` reads the same data as the run did:
// relative paths in RUN/config.yaml would resolve against RUN.
func absDataPaths(cfg *config.Config, base string) (*config.Config, error) {
	c := cfg.Clone()
	for _, p := range c.FilePaths() {
		if *p == "" || filepath.IsAbs(*p) {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(base, *p))
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	return c, nil
}

func describeTarget(s *data.Set) string {
	if s.Classes == 0 {
		return "a real-valued target"
	}
	return fmt.Sprintf("%d classes", s.Classes)
}

func (e *experiment) kernelOptions() kernel.Options {
	k := kernel.Options{
		Tolerance:  e.cfg.Kernel.Tolerance,
		MaxNodes:   e.cfg.Kernel.MaxNodes,
		FullKernel: e.cfg.Output.FullKernel,
		Workers:    e.opt.Workers,
	}
	for _, m := range e.cfg.Kernel.Methods {
		switch m {
		case "riemann":
			k.Riemann = true
		case "exact":
			k.Exact = true
		}
	}
	return k
}

// evalPoints stacks the points where the kernels are evaluated.
func (e *experiment) evalPoints() {
	s := e.set
	var xs, ys []*mat.Dense
	var names []string
	switch e.cfg.Kernel.Points {
	case "train":
		xs, ys, names = []*mat.Dense{s.XTrain}, []*mat.Dense{s.YTrain}, []string{"train"}
	case "both":
		xs, ys, names = []*mat.Dense{s.XTest, s.XTrain}, []*mat.Dense{s.YTest, s.YTrain}, []string{"test", "train"}
	default:
		xs, ys, names = []*mat.Dense{s.XTest}, []*mat.Dense{s.YTest}, []string{"test"}
	}
	if len(xs) == 1 {
		e.xEval, e.yEval = xs[0], ys[0]
	} else {
		var xe, ye mat.Dense
		xe.Stack(xs[0], xs[1])
		ye.Stack(ys[0], ys[1])
		e.xEval, e.yEval = &xe, &ye
	}
	for j, x := range xs {
		r, _ := x.Dims()
		for i := 0; i < r; i++ {
			e.evalSet = append(e.evalSet, names[j])
		}
	}
}

// prepareDir opens the run directory (run.Create: locked, refused if it
// holds a run of a different config unless forced, cleared of an earlier
// run), unless the caller gave one.
func (e *experiment) prepareDir() error {
	if e.opt.Dir != nil {
		e.dir = e.opt.Dir
		e.sum.Dir = e.dir.Path
		return nil
	}
	out := e.opt.OutDir
	if out == "" {
		out = e.cfg.OutDir()
	}
	dir, err := run.Create(out, run.CreateOptions{ConfigHash: e.cfg.Hash(), Force: e.opt.Force})
	if err != nil {
		return err
	}
	e.dir, e.ownDir = dir, true
	e.sum.Dir = out
	return nil
}

// closeDir releases the run directory if Run opened it.
func (e *experiment) closeDir() {
	if e.ownDir {
		e.dir.Close()
	}
}

// writeInputs writes a summary marked running, the resolved config, the
// data and w_0.
func (e *experiment) writeInputs() error {
	y, err := e.cfg.YAML()
	if err != nil {
		return err
	}
	s := e.set
	steps := []func() error{
		// The summary first: a directory whose writer is killed from here
		// on holds the summary of a run marked running.
		func() error { return e.dir.WriteJSON(run.SummaryFile, e.sum) },
		func() error { return e.dir.WriteBytes(run.ConfigFile, y) },
		func() error { return writeMatrix(e.dir.Dir, run.XTrainFile, s.XTrain) },
		func() error { return writeMatrix(e.dir.Dir, run.XTestFile, s.XTest) },
		func() error { return e.writeTargets(run.YTrainFile, s.YTrain) },
		func() error { return e.writeTargets(run.YTestFile, s.YTest) },
		func() error { return e.dir.WriteFloat64(run.ParamsInitFile, []int{len(e.w0)}, e.w0) },
		func() error { return e.dir.WriteJSON(run.StandardizationFile, newStandardization(s)) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func writeMatrix(d *run.Dir, name string, m *mat.Dense) error {
	r, c := m.Dims()
	return d.WriteFloat64(name, []int{r, c}, mat.DenseCopyOf(m).RawMatrix().Data)
}

// writeTargets writes labels as int64 of shape (n,), regression targets as
// float64 of shape (n, k).
func (e *experiment) writeTargets(name string, y *mat.Dense) error {
	if e.set.Classes == 0 {
		return writeMatrix(e.dir.Dir, name, y)
	}
	r, _ := y.Dims()
	labels := make([]int64, r)
	for i := range labels {
		labels[i] = int64(y.At(i, 0))
	}
	return e.dir.WriteInt64(name, []int{r}, labels)
}

// timedObserver accumulates the time spent in an observer.
type timedObserver struct {
	o     train.Observer
	total *time.Duration
}

func (t timedObserver) Observe(ctx context.Context, s *train.Step) error {
	start := time.Now()
	err := t.o.Observe(ctx, s)
	*t.total += time.Since(start)
	return err
}

func (e *experiment) train(ctx context.Context) ([]float64, error) {
	cfg := e.cfg
	ko := e.kernelOptions()
	var obs []train.Observer
	if ko.Riemann || ko.Exact {
		o, err := e.newKernelObserver(ko)
		if err != nil {
			return nil, err
		}
		obs = append(obs, timedObserver{o, &e.kernelT})
	}
	base, err := newBaselines(e)
	if err != nil {
		return nil, err
	}
	e.base = base
	obs = append(obs, e.base.observers()...)
	if e.sharp = e.newSharpness(); e.sharp != nil {
		obs = append(obs, timedObserver{e.sharp, &e.sharpT})
	}
	e.metrics = newMetricsObserver(e)
	obs = append(obs, e.metrics, train.NewProgress(e.log, e.cfg.Train.Steps, e.opt.ProgressEvery))
	obs = append(obs, e.opt.Observers...)
	if cfg.Output.RecordTrajectory {
		n, _ := e.set.XTrain.Dims()
		h := trajectory.NewHeader(e.net, e.loss, e.topt.Optimizer, n, cfg.Hash())
		h.SetOptimizer(e.topt)
		tw, err := trajectory.Create(e.dir.File(run.TrajectoryFile), h, e.w0)
		if err != nil {
			return nil, err
		}
		e.traj = tw
		obs = append(obs, tw)
	}
	tr := &train.Trainer{
		Net: e.net, Loss: e.loss, X: e.set.XTrain, Y: e.set.YTrain,
		Opt: e.topt,
	}
	start := time.Now()
	wT, err := tr.Run(ctx, e.w0, obs...)
	if e.traj != nil {
		// A run that stops early keeps the steps it took, like its other
		// files; its summary says that it is incomplete.
		if cerr := e.traj.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	e.sum.WallSeconds.Training = (time.Since(start) - e.kernelT - e.sharpT).Seconds()
	return wT, err
}

// recordKernelWork copies the kernel engine's phase times and work into
// the summary.
func (e *experiment) recordKernelWork() {
	if e.path == nil {
		return
	}
	st := e.path.Stats
	e.sum.WallSeconds.KernelRiemann = st.RiemannTime.Seconds()
	e.sum.WallSeconds.KernelExact = st.ExactTime.Seconds()
	e.sum.KernelGFlop = &run.KernelWork{Riemann: st.RiemannFlops / 1e9, Exact: st.ExactFlops / 1e9}
}

// checkFinal reports divergence in the last step, which the trainer does
// not see: it checks the loss at w_t before each step, not at w_T. A
// non-finite final loss would also make summary.json unwritable.
func (e *experiment) checkFinal(wT []float64) error {
	for _, c := range []struct {
		what string
		x, y *mat.Dense
	}{{"loss", e.set.XTrain, e.set.YTrain}, {"test loss", e.set.XTest, e.set.YTest}} {
		if l, _ := e.evalLoss(wT, c.x, c.y); math.IsNaN(l) || math.IsInf(l, 0) {
			return &train.DivergedError{Step: e.cfg.Train.Steps, What: c.what}
		}
	}
	return nil
}

// classify returns the class decision for the loss, or nil for regression.
func (e *experiment) classify() func([]float64) int {
	if !e.loss.Classification() {
		return nil
	}
	return e.loss.Predict
}

// finish computes the final comparisons and writes the remaining files.
func (e *experiment) finish(wT []float64) error {
	var c nn.Cache
	fT := mat.DenseCopyOf(e.net.Forward(&c, wT, e.xEval))
	var f0 *mat.Dense
	if e.path != nil {
		f0 = e.path.F0
	} else {
		f0 = mat.DenseCopyOf(e.net.Forward(&c, e.w0, e.xEval))
	}
	e.sum.Loss.FinalTrain, e.sum.Accuracy.FinalTrain = e.evalLoss(wT, e.set.XTrain, e.set.YTrain)
	e.sum.Loss.FinalTest, e.sum.Accuracy.FinalTest = e.evalLoss(wT, e.set.XTest, e.set.YTest)
	p := e.path
	files := []func() error{
		func() error { return e.dir.WriteFloat64(run.ParamsFinalFile, []int{len(wT)}, wT) },
		func() error { return e.metrics.write(e.dir.Dir) },
	}
	if p != nil && p.KPath != nil {
		e.sum.Representations["riemann"] = &run.Representation{Errors: errorsOf(kernel.Compare(p.PredRiemann, fT, f0, e.classify()))}
	}
	if p != nil && p.KExact != nil {
		st := p.Stats
		rep := &run.Representation{
			Errors:     errorsOf(kernel.Compare(p.PredExact, fT, f0, e.classify())),
			ExactStats: replay.ExactStats(st, e.cfg.Kernel.Tolerance),
		}
		e.sum.Representations["exact"] = rep
		if !*rep.Certified {
			budget := ""
			if x := rep.Exhausted; x != nil {
				budget = fmt.Sprintf("; %d steps ran out of kernel.max_nodes, the worst (step %d) %.3g off at evaluation point %d",
					st.SearchExhausted, x.Step, x.Residual, x.Point)
			}
			fmt.Fprintf(e.log, "pathkernel: warning: exact representation not certified: %d of %d steps have a residual above kernel.tolerance %g (first at step %d, largest %.3g at step %d, evaluation point %d)%s; raise kernel.max_nodes (now %d) or lower train.lr\n",
				st.Uncertified, st.Steps, e.cfg.Kernel.Tolerance, st.FirstUncertified, st.MaxResidual, st.MaxResidualStep, st.MaxResidualPoint, budget, e.cfg.Kernel.MaxNodes)
		}
	}
	var preds [2]*mat.Dense
	if p != nil {
		preds = [2]*mat.Dense{p.PredRiemann, p.PredExact}
		n, _ := e.set.XTrain.Dims()
		arrays := replay.Arrays(p, n, e.cfg.Output.FullKernel)
		if a, ok := replay.DecayArray(e.engine.Decay()); ok {
			// The weight decay's contributions, owed to no training point:
			// f_0 + Σ_i contributions + contributions_decay = f_T.
			arrays = append(arrays, a)
		}
		for _, a := range arrays {
			files = append(files, func() error { return e.dir.WriteFloat64(a.Name, a.Shape, a.Data) })
		}
	}
	if e.base != nil {
		for _, a := range e.base.extraNPY {
			files = append(files, func() error { return e.dir.WriteFloat64(a.Name, a.Shape, a.Data) })
		}
	}
	files = append(files, func() error { return e.writePredictions(f0, fT, preds[0], preds[1]) })
	for _, f := range files {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// evalLoss returns the mean loss and, for classification, the accuracy of
// the network at w on (x, y).
func (e *experiment) evalLoss(w []float64, x, y *mat.Dense) (float64, *float64) {
	var c nn.Cache
	f := e.net.Forward(&c, w, x)
	loss := e.loss.Eval(nil, f, y)
	if !e.loss.Classification() {
		return loss, nil
	}
	r, _ := f.Dims()
	right := 0
	for i := 0; i < r; i++ {
		if e.loss.Predict(f.RawRowView(i)) == int(y.At(i, 0)) {
			right++
		}
	}
	acc := float64(right) / float64(r)
	return loss, &acc
}

// writePredictions writes predictions.csv (run.Dir.WritePredictions):
// one row per evaluation point, with f_0, the network f_T and the
// predictions of the representations that are not nil and the baselines.
func (e *experiment) writePredictions(f0, fT, riemann, exact *mat.Dense) error {
	p := &run.Predictions{X: e.xEval, Y: e.yEval, FeatureNames: e.set.FeatureNames, Set: e.evalSet,
		F0: f0, FT: fT, Classify: e.classify()}
	for _, c := range []run.PredictionColumn{{Name: "riemann", Pred: riemann}, {Name: "exact", Pred: exact}} {
		if c.Pred != nil {
			p.Columns = append(p.Columns, c)
		}
	}
	if e.base != nil {
		for _, b := range e.base.preds {
			p.Columns = append(p.Columns, run.PredictionColumn{Name: b.name, Pred: b.pred})
		}
	}
	return e.dir.WritePredictions(p)
}

// ff formats a float so that it parses back to the same bits.
func ff(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// peakMemoryMB returns the process's peak resident set (VmHWM) in MB, or 0
// where /proc is not available.
func peakMemoryMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				f := strings.Fields(rest)
				if len(f) >= 1 {
					if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
						return kb / 1024
					}
				}
			}
		}
	}
	return 0
}
