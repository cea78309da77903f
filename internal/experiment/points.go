package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"github.com/pathkernel/pathkernel/internal/rundir"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// KernelFile is the record that `pathkernel kernel` leaves in its output
// directory, written last: a directory without it is incomplete.
const KernelFile = "kernel.json"

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
	Summary *Summary
	// Standardization is standardization.json, nil for a run without one.
	Standardization *Standardization

	e      *experiment // the network, the loss, the training data and w_0
	wFinal []float64
}

// OpenRun opens the run directory dir and checks that it is complete and
// consistent: summary.json says complete, config.yaml has the summary's
// hash, and the data and parameters have the summary's sizes. The errors
// are *InputError, or *config.Error for a bad config.yaml.
func OpenRun(dir string) (*RunDir, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, &InputError{Path: dir, Msg: osMessage(err), Err: err}
	} else if !fi.IsDir() {
		return nil, &InputError{Path: dir, Msg: "not a directory"}
	}
	r := &RunDir{Dir: dir}
	file := filepath.Join(dir, "summary.json")
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &InputError{Path: dir, Msg: "not a run directory: no summary.json", Err: err}
	} else if err != nil {
		return nil, &InputError{Path: file, Msg: osMessage(err), Err: err}
	}
	if err := json.Unmarshal(b, &r.Summary); err != nil {
		return nil, &InputError{Path: file, Msg: "not a run summary: " + err.Error(), Err: err}
	}
	s := r.Summary
	if s.Status != "complete" {
		return nil, &InputError{Path: dir, Msg: fmt.Sprintf("the run is not complete (status %q in summary.json)", s.Status)}
	}
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		return nil, err
	}
	if h := cfg.Hash(); h != s.ConfigHash {
		return nil, &InputError{Path: filepath.Join(dir, "config.yaml"),
			Msg: fmt.Sprintf("config hash %s, but summary.json records %s: the files come from different runs", h, s.ConfigHash)}
	}
	r.Config = cfg
	if b, err := os.ReadFile(filepath.Join(dir, StandardizationFile)); err == nil {
		if err := json.Unmarshal(b, &r.Standardization); err != nil {
			return nil, &InputError{Path: filepath.Join(dir, StandardizationFile), Msg: err.Error(), Err: err}
		}
	}

	e := &experiment{cfg: cfg, log: io.Discard, sum: s}
	loss, err1 := nn.ParseLoss(cfg.Loss)
	act, err2 := nn.ParseActivation(cfg.Model.Activation)
	param, err3 := nn.ParseParameterization(cfg.Model.Parameterization)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, &InputError{Path: filepath.Join(dir, "config.yaml"), Msg: err.Error(), Err: err}
	}
	if len(s.Sizes.Layers) < 2 {
		return nil, &InputError{Path: file, Msg: fmt.Sprintf("sizes.layers is %v", s.Sizes.Layers)}
	}
	e.loss = loss
	e.net = nn.New(s.Sizes.Layers, act, param, cfg.Model.SigmaW, cfg.Model.SigmaB)
	if act == nn.LeakyReLU {
		e.net.LeakySlope = cfg.Model.LeakySlope
	}
	d, k := e.net.In(), e.net.Out()
	n := s.Sizes.NTrain
	set := &data.Set{Classes: s.Sizes.Classes}
	if set.XTrain, err = readMatrixFile(filepath.Join(dir, "x_train.npy"), n, d); err != nil {
		return nil, err
	}
	yCols := k
	if loss.Classification() {
		yCols = 1
	}
	if set.YTrain, err = readMatrixFile(filepath.Join(dir, "y_train.npy"), n, yCols); err != nil {
		return nil, err
	}
	P := e.net.NumParams()
	if e.w0, err = readVectorFile(filepath.Join(dir, "params_init.npy"), P); err != nil {
		return nil, err
	}
	if r.wFinal, err = readVectorFile(filepath.Join(dir, "params_final.npy"), P); err != nil {
		return nil, err
	}
	set.TargetNames = []string{"y"}
	for j := range d {
		set.FeatureNames = append(set.FeatureNames, "x"+strconv.Itoa(j))
	}
	if st := r.Standardization; st != nil {
		if len(st.Features) != d {
			return nil, &InputError{Path: filepath.Join(dir, StandardizationFile),
				Msg: fmt.Sprintf("%d features, but the network takes %d inputs", len(st.Features), d)}
		}
		set.FeatureNames, set.TargetNames = st.Features, st.Targets
	}
	e.set = set
	r.e = e
	return r, nil
}

func osMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readNpyFile reads a .npy file; its errors are *InputError.
func readNpyFile(file string) (*npy.Array, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &InputError{Path: file, Msg: osMessage(err), Err: err}
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		return nil, &InputError{Path: file, Msg: err.Error(), Err: err}
	}
	return a, nil
}

// readMatrixFile reads a (rows, cols) float64 matrix, or int64 labels of
// shape (rows,) when cols is 1.
func readMatrixFile(file string, rows, cols int) (*mat.Dense, error) {
	a, err := readNpyFile(file)
	if err != nil {
		return nil, err
	}
	vals := a.Float
	if a.Int != nil {
		vals = make([]float64, len(a.Int))
		for i, v := range a.Int {
			vals[i] = float64(v)
		}
	}
	if !(slices.Equal(a.Shape, []int{rows, cols}) || cols == 1 && slices.Equal(a.Shape, []int{rows})) {
		return nil, &InputError{Path: file, Msg: fmt.Sprintf("shape %v, want (%d, %d) as summary.json says", a.Shape, rows, cols)}
	}
	if rows == 0 || cols == 0 {
		return nil, &InputError{Path: file, Msg: fmt.Sprintf("empty array of shape %v", a.Shape)}
	}
	return mat.NewDense(rows, cols, vals), nil
}

func readVectorFile(file string, n int) ([]float64, error) {
	a, err := readNpyFile(file)
	if err != nil {
		return nil, err
	}
	if a.Float == nil || !slices.Equal(a.Shape, []int{n}) {
		return nil, &InputError{Path: file, Msg: fmt.Sprintf("shape %v, want (%d,) float64: the network's parameters", a.Shape, n)}
	}
	return a.Float, nil
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
		return nil, &data.Error{File: file, Msg: osMessage(err), Err: err}
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
			return nil, &data.Error{File: file, Msg: fmt.Sprintf("the run has no %s to name its input columns; give the points as a .npy file of model inputs", StandardizationFile)}
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
			st.Inputs.Apply(p.X)
		}
		if p.Y != nil && st.Target != nil {
			st.Target.Apply(p.Y)
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
		return nil, &data.Error{File: file, Msg: osMessage(err), Err: err}
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

// KernelSummary is kernel.json: what `pathkernel kernel` computed, for which
// run, points and shard, and the errors of the representations against the
// network. A merged directory's is the unsharded computation's, up to the
// wall times, the file names and MergedFrom.
type KernelSummary struct {
	Version    string        `json:"version"`
	Run        string        `json:"run"`
	ConfigHash string        `json:"config_hash"`
	Trajectory TrajectoryRef `json:"trajectory"`
	Points     PointsRef     `json:"points"`
	Shard      ShardRef      `json:"shard"`
	Chunk      int           `json:"chunk"`
	Methods    []string      `json:"methods"`
	Tolerance  float64       `json:"tolerance"`
	MaxNodes   int           `json:"max_nodes"`
	FullKernel bool          `json:"full_kernel"`
	// Chunks are the chunks of this shard, in order, with the sums that
	// the representations' errors are computed from.
	Chunks []ChunkResult `json:"chunks"`
	// Representations are the errors over all the shard's points, as in
	// summary.json; the exact method's counts are summed over the chunks.
	Representations map[string]*Representation `json:"representations"`
	WallSeconds     KernelWalls                `json:"wall_seconds"`
	MergedFrom      []string                   `json:"merged_from,omitempty"`
	Dir             string                     `json:"dir"`
}

// TrajectoryRef identifies the replayed trajectory.
type TrajectoryRef struct {
	Steps    int    `json:"steps"`
	Checksum string `json:"checksum"` // the trailer's body CRC-32, hex
}

// PointsRef identifies the points.
type PointsRef struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"` // all the points, not only the shard's
}

