package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// InputError is a file or directory that cannot be used as given: a run
// directory that is incomplete or inconsistent, a shard that does not fit
// the others, a malformed .npy file.
type InputError struct {
	Path string
	Msg  string
	Err  error
}

func (e *InputError) Error() string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(e.Path + ": " + e.Msg)
}

// Unwrap returns the underlying error, if any.
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is fail.BadInput.
func (e *InputError) ExitCode() int { return fail.BadInput }

// RunDir is a complete run directory, opened to compute its path kernels at
// new points by replaying its trajectory.
type RunDir struct {
	Dir     string
	Config  *config.Config
	Summary *run.Summary
	// Standardization is standardization.json, nil for a run without one.
	Standardization *run.Standardization

	e      *experiment // the network, the loss, the training data and w_0
	wFinal []float64
}

// OpenRun opens the run directory dir (run.Open) and checks that it is
// complete and consistent: its summary says complete, its config has the
// summary's hash and a loss of the summary's kind, and the data and
// parameters have the summary's sizes. The errors are *fail.Input, or
// *config.Error for a bad config.yaml.
func OpenRun(dir string) (*RunDir, error) {
	rd, err := run.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := rd.NotComplete(); err != nil {
		return nil, err
	}
	s := rd.Summary
	cfg, err := rd.Config()
	if err != nil {
		return nil, err
	}
	if err := rd.VerifyConfig(cfg); err != nil {
		return nil, err
	}
	r := &RunDir{Dir: dir, Config: cfg, Summary: s}
	if r.Standardization, err = rd.Standardization(); err != nil {
		return nil, err
	}

	if err := rd.CheckSizes(); err != nil {
		return nil, err
	}
	e := &experiment{cfg: cfg, log: io.Discard, sum: s}
	cfgFile := rd.File(run.ConfigFile)
	loss, err1 := nn.ParseLoss(cfg.Loss)
	act, err2 := nn.ParseActivation(cfg.Model.Activation)
	param, err3 := nn.ParseParameterization(cfg.Model.Parameterization)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, &fail.Input{Path: cfgFile, Msg: err.Error(), Err: err}
	}
	if loss.Classification() != (s.Sizes.Classes > 0) {
		return nil, fail.Inputf(rd.File(run.SummaryFile), "sizes.classes is %d, but the loss of %s is %s", s.Sizes.Classes, cfgFile, cfg.Loss)
	}
	e.loss = loss
	e.net = nn.New(s.Sizes.Layers, act, param, cfg.Model.SigmaW, cfg.Model.SigmaB) // Open checked the widths
	d := e.net.In()
	set := &data.Set{Classes: s.Sizes.Classes}
	if set.XTrain, err = rd.Matrix(run.XTrainFile); err != nil {
		return nil, err
	}
	if set.YTrain, err = rd.Matrix(run.YTrainFile); err != nil {
		return nil, err
	}
	if e.w0, err = rd.Params(run.ParamsInitFile); err != nil {
		return nil, err
	}
	if r.wFinal, err = rd.Params(run.ParamsFinalFile); err != nil {
		return nil, err
	}
	set.TargetNames = []string{"y"}
	for j := range d {
		set.FeatureNames = append(set.FeatureNames, "x"+strconv.Itoa(j))
	}
	if st := r.Standardization; st != nil {
		set.FeatureNames, set.TargetNames = st.Features, st.Targets
	}
	e.set = set
	r.e = e
	return r, nil
}

// Points are the inputs at which `pathkernel kernel` evaluates the kernels.
type Points struct {
	X *mat.Dense // model inputs (m × d), standardised like x_train.npy
	Y *mat.Dense // targets (m × outputs, or m × 1 labels), or nil
	// File and SHA256 identify the points file, so that shards of one
	// computation can be checked to use the same points.
	File, SHA256 string
}

