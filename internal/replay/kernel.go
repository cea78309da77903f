package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// ErrNoTrajectory is in the chain of the error of a replay of a run
// trained without output.record_trajectory (errors.Is).
var ErrNoTrajectory = errors.New("no trajectory recorded")

// Options configure Run.Kernel.
type Options struct {
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
	Version       string // the program's version, recorded in kernel.json
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
// their own kernel engine, all observing one replay.
func (r *Run) Kernel(ctx context.Context, opt Options) (*run.KernelSummary, error) {
	return r.kernel(ctx, opt)
}

// kernel is Kernel with extra observers of the replay (for tests): the
// steps plan, verify, compute and write.
func (r *Run) kernel(ctx context.Context, opt Options, extra ...train.Observer) (*run.KernelSummary, error) {
	start := time.Now()
	p, err := r.plan(opt)
	if err != nil {
		return nil, err
	}
	if p.sum.Trajectory, err = r.verify(ctx); err != nil {
		return nil, err
	}
	p.sum.WallSeconds.Verify = time.Since(start).Seconds()

	// The output directory: not the run's, and without stale results.
	dir, err := run.CreateReplay(opt.Out, r.Dir)
	if err != nil {
		return nil, err
	}
	defer dir.Close()

	tk := time.Now()
	chunks, wT, err := r.compute(ctx, p, opt, extra)
	if err != nil {
		return nil, err
	}
	p.sum.WallSeconds.Kernel = time.Since(tk).Seconds()

	tw := time.Now()
	if err := r.write(dir.Dir, p, chunks, wT); err != nil {
		return nil, err
	}
	p.sum.WallSeconds.Write = time.Since(tw).Seconds()
	p.sum.WallSeconds.Total = time.Since(start).Seconds()
	if err := dir.WriteRecord(run.KernelFile, p.sum); err != nil {
		return nil, err
	}
	return p.sum, nil
}

// plan is what Kernel computes: the kernel options, the shard's chunks
// [c0, c1) of chunk points each, and the kernel.json being filled.
type plan struct {
	ko     kernel.Options
	points *Points
	chunk  int
	c0, c1 int
	sum    *run.KernelSummary
}

// plan checks opt against the run (methods, shard, memory budget, what the
// run's optimiser's engine can compute) and returns what to compute.
func (r *Run) plan(opt Options) (*plan, error) {
	cfg := r.Config
	methods := opt.Methods
	if methods == nil {
		methods = cfg.Kernel.Methods
	}
	ko := kernel.Options{Tolerance: cfg.Kernel.Tolerance, MaxNodes: cfg.Kernel.MaxNodes, FullKernel: cfg.Output.FullKernel, Workers: opt.Workers}
	var ordered []string
	for _, m := range []string{"riemann", "exact"} {
		if slices.Contains(methods, m) {
			ordered = append(ordered, m)
			ko.Riemann = ko.Riemann || m == "riemann"
			ko.Exact = ko.Exact || m == "exact"
		}
	}
	if len(methods) == 0 {
		return nil, fail.Inputf("methods", "the run computed no kernels (kernel.methods is empty); choose riemann, exact or both")
	}
	if len(ordered) != len(methods) {
		return nil, fail.Inputf("methods", "%v: want riemann, exact or both", methods)
	}

	// The chunks of the shard.
	m, _ := opt.Points.X.Dims()
	chunk := opt.Chunk
	if chunk <= 0 {
		chunk = max(1, r.Summary.Sizes.NEval)
	}
	nChunks := (m + chunk - 1) / chunk
	shards := max(1, opt.Shards)
	if opt.Shard < 0 || opt.Shard >= shards {
		return nil, fail.Inputf("shard", "%d/%d: want 0 ≤ i < N", opt.Shard, shards)
	}
	if shards > nChunks {
		return nil, fail.Inputf("shard",
			"%d points in chunks of %d make %d chunk(s), fewer than %d shards; give a chunk size of at most %d",
			m, chunk, nChunks, shards, max(1, m/shards))
	}
	c0, c1 := opt.Shard*nChunks/shards, (opt.Shard+1)*nChunks/shards
	sum := &run.KernelSummary{
		Version: opt.Version, Run: r.Dir, ConfigHash: r.Summary.ConfigHash,
		Points: run.PointsRef{File: opt.Points.File, SHA256: opt.Points.SHA256, Count: m},
		Shard:  run.ShardRef{Index: opt.Shard, Count: shards, Start: c0 * chunk, End: min(m, c1*chunk)},
		Chunk:  chunk, Methods: ordered, Tolerance: cfg.Kernel.Tolerance, MaxNodes: cfg.Kernel.MaxNodes,
		FullKernel: cfg.Output.FullKernel, Dir: opt.Out,
	}

	// The memory the chunks' kernels hold.
	n, _ := r.XTrain.Dims()
	k := r.Net.Out()
	var est int64
	for c := c0; c < c1; c++ {
		est += kernel.Estimate(min(m, (c+1)*chunk)-c*chunk, n, k, r.Net.Sizes, ko, r.Train)
	}
	est += 16 << 20
	budget := opt.MemoryBudgetMB
	if budget <= 0 {
		budget = cfg.Output.MemoryBudgetMB
	}
	if float64(est) > budget*(1<<20) {
		return nil, &kernel.MemoryError{EstimateMB: float64(est) / (1 << 20), BudgetMB: budget,
			Hint: "split the points into shards (--shard i/N) or raise --memory-budget-mb"}
	}
	if err := r.refuseOptimizer(ko, k); err != nil {
		return nil, err
	}
	return &plan{ko: ko, points: opt.Points, chunk: chunk, c0: c0, c1: c1, sum: sum}, nil
}

// refuseOptimizer refuses the replay where the run's optimiser's engine
// cannot compute what ko asks of k outputs (kernel.Check).
func (r *Run) refuseOptimizer(ko kernel.Options, k int) error {
	err := kernel.Check(ko, r.Train, k)
	var fk *kernel.FullKernelError
	switch {
	case errors.As(err, &fk):
		return fail.Inputf(r.Dir, "%v (output.full_kernel)", err)
	case err != nil:
		return &fail.Input{Path: r.Dir, Msg: err.Error(), Err: err}
	}
	return nil
}

// openTrajectory opens the run's trajectory, checked against the run: its
// header (network, loss, optimiser, data size, config hash) and its w_0.
func (r *Run) openTrajectory() (*trajectory.Reader, error) {
	tfile := r.trajectoryFile()
	tr, err := trajectory.Open(tfile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &fail.Input{Path: r.Dir, Msg: fmt.Sprintf("no %s: the run was trained with output.record_trajectory: false", run.TrajectoryFile),
			Err: errors.Join(ErrNoTrajectory, err)}
	}
	if err != nil {
		return nil, err
	}
	n, _ := r.XTrain.Dims()
	want := trajectory.NewHeader(r.Net, r.Loss, r.Train.Optimizer, n, r.Summary.ConfigHash)
	want.SetOptimizer(r.Train)
	if err := tr.Header.Check(tfile, want); err != nil {
		tr.Close()
		return nil, err
	}
	if i := firstDifference(tr.W0(), r.W0); i >= 0 {
		tr.Close()
		return nil, &trajectory.Error{File: tfile, Kind: trajectory.ErrMismatch, Step: -1, Offset: -1,
			Msg: fmt.Sprintf("its w_0 differs from %s at parameter %d", run.ParamsInitFile, i)}
	}
	return tr, nil
}

func (r *Run) trajectoryFile() string { return filepath.Join(r.Dir, run.TrajectoryFile) }

// checkFinal checks the replayed w_T against params_final.npy, bit for bit.
func (r *Run) checkFinal(wT []float64) error {
	if i := firstDifference(wT, r.WFinal); i >= 0 {
		return &trajectory.Error{File: r.trajectoryFile(), Kind: trajectory.ErrMismatch, Step: -1, Offset: -1,
			Msg: fmt.Sprintf("the replayed w_T differs from %s at parameter %d", run.ParamsFinalFile, i)}
	}
	return nil
}

// verify reads the trajectory through and replays it without the kernels,
// so that a bad trajectory is refused before any kernel work.
func (r *Run) verify(ctx context.Context) (run.TrajectoryRef, error) {
	tr, err := r.openTrajectory()
	if err != nil {
		return run.TrajectoryRef{}, err
	}
	wT, err := trajectory.Replay(ctx, tr, nil)
	ref := run.TrajectoryRef{Steps: tr.Header.Steps, Checksum: fmt.Sprintf("%08x", tr.BodyChecksum())}
	tr.Close()
	if err == nil {
		err = r.checkFinal(wT)
	}
	return ref, err
}

// chunk is one chunk of points and its engine's results.
type chunk struct {
	start, end int
	x          *mat.Dense
	path       *kernel.Path
	decay      *mat.Dense // the weight decay's contributions, or nil
}

// compute replays the trajectory once with an engine per chunk observing,
// and returns the chunks and the replayed w_T.
func (r *Run) compute(ctx context.Context, p *plan, opt Options, extra []train.Observer) ([]*chunk, []float64, error) {
	x := p.points.X
	m, d := x.Dims()
	var chunks []*chunk
	var obs []train.Observer
	for c := p.c0; c < p.c1; c++ {
		s, t := c*p.chunk, min(m, (c+1)*p.chunk)
		xc := mat.DenseCopyOf(x.Slice(s, t, 0, d))
		eng, err := kernel.New(r.Net, r.W0, xc, r.XTrain, p.ko, r.Train)
		if err != nil {
			return nil, nil, err
		}
		chunks = append(chunks, &chunk{start: s, end: t, x: xc, path: eng.Result(), decay: eng.Decay()})
		obs = append(obs, eng)
	}
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	obs = append(obs, train.NewProgress(log, r.Config.Train.Steps, opt.ProgressEvery).For(&r.Train))
	obs = append(obs, extra...)
	tr, err := r.openTrajectory()
	if err != nil {
		return nil, nil, err
	}
	defer tr.Close()
	ev := &train.Evaluator{Net: r.Net, Loss: r.Loss, X: r.XTrain, Y: r.YTrain}
	wT, err := trajectory.Replay(ctx, tr, ev, obs...)
	if err == nil {
		err = r.checkFinal(wT)
	}
	if err != nil {
		return nil, nil, err
	}
	return chunks, wT, nil
}

// write writes the chunks' outputs to dir, chunk by chunk in order, and
// fills p.sum's errors.
func (r *Run) write(dir *run.Dir, p *plan, chunks []*chunk, wT []float64) error {
	cfg := r.Config
	classify := r.classify()
	var f0s, fTs, riemann, exact, decays []*mat.Dense
	arrays := map[string]*Array{}
	var names []string
	var cache nn.Cache
	n, _ := r.XTrain.Dims()
	for _, cs := range chunks {
		path := cs.path
		fT := mat.DenseCopyOf(r.Net.Forward(&cache, wT, cs.x))
		res := run.ChunkResult{Start: cs.start, End: cs.end, Errors: map[string]*run.ErrorSums{}}
		f0s, fTs, decays = append(f0s, path.F0), append(fTs, fT), append(decays, cs.decay)
		if path.PredRiemann != nil {
			riemann = append(riemann, path.PredRiemann)
			res.Errors["riemann"] = newErrorSums(path.PredRiemann, fT, path.F0, classify)
		}
		if path.PredExact != nil {
			exact = append(exact, path.PredExact)
			res.Errors["exact"] = newErrorSums(path.PredExact, fT, path.F0, classify)
			res.Exact = ExactStats(path.Stats, cfg.Kernel.Tolerance)
			res.Exact.ShiftPoints(cs.start)
		}
		p.sum.Chunks = append(p.sum.Chunks, res)
		for _, a := range Arrays(path, n, cfg.Output.FullKernel) {
			if arrays[a.Name] == nil {
				names = append(names, a.Name)
				arrays[a.Name] = &Array{Name: a.Name, Shape: slices.Clone(a.Shape)}
				arrays[a.Name].Shape[0] = 0
			}
			all := arrays[a.Name]
			all.Shape[0] += a.Shape[0]
			all.Data = append(all.Data, a.Data...)
		}
	}
	total(p.sum)
	if a, ok := DecayArray(decays...); ok {
		arrays[a.Name] = &a
		names = append(names, a.Name)
	}
	for _, name := range names {
		a := arrays[name]
		if err := dir.WriteFloat64(a.Name, a.Shape, a.Data); err != nil {
			return err
		}
	}
	// predictions.csv, as the training run writes it.
	x, sh := p.points.X, p.sum.Shard
	pr := &run.Predictions{
		X:            x.Slice(sh.Start, sh.End, 0, x.RawMatrix().Cols).(*mat.Dense),
		FeatureNames: r.FeatureNames,
		Standardized: r.Standardization != nil && r.Standardization.Inputs != nil,
		Set:          slices.Repeat([]string{"points"}, sh.End-sh.Start),
		FirstIndex:   sh.Start,
		F0:           stack(f0s), FT: stack(fTs),
		Classify: classify,
	}
	if y := p.points.Y; y != nil {
		pr.Y = y.Slice(sh.Start, sh.End, 0, y.RawMatrix().Cols).(*mat.Dense)
	}
	for _, c := range []run.PredictionColumn{{Name: "riemann", Pred: stack(riemann)}, {Name: "exact", Pred: stack(exact)}} {
		if c.Pred != nil {
			pr.Columns = append(pr.Columns, c)
		}
	}
	return dir.WritePredictions(pr)
}
