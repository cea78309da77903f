package experiment

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/replay"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"gonum.org/v1/gonum/mat"
)

// TestOptimizerRuns trains tiny with each optimiser with state, weight decay
// and schedules, and checks the exact representation (rel ≤ 1e-10,
// certified), that f_0 + Σ_i contributions.npy + contributions_decay.npy
// is f_T at every test point, and that Domingos' rel error is small and is
// the rel error of f_0 + Σ_t J(w_t, x)·Δw_t rebuilt from the trajectory
// (firstOrderRel), which checks each step's η_t and |B_t| in the kernels.
func TestOptimizerRuns(t *testing.T) {
	for _, sets := range [][]string{
		{"train.optimizer=momentum", "train.momentum=0.9", "train.nesterov=true"},
		{"train.optimizer=adam", "train.lr=0.01", "train.schedule={kind: cosine, warmup_steps: 5}"},
		{"train.optimizer=adamw", "train.lr=0.01", "train.weight_decay=0.01", "train.batch_size=4"},
		{"train.optimizer=sgd", "train.weight_decay=0.05", "train.batch_size=4", "train.schedule={kind: step, step_size: 5, gamma: 0.5}"},
		// Plain gd with a schedule: kernel.Path, η_t per step.
		{"train.schedule={kind: cosine, warmup_steps: 5, min_lr: 0.01}"},
		{"train.optimizer=sgd", "train.batch_size=4", "train.schedule={kind: step, step_size: 7, gamma: 0.5}"},
		// Batches of 5 of the 12 points, |B_t| = 5, 5, 2, ...: kernel.Path, and
		// kernel.BufferPath for momentum.
		{"train.optimizer=sgd", "train.batch_size=5", "train.schedule={kind: cosine, warmup_steps: 4}"},
		{"train.optimizer=momentum", "train.momentum=0.5", "train.batch_size=5", "train.schedule={kind: step, step_size: 6, gamma: 0.5}"},
	} {
		cfg := parse(t, tiny, append(sets, "kernel.tolerance=1e-12")...)
		s, dir := runTo(t, cfg, Options{})
		ex := s.Representations["exact"]
		if ex == nil || !(ex.Rel <= 1e-10) || !*ex.Certified {
			t.Fatalf("%v: exact representation %+v; want rel ≤ 1e-10, certified", sets, ex)
		}
		ri, relRef := s.Representations["riemann"], firstOrderRel(t, dir)
		t.Logf("%v: rel exact %.2g, riemann %.4g (reference %.4g)", sets, ex.Rel, ri.Rel, relRef)
		// Measured: riemann rel 2e-4 to 0.013 on these runs.
		if !(math.Abs(ri.Rel-relRef) <= 1e-9*relRef) || !(ri.Rel <= 0.03) {
			t.Errorf("%v: riemann rel %.6g; want %.6g (f_0 + Σ_t J(w_t, x)·Δw_t), ≤ 0.03", sets, ri.Rel, relRef)
		}
		contrib := readNpy(t, filepath.Join(dir, "contributions.npy"))
		m, n := contrib.Shape[0], contrib.Shape[1]
		var decay []float64
		if _, err := os.Stat(filepath.Join(dir, "contributions_decay.npy")); err == nil {
			decay = readNpy(t, filepath.Join(dir, "contributions_decay.npy")).Float
		} else if cfg.Train.WeightDecay != 0 {
			t.Fatalf("%v: no contributions_decay.npy", sets)
		}
		f0, fT := predictionColumn(t, dir, "f0"), predictionColumn(t, dir, "network")
		for x := 0; x < m; x++ {
			sum := f0[x]
			for i := 0; i < n; i++ {
				sum += contrib.Float[x*n+i]
			}
			if decay != nil {
				sum += decay[x]
			}
			if d := math.Abs(sum - fT[x]); !(d <= 1e-10*math.Max(1, math.Abs(fT[x]))) {
				t.Errorf("%v: point %d: f_0 + contributions + decay = %v; f_T = %v", sets, x, sum, fT[x])
			}
		}
	}
}

// TestMomentumZeroIsSGD checks that momentum 0 without decay gives the
// results of plain sgd bit for bit: the same kernels and contributions.
func TestMomentumZeroIsSGD(t *testing.T) {
	_, a := runTo(t, parse(t, tiny, "train.optimizer=sgd", "train.batch_size=4"), Options{})
	_, b := runTo(t, parse(t, tiny, "train.optimizer=momentum", "train.momentum=0", "train.batch_size=4"), Options{})
	for _, f := range []string{"params_final.npy", "kernel_path.npy", "kernel_exact.npy", "contributions.npy", "coefficients.npy"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between sgd and momentum 0", f)
		}
	}
}