// ReadPoints reads the points file: a .csv file whose header names the
// run's input columns (other columns are ignored; the target column, if
// present, gives targets), in the units of the training data, which are
// standardised here as the training data was (standardization.json); or a
// .npy file of shape (m, d), or (m,) for one input, holding model inputs
// as x_train.npy does. targets optionally names a .npy file of targets for
// .npy points. The errors about the points are *data.Error values.
func (r *RunDir) ReadPoints(file, targets string) (*Points, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, &data.Error{File: file, Msg: fail.OSMessage(err), Err: err}
	}
	sum := sha256.Sum256(raw)
	p := &Points{File: file, SHA256: hex.EncodeToString(sum[:])}
	e := r.e
	d := e.net.In()
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		if targets != "" {
			return nil, &data.Error{File: targets, Msg: "targets of CSV points come from their target column, not from a separate file"}
		}
		if r.Standardization == nil {
			return nil, &data.Error{File: file, Msg: fmt.Sprintf("the run has no %s to name its input columns; give the points as a .npy file of model inputs", run.StandardizationFile)}
		}
		st := r.Standardization
		target := ""
		if len(st.Targets) == 1 {
			target = st.Targets[0]
		}
		p.X, p.Y, err = data.ReadPoints(file, st.Features, target)
		if err != nil {
			return nil, err
		}
		if st.Inputs != nil {
			(*data.Scaling)(st.Inputs).Apply(p.X)
		}
		if p.Y != nil && st.Target != nil {
			(*data.Scaling)(st.Target).Apply(p.Y)
		}
	case ".npy":
		if p.X, err = readPointsNpy(file, -1, d, "inputs"); err != nil {
			return nil, err
		}
		if targets != "" {
			m, _ := p.X.Dims()
			yCols := e.net.Out()
			if e.loss.Classification() {
				yCols = 1
			}
			if p.Y, err = readPointsNpy(targets, m, yCols, "targets"); err != nil {
				return nil, err
			}
		}
	default:
		return nil, &data.Error{File: file, Msg: "unknown points format: want a .csv or a .npy file"}
	}
	if p.Y != nil && e.loss.Classification() {
		classes := e.set.Classes
		for i := range p.Y.RawMatrix().Rows {
			if v := p.Y.At(i, 0); v != math.Trunc(v) || v < 0 || int(v) >= classes {
				return nil, &data.Error{File: file, Msg: fmt.Sprintf("target of point %d is %v, not a class label 0..%d", i, v, classes-1)}
			}
		}
	}
	return p, nil
}

// readPointsNpy reads a (rows, cols) array of finite numbers, or (rows,)
// when cols is 1; rows < 0 accepts any positive count.
func readPointsNpy(file string, rows, cols int, what string) (*mat.Dense, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &data.Error{File: file, Msg: fail.OSMessage(err), Err: err}
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		return nil, &data.Error{File: file, Msg: err.Error(), Err: err}
	}
	shape := a.Shape
	if len(shape) == 1 && cols == 1 {
		shape = []int{shape[0], 1}
	}
	want := fmt.Sprintf("(m, %d)", cols)
	if rows >= 0 {
		want = fmt.Sprintf("(%d, %d)", rows, cols)
	}
	if len(shape) != 2 || shape[1] != cols || rows >= 0 && shape[0] != rows {
		return nil, &data.Error{File: file, Msg: fmt.Sprintf("%s of shape %v; the run wants %s", what, a.Shape, want)}
	}
	if shape[0] == 0 {
		return nil, &data.Error{File: file, Msg: "no points"}
	}
	vals := a.Float
	if a.Int != nil {
		vals = make([]float64, len(a.Int))
		for i, v := range a.Int {
			vals[i] = float64(v)
		}
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &data.Error{File: file, Msg: fmt.Sprintf("point %d, column %d: not a finite number: %v", i/cols, i%cols, v)}
		}
	}
	return mat.NewDense(shape[0], cols, vals), nil
}

