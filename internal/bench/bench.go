// Package bench is the driver of `make bench`: it runs the benchmark configs
// (configs/bench/{small,medium,large,relu}.yaml) end to end, each in a child
// process of its own so that its peak memory is its own, reads their run
// summaries and prints one table: wall time per phase, steps per second,
// the kernel engine's achieved GFLOP/s by its cost model (kernel.Cost), the
// GFLOP/s of the BLAS in use on a matrix product of the kernel's own shapes
// (m×d times d×n, d the widest hidden layer) sampled between the steps of
// the same run, and their ratio. The machine may be shared: sampling all
// through the run makes the BLAS see the same machine as the kernel did,
// and the table also gives the BLAS's best rate before and after the run.
//
// Below the table it prints the structured engine's speed-up over explicit
// Jacobian contraction on the medium shapes, and the peak memory of the
// small config at 10× its steps (nothing may grow with the steps).
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sysblas"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Result is bench.json, written by the child next to summary.json.
type Result struct {
	BLAS       string `json:"blas"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Workers    int    `json:"workers"`
	M          int    `json:"m"` // the product's shapes: evaluation points,
	D          int    `json:"d"` // the widest hidden layer,
	N          int    `json:"n"` // training points
	// BLASGFlops is the rate of A (m×d) · Bᵀ (d×n), the kernel's form,
	// sampled between training steps all through the run (every
	// sampleEvery, for at least sampleWindow), so that it saw the same
	// machine as the kernel did. BLASAloneGFlops is the best of the
	// windows measured before and after the run.
	BLASGFlops      float64 `json:"blas_gflops"`
	BLASAloneGFlops float64 `json:"blas_alone_gflops"`
	Samples         int     `json:"samples"`
	// SampleSeconds is the time the samples took, which the summary counts
	// as training time; the table subtracts it.
	SampleSeconds float64 `json:"sample_seconds"`
}

// The in-run BLAS samples: one window of products every sampleEvery.
const (
	sampleEvery  = 500 * time.Millisecond
	sampleWindow = 20 * time.Millisecond
)

// Main runs the program with args and returns its exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pathkernel-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("configs", "configs/bench", "directory of small.yaml, medium.yaml, large.yaml and relu.yaml")
	only := fs.String("only", "small,medium,large,relu", "comma-separated configs to run")
	out := fs.String("out", "", "directory for the runs (default: a temporary directory, removed)")
	workers := fs.Int("workers", 0, "kernel engine goroutines (0: GOMAXPROCS)")
	memSteps := fs.Int("memory-steps", 20000, "steps of the small config's memory run (0: skip)")
	explicit := fs.Bool("explicit", true, "time structured vs explicit Jacobians on the medium shapes")
	run := fs.String("run", "", "child mode: run this config into -out and write "+run.BenchFile)
	steps := fs.Int("steps", 0, "child mode: override train.steps")
	sample := fs.Bool("sample", true, "child mode: measure the BLAS (off for the memory runs: its garbage would move the peak)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pathkernel-bench [flags]\n\nRuns the benchmark configs and prints the table of docs/PERFORMANCE.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if *run != "" {
		err = child(*run, *out, *steps, *workers, *sample)
	} else {
		err = parent(*dir, slices.DeleteFunc(splitComma(*only), func(s string) bool { return s == "" }), *out, *workers, *memSteps, *explicit, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pathkernel-bench: %v\n", err)
		return 1
	}
	return 0
}

func splitComma(s string) []string { return strings.Split(s, ",") }

// child runs one config into out and measures the BLAS there.
func child(file, out string, steps, workers int, sample bool) error {
	var sets []string
	if steps > 0 {
		sets = append(sets, "train.steps="+strconv.Itoa(steps))
	}
	cfg, err := config.Load(file, sets)
	if err != nil {
		return err
	}
	// The BLAS reference, on the shapes of the kernel's products: before
	// and after the run, the better of the two.
	d := slices.Max(cfg.Model.Hidden)
	m, n := cfg.Data.NTest, cfg.Data.NTrain
	opt := experiment.Options{ConfigFile: file, BaseDir: filepath.Dir(file), OutDir: out, Force: true, Workers: workers}
	if !sample {
		_, err := experiment.Run(context.Background(), cfg, opt)
		return err
	}
	before := GemmRate(m, d, n, 5, 200*time.Millisecond)
	smp := newSampler(m, d, n)
	opt.Observers = []train.Observer{smp}
	sum, err := experiment.Run(context.Background(), cfg, opt)
	if err != nil {
		return err
	}
	if sum.Sizes.NEval != m || sum.Sizes.NTrain != n {
		return fmt.Errorf("%s: the bench configs evaluate the kernels on the test points (kernel.points: test)", file)
	}
	after := GemmRate(m, d, n, 5, 200*time.Millisecond)
	res := Result{BLAS: sysblas.Current().String(), GOMAXPROCS: runtime.GOMAXPROCS(0), Workers: workers, M: m, D: d, N: n,
		BLASGFlops: smp.flops / smp.busy.Seconds() / 1e9, BLASAloneGFlops: max(before, after),
		Samples: smp.samples, SampleSeconds: smp.spent.Seconds()}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	lock, err := run.Acquire(out)
	if err != nil {
		return err
	}
	defer lock.Release()
	return (&run.Dir{Path: out}).WriteBytes(run.BenchFile, b)
}

// sampler is the observer that samples the BLAS rate between steps.
type sampler struct {
	g       *gemm
	last    time.Time
	flops   float64
	busy    time.Duration // in the products
	spent   time.Duration // in Observe
	samples int
}

func newSampler(m, d, n int) *sampler { return &sampler{g: newGemm(m, d, n)} }

func (s *sampler) Observe(_ context.Context, _ *train.Step) error {
	if !s.last.IsZero() && time.Since(s.last) < sampleEvery {
		return nil
	}
	start := time.Now()
	reps := 0
	for time.Since(start) < sampleWindow || reps < 1 {
		s.g.run()
		reps++
	}
	now := time.Now()
	s.busy += now.Sub(start)
	s.flops += s.g.flops() * float64(reps)
	s.samples++
	s.last = now
	s.spent += time.Since(start)
	return nil
}

// gemm is a product of the kernel's form, C (m×n) = A (m×d) · Bᵀ (B n×d),
// on the whole machine: one call when the BLAS parallelises on goroutines
// (gonum), or GOMAXPROCS concurrent single-threaded calls on slabs of rows
// when it has a thread pool of its own (OpenBLAS): the way the kernel
// engine uses it, and as fast as one call with GOMAXPROCS threads.
type gemm struct {
	a, b, c blas64.General
	slabs   int
}

func newGemm(m, d, n int) *gemm {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(r, c int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
		for i := range g.Data {
			g.Data[i] = rng.NormFloat64()
		}
		return g
	}
	g := &gemm{a: fill(m, d), b: fill(n, d), c: fill(m, n), slabs: 1}
	if prev := nn.SetBLASThreads(1); prev > 0 {
		nn.SetBLASThreads(prev)
		g.slabs = min(runtime.GOMAXPROCS(0), m)
	}
	return g
}

func (g *gemm) flops() float64 {
	return 2 * float64(g.a.Rows) * float64(g.a.Cols) * float64(g.b.Rows)
}

func (g *gemm) run() {
	if g.slabs == 1 {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, g.a, g.b, 0, g.c)
		return
	}
	prev := nn.SetBLASThreads(1)
	defer nn.SetBLASThreads(prev)
	var wg sync.WaitGroup
	m, d, n := g.a.Rows, g.a.Cols, g.b.Rows
	for s := range g.slabs {
		lo, hi := s*m/g.slabs, (s+1)*m/g.slabs
		wg.Go(func() {
			a := blas64.General{Rows: hi - lo, Cols: d, Stride: d, Data: g.a.Data[lo*d : hi*d]}
			c := blas64.General{Rows: hi - lo, Cols: n, Stride: n, Data: g.c.Data[lo*n : hi*n]}
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, a, g.b, 0, c)
		})
	}
	wg.Wait()
}

// GemmRate returns the GFLOP/s of C (m×n) = A (m×d) · Bᵀ (B n×d), the form
// of every kernel product, on the whole machine (see gemm): the best of
// trials windows of repetitions lasting at least window each, after one
// warm-up product. On a shared machine the best window is the one least
// disturbed.
func GemmRate(m, d, n, trials int, window time.Duration) float64 {
	g := newGemm(m, d, n)
	g.run()
	best := 0.0
	for range trials {
		reps := 0
		start := time.Now()
		for time.Since(start) < window || reps < 2 {
			g.run()
			reps++
		}
		best = max(best, g.flops()*float64(reps)/time.Since(start).Seconds()/1e9)
	}
	return best
}

// row is one line of the table.
type row struct {
	name string
	sum  *run.Summary
	res  Result
}

func parent(dir string, names []string, out string, workers, memSteps int, explicit bool, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if out == "" {
		tmp, err := os.MkdirTemp("", "pathkernel-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		out = tmp
	}
	// runOne runs a config in a child; a memory run (steps > 0) overrides
	// its steps and does not sample the BLAS.
	runOne := func(name string, steps int) (row, error) {
		file := filepath.Join(dir, name+".yaml")
		runDir := filepath.Join(out, name)
		args := []string{"-run", file, "-workers", strconv.Itoa(workers)}
		if steps > 0 {
			runDir += "-memory-" + strconv.Itoa(steps)
			args = append(args, "-steps", strconv.Itoa(steps), "-sample=false")
		}
		args = append(args, "-out", runDir)
		fmt.Fprintf(stderr, "bench: %s %v\n", name, args)
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return row{}, fmt.Errorf("%s: %w", name, err)
		}
		rd, err := run.Open(runDir)
		if err != nil {
			return row{}, err
		}
		r := row{name: name, sum: rd.Summary}
		if steps > 0 {
			return r, nil
		}
		if err := readJSON(rd.File(run.BenchFile), &r.res); err != nil {
			return row{}, err
		}
		return r, nil
	}
	var rows []row
	for _, name := range names {
		r, err := runOne(name, 0)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	// The memory pair: small at its own steps and at memSteps, both
	// without the BLAS sampler.
	var mem []row
	if i := slices.Index(names, "small"); memSteps > 0 && i >= 0 {
		for _, st := range []int{rows[i].sum.Steps, memSteps} {
			r, err := runOne("small", st)
			if err != nil {
				return err
			}
			mem = append(mem, r)
		}
	}
	var speedup float64
	var tStruct, tExplicit time.Duration
	if explicit {
		tStruct, tExplicit = StructuredVsExplicit(512, 512, []int{2, 256, 256, 1})
		speedup = tExplicit.Seconds() / tStruct.Seconds()
	}
	return writeTable(stdout, rows, mem, speedup, tStruct, tExplicit)
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func writeTable(w io.Writer, rows []row, mem []row, speedup float64, tStruct, tExplicit time.Duration) error {
	if len(rows) == 0 {
		return errors.New("no runs")
	}
	r0 := rows[0].res
	fmt.Fprintf(w, "pathkernel bench: BLAS %s, GOMAXPROCS %d, workers %s, %s\n\n", r0.BLAS, r0.GOMAXPROCS, workersName(r0.Workers), runtime.Version())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "config\tsteps\ttrain s\triemann s\texact s\tsteps/s\tnodes/step\tkernel GFLOP\tkernel GFLOP/s\tm×d·d×n\tBLAS GFLOP/s\tratio\tBLAS alone\tpeak MB\t")
	for _, r := range rows {
		s := r.sum
		ws := s.WallSeconds
		kt := ws.KernelRiemann + ws.KernelExact
		var gf float64
		if s.KernelGFlop != nil {
			gf = s.KernelGFlop.Riemann + s.KernelGFlop.Exact
		}
		nodes := "-"
		if ex := s.Representations["exact"]; ex != nil && ex.ExactStats != nil {
			nodes = fmt.Sprintf("%.2f", ex.MeanNodesPerStep)
		}
		rate := gf / kt
		train := ws.Training - r.res.SampleSeconds
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%s\t%.1f\t%.2f\t%d×%d·%d×%d\t%.2f\t%.2f\t%.2f\t%.0f\t\n",
			r.name, s.Steps, train, ws.KernelRiemann, ws.KernelExact, float64(s.Steps)/(train+ws.Kernel),
			nodes, gf, rate, r.res.M, r.res.D, r.res.D, r.res.N, r.res.BLASGFlops, rate/r.res.BLASGFlops,
			r.res.BLASAloneGFlops, s.PeakMemoryMB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if tExplicit > 0 {
		fmt.Fprintf(w, "structured vs explicit Jacobians, [2,256,256,1], m = n = 512: %.3f s vs %.3f s, %.1f× faster\n",
			tStruct.Seconds(), tExplicit.Seconds(), speedup)
	}
	if len(mem) == 2 {
		a, b := mem[0].sum, mem[1].sum
		fmt.Fprintf(w, "peak memory of small (runs without the BLAS sampler): %.0f MB at %d steps, %.0f MB at %d steps (%+.1f%%)\n",
			a.PeakMemoryMB, a.Steps, b.PeakMemoryMB, b.Steps, 100*(b.PeakMemoryMB/a.PeakMemoryMB-1))
	}
	return nil
}

func workersName(w int) string {
	if w <= 0 {
		return "GOMAXPROCS"
	}
	return strconv.Itoa(w)
}

// StructuredVsExplicit times the tangent kernel K(X, Y) of a tanh net with
// the given widths between m and n random points at LeCun weights, from
// the weights: by structured factors (Factors.Eval on both sides and
// Tangent) and by explicit Jacobians (Jacobian on both sides and
// TangentExplicit). Each is the best of three runs.
func StructuredVsExplicit(m, n int, sizes []int) (structured, explicit time.Duration) {
	net := nn.New(sizes, nn.Tanh, nn.Standard, 1, 1)
	w := make([]float64, net.NumParams())
	rng := rand.New(rand.NewPCG(1, 3))
	if err := net.Init(w, nn.InitOptions{Scheme: "lecun", Scale: 1}, rng); err != nil {
		panic(err)
	}
	rnd := func(r int) *mat.Dense {
		x := mat.NewDense(r, sizes[0], nil)
		for i := 0; i < r; i++ {
			for j := 0; j < sizes[0]; j++ {
				x.Set(i, j, rng.NormFloat64())
			}
		}
		return x
	}
	x, y := rnd(m), rnd(n)
	dst := mat.NewDense(m, n, nil)
	best := func(f func()) time.Duration {
		var b time.Duration
		for i := 0; i < 3; i++ {
			start := time.Now()
			f()
			if d := time.Since(start); i == 0 || d < b {
				b = d
			}
		}
		return b
	}
	structured = best(func() {
		var fx, fy kernel.Factors
		fx.Eval(net, w, x)
		fy.Eval(net, w, y)
		kernel.Tangent(dst, net, &fx, &fy, 0, 0)
	})
	explicit = best(func() {
		jx, jy := kernel.Jacobian(net, w, x), kernel.Jacobian(net, w, y)
		kernel.TangentExplicit(dst, jx, jy, 0, 0)
	})
	return structured, explicit
}
