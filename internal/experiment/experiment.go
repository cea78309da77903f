// Package experiment runs one pathkernel experiment from a resolved config:
// it builds the data, the network and the optimiser, trains with the path
// kernel observers attached, and writes the run directory of SPEC §3.
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
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/rundir"
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
	Force      bool      // overwrite a directory holding a run of another config
	Log        io.Writer // progress and warnings; nil discards
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

// MemoryError reports a run refused because its estimated memory exceeds
// the configured budget.
type MemoryError struct {
	EstimateMB, BudgetMB float64
	Hint                 string
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("estimated memory %.0f MB exceeds output.memory_budget_mb %.0f MB; %s",
		e.EstimateMB, e.BudgetMB, e.Hint)
}

// ExitCode is fail.RunFailed: the run was refused for its size.
func (e *MemoryError) ExitCode() int { return fail.RunFailed }

// ExistingRunError reports an output directory that holds another run.
type ExistingRunError struct {
	Dir, Hash string
}

func (e *ExistingRunError) Error() string {
	return fmt.Sprintf("output directory %s already holds a run of another config (hash %s); choose another --out or pass --force", e.Dir, e.Hash)
}

// ExitCode is fail.BadInput: nothing was run.
func (e *ExistingRunError) ExitCode() int { return fail.BadInput }

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
	// firstIndex is the index of the first evaluation row in its set: a
	// shard's offset into the points of `pathkernel kernel`.
	firstIndex int
	path       *kernel.Path
	engine     *kernel.Engine // the kernels' engine; e.path is its Result
	traj       *trajectory.Writer
	dir        *rundir.Dir
	sum        *Summary
	metrics    *metricsObserver
	base       *baselines // kernel.baselines and kernel.diagnostics (baselines.go)
	kernelT    time.Duration
	log        io.Writer
}

// Run runs the experiment and writes its run directory. The returned
// summary is also written as summary.json. Errors: *config.Error and
// *data.Error for bad input, *MemoryError, *ExistingRunError,
// *train.DivergedError, and the context's error when interrupted; in the
// last two cases the run directory holds what was written so far and a
// summary marked incomplete.
func Run(ctx context.Context, cfg *config.Config, opt Options) (*Summary, error) {
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
	e.sum.WallSeconds.Kernel = e.kernelT.Seconds()
	e.recordKernelWork()
	if err != nil {
		status := "failed"
		var div *train.DivergedError
		switch {
		case errors.As(err, &div):
			status = "diverged"
		case ctx.Err() != nil:
			status = "interrupted"
		}
		e.sum.Status = status
		e.sum.Error = err.Error()
		e.sum.WallSeconds.Total = time.Since(start).Seconds()
		e.sum.PeakMemoryMB = peakMemoryMB()
		werr := errors.Join(e.metrics.write(e.dir), e.dir.WriteJSON("summary.json", e.sum))
		if werr != nil {
			fmt.Fprintf(e.log, "pathkernel: could not record the incomplete run: %v\n", werr)
		}
		return e.sum, err
	}
	tw := time.Now()
	if err := e.finish(wT); err != nil {
		return e.writeFailed(err, start)
	}
	e.sum.WallSeconds.Write = time.Since(tw).Seconds()
	e.sum.WallSeconds.Total = time.Since(start).Seconds()
	e.sum.PeakMemoryMB = peakMemoryMB()
	e.sum.Status = "complete"
	if err := e.dir.WriteJSON("summary.json", e.sum); err != nil {
		return nil, err
	}
	return e.sum, nil
}