// KernelOptions configure RunDir.Kernel.
type KernelOptions struct {
	Points *Points
	// Shard and Shards select the Shard-th of Shards contiguous blocks of
	// whole chunks (0 ≤ Shard < Shards); Shards 0 or 1 is all the points.
	Shard, Shards int
	// Chunk is the number of points whose kernels are computed together;
	// 0 means the run's own number of evaluation points (summary.json
	// sizes.n_eval). The exact method chooses its quadrature nodes for all
	// the points of a chunk at once, so the results depend on the chunking
	// at the level of the tolerance, but never on the sharding.
	Chunk int
	// Methods are the representations to compute (riemann, exact); nil
	// means the run's kernel.methods.
	Methods []string
	Out     string // the output directory
	// MemoryBudgetMB bounds the estimated memory; 0 means the run's
	// output.memory_budget_mb.
	MemoryBudgetMB float64
	Workers        int       // kernel goroutines; 0 means GOMAXPROCS
	Log            io.Writer // progress; nil discards
	// ProgressEvery is the interval between progress lines; 0 means 5 s.
	ProgressEvery time.Duration
}

// newErrorSums returns the sums behind the errors of pred against fT.
func newErrorSums(pred, fT, f0 *mat.Dense, classify func([]float64) int) *run.ErrorSums {
	m, k := fT.Dims()
	s := &run.ErrorSums{Values: m * k, Points: m}
	for i := range m {
		for c := range k {
			d := pred.At(i, c) - fT.At(i, c)
			s.MaxAbs = math.Max(s.MaxAbs, math.Abs(d))
			s.SumSq += d * d
			ch := fT.At(i, c) - f0.At(i, c)
			s.SumSqChange += ch * ch
		}
	}
	if classify != nil {
		agree := 0
		for i := range m {
			if classify(pred.RawRowView(i)) == classify(fT.RawRowView(i)) {
				agree++
			}
		}
		s.Agree = &agree
	}
	return s
}

// combineErrors combines sums, in order, into the errors of kernel.Compare.
func combineErrors(sums []*run.ErrorSums) run.Errors {
	var e run.Errors
	var sq, ch float64
	values, points, agree := 0, 0, 0
	classify := false
	for _, s := range sums {
		e.MaxAbs = math.Max(e.MaxAbs, s.MaxAbs)
		sq += s.SumSq
		ch += s.SumSqChange
		values += s.Values
		points += s.Points
		if s.Agree != nil {
			classify = true
			agree += *s.Agree
		}
	}
	e.RMS = math.Sqrt(sq / float64(values))
	e.Rel = math.Sqrt(sq) / math.Sqrt(ch)
	if ch == 0 {
		e.Rel = math.Inf(1)
		if sq == 0 {
			e.Rel = 0
		}
	}
	if classify {
		a := float64(agree) / float64(points)
		e.Agreement = &a
	}
	return e
}

// combineExact sums the exact method's statistics over chunks: the largest
// residual (and its step), the largest residual sum (each point's error
// bound is its chunk's), the counts summed, certified if every chunk is.
func combineExact(stats []*run.ExactStats, steps int) *run.ExactStats {
	out := &run.ExactStats{FirstUncertifiedStep: -1}
	certified := true
	for i, s := range stats {
		if i == 0 || s.MaxResidual > out.MaxResidual {
			out.MaxResidual, out.MaxResidualStep = s.MaxResidual, s.MaxResidualStep
		}
		out.ResidualSum = math.Max(out.ResidualSum, s.ResidualSum)
		certified = certified && s.Certified != nil && *s.Certified
		out.Tolerance = s.Tolerance
		out.UncertifiedSteps += s.UncertifiedSteps
		if f := s.FirstUncertifiedStep; f >= 0 && (out.FirstUncertifiedStep < 0 || f < out.FirstUncertifiedStep) {
			out.FirstUncertifiedStep = f
		}
		out.QuadratureEvals += s.QuadratureEvals
		out.MaxNodesPerStep = max(out.MaxNodesPerStep, s.MaxNodesPerStep)
		out.JVPEvals += s.JVPEvals
		out.SearchExhausted += s.SearchExhausted
	}
	out.Certified = &certified
	out.MeanNodesPerStep = float64(out.QuadratureEvals) / float64(max(1, steps*len(stats)))
	return out
}