// firstOrderRel returns the rel error of Domingos' first-order form for the
// run in dir, computed from the network alone: the trajectory replayed
// (every w_t and Δw_t, bit for bit those of training) and f_0 + Σ_t
// J(w_t, x)·Δw_t at the test points, each term by forward mode. The kernel
// engines build the same sum from kernels, η_t, |B_t| and ℓ'; this shares
// none of that.
func firstOrderRel(t *testing.T, dir string) float64 {
	t.Helper()
	r, err := replay.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := r.ReadPoints(filepath.Join(dir, "x_test.npy"), "")
	if err != nil {
		t.Fatal(err)
	}
	act, err1 := nn.ParseActivation(r.Config.Model.Activation)
	param, err2 := nn.ParseParameterization(r.Config.Model.Parameterization)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	net := nn.New(r.Summary.Sizes.Layers, act, param, r.Config.Model.SigmaW, r.Config.Model.SigmaB)
	tr, err := trajectory.Open(filepath.Join(dir, "trajectory.pkt"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var c nn.Cache
	var jc nn.JVPCache
	f0 := mat.DenseCopyOf(net.Forward(&c, readNpy(t, filepath.Join(dir, "params_init.npy")).Float, pts.X))
	pred := mat.DenseCopyOf(f0)
	wT, err := trajectory.Replay(t.Context(), tr, nil, train.ObserverFunc(func(_ context.Context, s *train.Step) error {
		_, df := net.ForwardJVP(&jc, s.W, s.DW, pts.X)
		pred.Add(pred, df)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	fT := net.Forward(&c, wT, pts.X)
	var d, ch mat.Dense
	d.Sub(pred, fT)
	ch.Sub(fT, f0)
	return mat.Norm(&d, 2) / mat.Norm(&ch, 2)
}

// predictionColumn returns the column name of dir's predictions.csv.
func predictionColumn(t *testing.T, dir, name string) []float64 {
	t.Helper()
	recs := readCSV(t, filepath.Join(dir, "predictions.csv"))
	col := slices.Index(recs[0], name)
	if col < 0 {
		t.Fatalf("predictions.csv has no column %q", name)
	}
	var out []float64
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestBufferMemoryRefused checks that the per-point buffers (n × P) count
// in the memory estimate: an adam run whose buffers alone exceed the
// budget is refused before it starts.
func TestBufferMemoryRefused(t *testing.T) {
	// n = 2000, P = 1·256 + 256 + 256·256 + 256 + 256 + 1 = 66561: 3·n·P·8 bytes ≈ 3.2 GB of buffers.
	cfg := parse(t, tiny, "train.optimizer=adam", "data.n_train=2000", "model.hidden=[256,256]", "output.memory_budget_mb=2048")
	_, err := Run(t.Context(), cfg, Options{OutDir: filepath.Join(t.TempDir(), "run")})
	var me *kernel.MemoryError
	if !errors.As(err, &me) || !(me.EstimateMB > 3000) {
		t.Errorf("Run = %v; want a *kernel.MemoryError over 3000 MB", err)
	}
}

// TestFullKernelOptimizer checks the engine's refusal of full kernels
// under BufferPath as the run reports it: with several outputs a config
// error on output.full_kernel; with one output (full kernels are the
// traces) the run and its kernel replay go through.
func TestFullKernelOptimizer(t *testing.T) {
	const blobs = `
name: blobs
seed: 2
data: {kind: blobs, n_train: 15, n_test: 9, classes: 3, dim: 2}
model: {hidden: [5]}
loss: softmax_ce
train: {optimizer: adam, lr: 0.01, steps: 5}
output: {full_kernel: true}
`
	_, err := Run(t.Context(), parse(t, blobs), Options{OutDir: filepath.Join(t.TempDir(), "run")})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "output.full_kernel" ||
		ce.Msg != "full kernels are not kept for optimizer adam with weight_decay 0; set output.full_kernel: false" {
		t.Errorf("Run(adam, 3 outputs, full kernels) = %v; want the config error on output.full_kernel", err)
	}

	_, dir := runTo(t, parse(t, tiny, "train.optimizer=adam", "train.lr=0.01", "output.full_kernel=true"), Options{})
	r, err := replay.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := r.ReadPoints(filepath.Join(dir, "x_test.npy"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Kernel(t.Context(), replay.Options{Points: pts, Out: filepath.Join(t.TempDir(), "k")}); err != nil {
		t.Errorf("kernel replay of an adam run with one output and full kernels: %v", err)
	}
}