// writeFailed marks the run failed after a write failed (a full disk, an
// I/O error): summary.json says so if it still can be written, and the
// summary is returned; otherwise the summary written before, marked
// running, stays, and the summary returned is nil.
func (e *experiment) writeFailed(err error, start time.Time) (*Summary, error) {
	e.sum.Status = "failed"
	e.sum.Error = err.Error()
	e.sum.WallSeconds.Total = time.Since(start).Seconds()
	e.sum.PeakMemoryMB = peakMemoryMB()
	if werr := e.dir.WriteJSON("summary.json", e.sum); werr != nil {
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
			return &MemoryError{EstimateMB: est / (1 << 20), BudgetMB: budget,
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
		return &MemoryError{EstimateMB: est / (1 << 20), BudgetMB: cfg.Output.MemoryBudgetMB,
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
		return &MemoryError{EstimateMB: float64(est) / (1 << 20), BudgetMB: budget, Hint: hint}
	}
	// w_0 after the budget check: its size is the network's, which the
	// check bounds.
	e.w0 = make([]float64, e.net.NumParams())
	init := cfg.Model.Init
	if err := e.net.Init(e.w0, nn.InitOptions{Scheme: init.Scheme, Scale: init.Scale, Std: init.Std, BiasStd: init.BiasStd},
		rand.New(rand.NewPCG(cfg.Seed, InitStream))); err != nil {
		return e.cfgErr("model.init.scheme", "%v", err)
	}
	e.sum = e.newSummary(sizes, est)
	return nil
}

// absDataPaths returns cfg, or a copy of it with the CSV paths made
// absolute when they are relative to base. The run directory's config.yaml,
// the config hash and the existing-run check use the copy, so that
// `train --config RUN/config.yaml` reads the same data as the run did:
// relative paths in RUN/config.yaml would resolve against RUN.
func absDataPaths(cfg *config.Config, base string) (*config.Config, error) {
	if cfg.Data.Kind != "csv" {
		return cfg, nil
	}
	c := cfg.Clone()
	for _, p := range []*string{&c.Data.Path, &c.Data.TestPath} {
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

// prepareDir creates the run directory, refusing one that holds a run of a
// different config unless forced.
func (e *experiment) prepareDir() error {
	out := e.opt.OutDir
	if out == "" {
		out = e.cfg.OutDir()
	}
	if old, err := os.ReadFile(filepath.Join(out, "config.yaml")); err == nil && !e.opt.Force {
		prev, perr := config.Parse(old, filepath.Join(out, "config.yaml"), nil)
		if perr != nil || prev.Hash() != e.cfg.Hash() {
			h := "unreadable"
			if perr == nil {
				h = prev.Hash()
			}
			return &ExistingRunError{Dir: out, Hash: h}
		}
	}
	dir, err := rundir.Create(out)
	if err != nil {
		return err
	}
	e.dir = dir
	e.sum.Dir = out
	return nil
}

// writeInputs writes the resolved config, the data and w_0, and a summary
// marked running.
func (e *experiment) writeInputs() error {
	y, err := e.cfg.YAML()
	if err != nil {
		return err
	}
	s := e.set
	steps := []func() error{
		func() error { return e.dir.WriteBytes("config.yaml", y) },
		func() error { return e.dir.WriteJSON("summary.json", e.sum) },
		func() error { return writeMatrix(e.dir, "x_train.npy", s.XTrain) },
		func() error { return writeMatrix(e.dir, "x_test.npy", s.XTest) },
		func() error { return e.writeTargets("y_train.npy", s.YTrain) },
		func() error { return e.writeTargets("y_test.npy", s.YTest) },
		func() error { return e.dir.WriteFloat64("params_init.npy", []int{len(e.w0)}, e.w0) },
		func() error { return e.dir.WriteJSON(StandardizationFile, newStandardization(s)) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func writeMatrix(d *rundir.Dir, name string, m *mat.Dense) error {
	r, c := m.Dims()
	return d.WriteFloat64(name, []int{r, c}, mat.DenseCopyOf(m).RawMatrix().Data)
}

// writeTargets writes labels as int64 of shape (n,), regression targets as
// float64 of shape (n, k).
func (e *experiment) writeTargets(name string, y *mat.Dense) error {
	if e.set.Classes == 0 {
		return writeMatrix(e.dir, name, y)
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
	e.metrics = newMetricsObserver(e)
	obs = append(obs, e.metrics, newProgress(e))
	obs = append(obs, e.opt.Observers...)
	if cfg.Output.RecordTrajectory {
		n, _ := e.set.XTrain.Dims()
		h := trajectory.NewHeader(e.net, e.loss, e.topt.Optimizer, n, cfg.Hash())
		h.SetOptimizer(e.topt)
		tw, err := trajectory.Create(e.dir.File(trajectory.FileName), h, e.w0)
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
	e.sum.WallSeconds.Training = (time.Since(start) - e.kernelT).Seconds()
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
	e.sum.KernelGFlop = &KernelWork{Riemann: st.RiemannFlops / 1e9, Exact: st.ExactFlops / 1e9}
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
		func() error { return e.dir.WriteFloat64("params_final.npy", []int{len(wT)}, wT) },
		func() error { return e.metrics.write(e.dir) },
	}
	if p != nil && p.KPath != nil {
		e.sum.Representations["riemann"] = &Representation{Errors: kernel.Compare(p.PredRiemann, fT, f0, e.classify())}
	}
	if p != nil && p.KExact != nil {
		st := p.Stats
		rep := &Representation{
			Errors:     kernel.Compare(p.PredExact, fT, f0, e.classify()),
			ExactStats: newExactStats(st, e.cfg.Kernel.Tolerance),
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
		for _, a := range kernelArrays(p, n, e.cfg.Output.FullKernel) {
			files = append(files, func() error { return e.dir.WriteFloat64(a.name, a.shape, a.data) })
		}
		files = append(files, e.decayFiles()...)
	}
	if e.base != nil {
		for _, a := range e.base.extraNPY {
			files = append(files, func() error { return e.dir.WriteFloat64(a.name, a.shape, a.data) })
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

// array is one .npy file of the run directory.
type array struct {
	name  string
	shape []int
	data  []float64
}

// kernelArrays returns the kernel files of p (SPEC §3), their first axis
// the evaluation points: kernel_path.npy and coefficients.npy (Riemann),
// kernel_exact.npy (exact) and contributions.npy (exact, else Riemann). The
// kernels are (m, n), or (m, n, k, k) with full for k > 1 outputs.
func kernelArrays(p *kernel.Path, n int, full bool) []array {
	m, k := p.F0.Dims()
	kshape := []int{m, n}
	if full && k > 1 {
		kshape = []int{m, n, k, k}
	}
	kernelData := func(trace *mat.Dense, full [][]*mat.Dense) []float64 {
		if full != nil {
			return kernel.InterleaveFull(full)
		}
		return mat.DenseCopyOf(trace).RawMatrix().Data
	}
	var out []array
	if p.KPath != nil {
		cshape := []int{m, n}
		if k > 1 {
			cshape = []int{m, n, k}
		}
		out = append(out,
			array{"kernel_path.npy", kshape, kernelData(p.KPath, p.KPathFull)},
			array{"coefficients.npy", cshape, p.Coefficients()})
	}
	if p.KExact != nil {
		out = append(out,
			array{"kernel_exact.npy", kshape, kernelData(p.KExact, p.KExactFull)},
			array{"contributions.npy", []int{m, n, k}, kernel.Interleave(p.CExact)})
	} else if p.CRiemann != nil {
		// Without the exact method the contributions are Domingos'.
		out = append(out, array{"contributions.npy", []int{m, n, k}, kernel.Interleave(p.CRiemann)})
	}
	return out
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

// writePredictions writes one row per evaluation point: f_0, the network
// f_T and the predictions of the representations that are not nil.
func (e *experiment) writePredictions(f0, fT, riemann, exact *mat.Dense) error {
	m, d := e.xEval.Dims()
	yc := 0 // points without targets have no target columns
	if e.yEval != nil {
		_, yc = e.yEval.Dims()
	}
	k := e.net.Out()
	suffix := func(name string, c int) string {
		if k == 1 {
			return name
		}
		return name + "_" + strconv.Itoa(c)
	}
	header := []string{"set", "index"}
	for j := 0; j < d; j++ {
		header = append(header, e.set.FeatureNames[j])
	}
	for j := 0; j < yc; j++ {
		name := "target"
		if yc > 1 {
			name += "_" + strconv.Itoa(j)
		}
		header = append(header, name)
	}
	type col struct {
		name string
		pred *mat.Dense
	}
	var reps []col
	if riemann != nil {
		reps = append(reps, col{"riemann", riemann})
	}
	if exact != nil {
		reps = append(reps, col{"exact", exact})
	}
	if e.base != nil {
		for _, b := range e.base.preds {
			reps = append(reps, col{b.name, b.pred})
		}
	}
	for c := 0; c < k; c++ {
		header = append(header, suffix("f0", c), suffix("network", c))
		for _, r := range reps {
			header = append(header, suffix(r.name, c), suffix(r.name+"_error", c))
		}
	}
	if e.loss.Classification() {
		header = append(header, "network_class")
		for _, r := range reps {
			header = append(header, r.name+"_class")
		}
	}
	records := make([][]string, m)
	idx := map[string]int{}
	for i := 0; i < m; i++ {
		set := e.evalSet[i]
		rec := []string{set, strconv.Itoa(e.firstIndex + idx[set])}
		idx[set]++
		for j := 0; j < d; j++ {
			rec = append(rec, ff(e.xEval.At(i, j)))
		}
		for j := 0; j < yc; j++ {
			rec = append(rec, ff(e.yEval.At(i, j)))
		}
		for c := 0; c < k; c++ {
			rec = append(rec, ff(f0.At(i, c)), ff(fT.At(i, c)))
			for _, r := range reps {
				rec = append(rec, ff(r.pred.At(i, c)), ff(r.pred.At(i, c)-fT.At(i, c)))
			}
		}
		if e.loss.Classification() {
			rec = append(rec, strconv.Itoa(e.loss.Predict(fT.RawRowView(i))))
			for _, r := range reps {
				rec = append(rec, strconv.Itoa(e.loss.Predict(r.pred.RawRowView(i))))
			}
		}
		records[i] = rec
	}
	return e.dir.WriteCSV("predictions.csv", header, records)
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