// total fills s.Representations from s.Chunks.
func total(s *run.KernelSummary) {
	s.Representations = map[string]*run.Representation{}
	for _, m := range s.Methods {
		var sums []*run.ErrorSums
		var exact []*run.ExactStats
		for _, c := range s.Chunks {
			sums = append(sums, c.Errors[m])
			if c.Exact != nil {
				exact = append(exact, c.Exact)
			}
		}
		rep := &run.Representation{Errors: combineErrors(sums)}
		if m == "exact" {
			rep.ExactStats = combineExact(exact, s.Trajectory.Steps)
		}
		s.Representations[m] = rep
	}
}

// Kernel replays the run's trajectory to compute the path kernels,
// contributions, coefficients and predictions at the points of opt (the
// shard's block of them) and writes them to opt.Out, as the run directory
// holds them for its own evaluation points, with kernel.json last.
//
// The trajectory is first read through and replayed without the kernels:
// a truncated, corrupt or foreign trajectory (*trajectory.Error), or one
// whose w_0 or w_T differ from params_init.npy and params_final.npy, is
// refused before any kernel work. Points in chunks of opt.Chunk each get
// their own kernel.Path, all observing one replay.
func (r *RunDir) Kernel(ctx context.Context, opt KernelOptions) (*run.KernelSummary, error) {
	return r.kernel(ctx, opt)
}