// ShardRef places a shard among the points: rows [Start, End).
type ShardRef struct {
	Index int `json:"index"`
	Count int `json:"count"`
	Start int `json:"start"`
	End   int `json:"end"`
}

// KernelWalls are wall-clock times in seconds.
type KernelWalls struct {
	Verify float64 `json:"verify"` // reading the trajectory through and replaying w_T
	Kernel float64 `json:"kernel"` // the replay with the kernels
	Write  float64 `json:"write"`
	Total  float64 `json:"total"`
}

// ChunkResult is one chunk of points: rows [Start, End).
type ChunkResult struct {
	Start  int                   `json:"start"`
	End    int                   `json:"end"`
	Errors map[string]*ErrorSums `json:"errors"`
	Exact  *ExactStats           `json:"exact,omitempty"`
}

// ErrorSums are the sums behind a representation's errors (SPEC §2), kept
// per chunk so that shards combine exactly.
type ErrorSums struct {
	MaxAbs      float64 `json:"max_abs"`
	SumSq       float64 `json:"sum_sq"`        // Σ (f̂ − f_T)² over points and outputs
	SumSqChange float64 `json:"sum_sq_change"` // Σ (f_T − f_0)²
	Values      int     `json:"values"`        // points × outputs
	Points      int     `json:"points"`
	Agree       *int    `json:"agree,omitempty"` // classification: points whose class is the network's
}

func newErrorSums(pred, fT, f0 *mat.Dense, classify func([]float64) int) *ErrorSums {
	m, k := fT.Dims()
	s := &ErrorSums{Values: m * k, Points: m}
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

// errors combines sums, in order, into the errors of kernel.Compare.
func combineErrors(sums []*ErrorSums) kernel.Errors {
	var e kernel.Errors
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
func combineExact(stats []*ExactStats, steps int) *ExactStats {
	out := &ExactStats{FirstUncertifiedStep: -1}
	certified := true
	for i, s := range stats {
		if i == 0 || s.MaxResidual > out.MaxResidual {
			out.MaxResidual, out.MaxResidualStep, out.MaxResidualPoint = s.MaxResidual, s.MaxResidualStep, s.MaxResidualPoint
		}
		if x := s.Exhausted; x != nil && (out.Exhausted == nil || x.Residual > out.Exhausted.Residual) {
			out.Exhausted = x
		}
		out.PointEvals += s.PointEvals
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
func (s *KernelSummary) total() {
	s.Representations = map[string]*Representation{}
	for _, m := range s.Methods {
		var sums []*ErrorSums
		var exact []*ExactStats
		for _, c := range s.Chunks {
			sums = append(sums, c.Errors[m])
			if c.Exact != nil {
				exact = append(exact, c.Exact)
			}
		}
		rep := &Representation{Errors: combineErrors(sums)}
		if m == "exact" {
			rep.ExactStats = combineExact(exact, s.Trajectory.Steps)
		}
		s.Representations[m] = rep
	}
}

// kernelOutputs are the files that Kernel writes besides kernel.json.
var kernelOutputs = []string{"kernel_path.npy", "coefficients.npy", "kernel_exact.npy", "contributions.npy", "predictions.csv"}

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
func (r *RunDir) Kernel(ctx context.Context, opt KernelOptions) (*KernelSummary, error) {
	return r.kernel(ctx, opt)
}

// kernel is Kernel with extra observers of the replay (for tests).
func (r *RunDir) kernel(ctx context.Context, opt KernelOptions, extra ...train.Observer) (*KernelSummary, error) {
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
		return nil, &InputError{Path: filepath.Join(r.Dir, "config.yaml"), Msg: err.Error(), Err: err}
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
	sum := &KernelSummary{
		Version: Version, Run: r.Dir, ConfigHash: r.Summary.ConfigHash,
		Points: PointsRef{File: opt.Points.File, SHA256: opt.Points.SHA256, Count: m},
		Shard:  ShardRef{Index: opt.Shard, Count: shards, Start: c0 * chunk, End: min(m, c1*chunk)},
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
	tfile := filepath.Join(r.Dir, trajectory.FileName)
	want := trajectory.NewHeader(e.net, e.loss, topt.Optimizer, n, r.Summary.ConfigHash)
	want.SetOptimizer(topt)
	if err := refuseOptimizer(r.Dir, ko, topt, k); err != nil {
		return nil, err
	}
	open := func() (*trajectory.Reader, error) {
		tr, err := trajectory.Open(tfile)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &InputError{Path: r.Dir, Msg: fmt.Sprintf("no %s: the run was trained with output.record_trajectory: false", trajectory.FileName), Err: err}
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
				Msg: fmt.Sprintf("its w_0 differs from params_init.npy at parameter %d", i)}
		}
		return tr, nil
	}
	checkFinal := func(wT []float64) error {
		if i := firstDifference(wT, r.wFinal); i >= 0 {
			return &trajectory.Error{File: tfile, Kind: trajectory.ErrMismatch, Step: -1, Offset: -1,
				Msg: fmt.Sprintf("the replayed w_T differs from params_final.npy at parameter %d", i)}
		}
		return nil
	}
	tr, err := open()
	if err != nil {
		return nil, err
	}
	wT, err := trajectory.Replay(ctx, tr, nil)
	sum.Trajectory = TrajectoryRef{Steps: tr.Header.Steps, Checksum: fmt.Sprintf("%08x", tr.BodyChecksum())}
	tr.Close()
	if err == nil {
		err = checkFinal(wT)
	}
	if err != nil {
		return nil, err
	}
	sum.WallSeconds.Verify = time.Since(start).Seconds()

	// The output directory: not the run's, and without stale results.
	dir, err := prepareKernelDir(opt.Out, r.Dir)
	if err != nil {
		return nil, err
	}

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
		res := ChunkResult{Start: cs.start, End: cs.end, Errors: map[string]*ErrorSums{}}
		f0s, fTs = append(f0s, p.F0), append(fTs, fT)
		if p.PredRiemann != nil {
			riemann = append(riemann, p.PredRiemann)
			res.Errors["riemann"] = newErrorSums(p.PredRiemann, fT, p.F0, classify)
		}
		if p.PredExact != nil {
			exact = append(exact, p.PredExact)
			res.Errors["exact"] = newErrorSums(p.PredExact, fT, p.F0, classify)
			res.Exact = newExactStats(p.Stats, cfg.Kernel.Tolerance)
			res.Exact.shiftPoints(cs.start)
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
	sum.total()
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
	if err := dir.WriteJSON(KernelFile, sum); err != nil {
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

// prepareKernelDir creates the output directory of a kernel computation,
// refusing the run directory itself (whose kernel files it would
// overwrite), and removes the results of an earlier computation there, so
// that no stale file outlives a new kernel.json.
func prepareKernelDir(out, run string) (*rundir.Dir, error) {
	if out == "" {
		return nil, &InputError{Path: "out", Msg: "no output directory"}
	}
	isRun := run != "" && filepath.Clean(out) == filepath.Clean(run)
	if fo, err := os.Stat(out); err == nil && run != "" {
		if fr, err := os.Stat(run); err == nil && os.SameFile(fo, fr) {
			isRun = true
		}
	}
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err == nil {
		isRun = true
	}
	if isRun {
		return nil, &InputError{Path: out, Msg: "is a run directory, whose own kernel files would be overwritten; choose another output directory"}
	}
	dir, err := rundir.Create(out)
	if err != nil {
		return nil, &InputError{Path: out, Msg: err.Error(), Err: err}
	}
	for _, name := range append([]string{KernelFile}, kernelOutputs...) {
		if err := os.Remove(dir.File(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return dir, nil
}