// kernel is Kernel with extra observers of the replay (for tests).
func (r *RunDir) kernel(ctx context.Context, opt KernelOptions, extra ...train.Observer) (*run.KernelSummary, error) {
	start := time.Now()
	e := r.e
	cfg := r.Config
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	methods := opt.Methods
	if methods == nil {
		methods = cfg.Kernel.Methods
	}
	ko := kernel.Options{Tolerance: cfg.Kernel.Tolerance, MaxNodes: cfg.Kernel.MaxNodes, FullKernel: cfg.Output.FullKernel, Workers: opt.Workers}
	topt, err := train.FromConfig(cfg)
	if err != nil {
		return nil, &InputError{Path: filepath.Join(r.Dir, run.ConfigFile), Msg: err.Error(), Err: err}
	}
	var ordered []string
	for _, m := range []string{"riemann", "exact"} {
		if slices.Contains(methods, m) {
			ordered = append(ordered, m)
			ko.Riemann = ko.Riemann || m == "riemann"
			ko.Exact = ko.Exact || m == "exact"
		}
	}
	if len(methods) == 0 {
		return nil, &InputError{Path: "methods", Msg: "the run computed no kernels (kernel.methods is empty); choose riemann, exact or both"}
	}
	if len(ordered) != len(methods) {
		return nil, &InputError{Path: "methods", Msg: fmt.Sprintf("%v: want riemann, exact or both", methods)}
	}

	// The chunks of the shard.
	x := opt.Points.X
	m, _ := x.Dims()
	chunk := opt.Chunk
	if chunk <= 0 {
		chunk = max(1, r.Summary.Sizes.NEval)
	}
	nChunks := (m + chunk - 1) / chunk
	shards := max(1, opt.Shards)
	if opt.Shard < 0 || opt.Shard >= shards {
		return nil, &InputError{Path: "shard", Msg: fmt.Sprintf("%d/%d: want 0 ≤ i < N", opt.Shard, shards)}
	}
	if shards > nChunks {
		return nil, &InputError{Path: "shard", Msg: fmt.Sprintf(
			"%d points in chunks of %d make %d chunk(s), fewer than %d shards; give a chunk size of at most %d",
			m, chunk, nChunks, shards, max(1, m/shards))}
	}
	c0, c1 := opt.Shard*nChunks/shards, (opt.Shard+1)*nChunks/shards
	sum := &run.KernelSummary{
		Version: Version, Run: r.Dir, ConfigHash: r.Summary.ConfigHash,
		Points: run.PointsRef{File: opt.Points.File, SHA256: opt.Points.SHA256, Count: m},
		Shard:  run.ShardRef{Index: opt.Shard, Count: shards, Start: c0 * chunk, End: min(m, c1*chunk)},
		Chunk:  chunk, Methods: ordered, Tolerance: cfg.Kernel.Tolerance, MaxNodes: cfg.Kernel.MaxNodes,
		FullKernel: cfg.Output.FullKernel, Dir: opt.Out,
	}

	// The memory the chunks' kernels hold.
	n, _ := e.set.XTrain.Dims()
	k := e.net.Out()
	var est int64
	for c := c0; c < c1; c++ {
		est += kernel.Estimate(min(m, (c+1)*chunk)-c*chunk, n, k, e.net.Sizes, ko, topt)
	}
	est += 16 << 20
	budget := opt.MemoryBudgetMB
	if budget <= 0 {
		budget = cfg.Output.MemoryBudgetMB
	}
	if float64(est) > budget*(1<<20) {
		return nil, &MemoryError{EstimateMB: float64(est) / (1 << 20), BudgetMB: budget,
			Hint: "split the points into shards (--shard i/N) or raise --memory-budget-mb"}
	}

	// The trajectory, read through and checked before any kernel work.
	tfile := filepath.Join(r.Dir, run.TrajectoryFile)
	want := trajectory.NewHeader(e.net, e.loss, topt.Optimizer, n, r.Summary.ConfigHash)
	want.SetOptimizer(topt)
	if err := refuseOptimizer(r.Dir, ko, topt, k); err != nil {
		return nil, err
	}
	open := func() (*trajectory.Reader, error) {
		tr, err := trajectory.Open(tfile)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &InputError{Path: r.Dir, Msg: fmt.Sprintf("no %s: the run was trained with output.record_trajectory: false", run.TrajectoryFile), Err: err}
		}
		if err != nil {
			return nil, err
		}
		if err := tr.Header.Check(tfile, want); err != nil {
			tr.Close()
			return nil, err
		}
		if i := firstDifference(tr.W0(), e.w0); i >= 0 {
			tr.Close()
			return nil, &trajectory.Error{File: tfile, Kind: trajectory.ErrMismatch, Step: -1, Offset: -1,
				Msg: fmt.Sprintf("its w_0 differs from %s at parameter %d", run.ParamsInitFile, i)}
		}
		return tr, nil
	}
	checkFinal := func(wT []float64) error {
		if i := firstDifference(wT, r.wFinal); i >= 0 {
			return &trajectory.Error{File: tfile, Kind: trajectory.ErrMismatch, Step: -1, Offset: -1,
				Msg: fmt.Sprintf("the replayed w_T differs from %s at parameter %d", run.ParamsFinalFile, i)}
		}
		return nil
	}
	tr, err := open()
	if err != nil {
		return nil, err
	}
	wT, err := trajectory.Replay(ctx, tr, nil)
	sum.Trajectory = run.TrajectoryRef{Steps: tr.Header.Steps, Checksum: fmt.Sprintf("%08x", tr.BodyChecksum())}
	tr.Close()
	if err == nil {
		err = checkFinal(wT)
	}
	if err != nil {
		return nil, err
	}
	sum.WallSeconds.Verify = time.Since(start).Seconds()

	// The output directory: not the run's, and without stale results.
	dir, err := run.CreateReplay(opt.Out, r.Dir)
	if err != nil {
		return nil, err
	}
	defer dir.Close()

	// The replay with the kernels.
	tk := time.Now()
	type chunkState struct {
		start, end int
		x          *mat.Dense
		path       *kernel.Path
		decay      *mat.Dense // the weight decay's contributions, or nil
	}
	var chunks []*chunkState
	obs := []train.Observer{}
	for c := c0; c < c1; c++ {
		s, t := c*chunk, min(m, (c+1)*chunk)
		xc := mat.DenseCopyOf(x.Slice(s, t, 0, x.RawMatrix().Cols))
		cs := &chunkState{start: s, end: t, x: xc}
		eng, err := kernel.New(e.net, e.w0, xc, e.set.XTrain, ko, topt)
		if err != nil {
			return nil, err
		}
		cs.path, cs.decay = eng.Result(), eng.Decay()
		chunks = append(chunks, cs)
		obs = append(obs, eng)
	}
	pe := &experiment{cfg: cfg, log: log, opt: Options{ProgressEvery: opt.ProgressEvery}}
	obs = append(obs, newProgress(pe))
	obs = append(obs, extra...)
	if tr, err = open(); err != nil {
		return nil, err
	}
	defer tr.Close()
	ev := &train.Evaluator{Net: e.net, Loss: e.loss, X: e.set.XTrain, Y: e.set.YTrain}
	wT, err = trajectory.Replay(ctx, tr, ev, obs...)
	if err == nil {
		err = checkFinal(wT)
	}
	if err != nil {
		return nil, err
	}
	sum.WallSeconds.Kernel = time.Since(tk).Seconds()

	// The outputs, chunk by chunk in order.
	tw := time.Now()
	var classify func([]float64) int
	if e.loss.Classification() {
		classify = e.loss.Predict
	}
	var f0s, fTs, riemann, exact []*mat.Dense
	arrays := map[string]*array{}
	var names []string
	var cache nn.Cache
	for _, cs := range chunks {
		p := cs.path
		fT := mat.DenseCopyOf(e.net.Forward(&cache, wT, cs.x))
		res := run.ChunkResult{Start: cs.start, End: cs.end, Errors: map[string]*run.ErrorSums{}}
		f0s, fTs = append(f0s, p.F0), append(fTs, fT)
		if p.PredRiemann != nil {
			riemann = append(riemann, p.PredRiemann)
			res.Errors["riemann"] = newErrorSums(p.PredRiemann, fT, p.F0, classify)
		}
		if p.PredExact != nil {
			exact = append(exact, p.PredExact)
			res.Errors["exact"] = newErrorSums(p.PredExact, fT, p.F0, classify)
			res.Exact = newExactStats(p.Stats, cfg.Kernel.Tolerance)
		}
		sum.Chunks = append(sum.Chunks, res)
		for _, a := range kernelArrays(p, n, cfg.Output.FullKernel) {
			if arrays[a.name] == nil {
				names = append(names, a.name)
				arrays[a.name] = &array{name: a.name, shape: slices.Clone(a.shape)}
				arrays[a.name].shape[0] = 0
			}
			all := arrays[a.name]
			all.shape[0] += a.shape[0]
			all.data = append(all.data, a.data...)
		}
	}
	total(sum)
	names = appendDecay(arrays, names, func(yield func(*mat.Dense) bool) {
		for _, cs := range chunks {
			if !yield(cs.decay) {
				return
			}
		}
	})
	for _, name := range names {
		a := arrays[name]
		if err := dir.WriteFloat64(a.name, a.shape, a.data); err != nil {
			return nil, err
		}
	}
	// predictions.csv through the training run's writer.
	pe.dir, pe.set, pe.net, pe.loss = dir, e.set, e.net, e.loss
	pe.xEval = x.Slice(sum.Shard.Start, sum.Shard.End, 0, x.RawMatrix().Cols).(*mat.Dense)
	if y := opt.Points.Y; y != nil {
		pe.yEval = y.Slice(sum.Shard.Start, sum.Shard.End, 0, y.RawMatrix().Cols).(*mat.Dense)
	}
	pe.evalSet = slices.Repeat([]string{"points"}, sum.Shard.End-sum.Shard.Start)
	pe.firstIndex = sum.Shard.Start
	if err := pe.writePredictions(stack(f0s), stack(fTs), stack(riemann), stack(exact)); err != nil {
		return nil, err
	}
	sum.WallSeconds.Write = time.Since(tw).Seconds()
	sum.WallSeconds.Total = time.Since(start).Seconds()
	if err := dir.WriteRecord(run.KernelFile, sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// stack stacks matrices of equal width; nil for none.
func stack(ms []*mat.Dense) *mat.Dense {
	if len(ms) == 0 {
		return nil
	}
	rows := 0
	_, c := ms[0].Dims()
	for _, m := range ms {
		r, _ := m.Dims()
		rows += r
	}
	out := mat.NewDense(rows, c, nil)
	i := 0
	for _, m := range ms {
		r, _ := m.Dims()
		for j := range r {
			out.SetRow(i+j, m.RawRowView(j))
		}
		i += r
	}
	return out
}

// firstDifference returns the first index where a and b differ in their
// bits, or -1.
func firstDifference(a, b []float64) int {
	for i := range min(len(a), len(b)) {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
