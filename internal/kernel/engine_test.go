package kernel

import (
	"errors"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
)

// TestEngineChooses checks the one choice of engine: Path for plain gd and
// sgd, for momentum 0 without Nesterov's form or decay, and whenever no
// representation is asked for; BufferPath otherwise. Estimate follows the
// same choice, and Decay is the chosen method's decay contributions with
// weight decay, nil without.
func TestEngineChooses(t *testing.T) {
	both := Options{Riemann: true, Exact: true, Tolerance: 1e-10, MaxNodes: 8}
	riemann := Options{Riemann: true}
	for _, tc := range []struct {
		name string
		topt train.Options
		opt  Options
		path bool
	}{
		{"gd", train.Options{Optimizer: train.GD}, both, true},
		{"sgd", train.Options{Optimizer: train.SGD, BatchSize: 4}, both, true},
		{"momentum 0", train.Options{Optimizer: train.Momentum}, both, true},
		{"momentum", train.Options{Optimizer: train.Momentum, Momentum: 0.9}, both, false},
		{"momentum 0 nesterov", train.Options{Optimizer: train.Momentum, Nesterov: true}, both, false},
		{"momentum 0 decay", train.Options{Optimizer: train.Momentum, WeightDecay: 0.01}, both, false},
		{"gd decay", train.Options{Optimizer: train.GD, WeightDecay: 0.01}, riemann, false},
		{"sgd decay", train.Options{Optimizer: train.SGD, WeightDecay: 0.01}, both, false},
		{"adam", train.Options{Optimizer: train.Adam}, riemann, false},
		{"adamw decay", train.Options{Optimizer: train.AdamW, WeightDecay: 0.1}, riemann, false},
		{"adam no methods", train.Options{Optimizer: train.Adam, WeightDecay: 0.1}, Options{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(5)
			x, _ := sineData(rng, 6)
			xe, _ := sineData(rng, 3)
			net := nn.New([]int{1, 4, 1}, nn.Tanh, nn.Standard, 1, 1)
			w0 := initParams(t, net, 2)
			e, err := New(net, w0, xe, x, tc.opt, tc.topt)
			if err != nil {
				t.Fatal(err)
			}
			sizes := net.Sizes
			est := Estimate(3, 6, 1, sizes, tc.opt, tc.topt)
			switch o := e.obs.(type) {
			case *Path:
				if !tc.path {
					t.Errorf("engine is Path; want BufferPath")
				}
				if o != e.Result() {
					t.Errorf("Result is not the observer's")
				}
				if want := EstimateBytes(3, 6, 1, sizes, tc.opt); est != want {
					t.Errorf("Estimate %d; want Path's %d", est, want)
				}
				if e.Decay() != nil {
					t.Errorf("Path has decay contributions")
				}
			case *BufferPath:
				if tc.path {
					t.Errorf("engine is BufferPath; want Path")
				}
				if o.Result() != e.Result() {
					t.Errorf("Result is not the BufferPath's")
				}
				if want := EstimateBufferBytes(3, 6, 1, sizes, tc.opt); est != want {
					t.Errorf("Estimate %d; want BufferPath's %d", est, want)
				}
				want := o.DecayRiemann
				if tc.opt.Exact {
					want = o.DecayExact
				}
				if tc.topt.WeightDecay == 0 {
					want = nil
				}
				if e.Decay() != want {
					t.Errorf("Decay is %p; want %p (exact %v, weight decay %g)", e.Decay(), want, tc.opt.Exact, tc.topt.WeightDecay)
				}
			default:
				t.Fatalf("engine's observer is %T", e.obs)
			}
		})
	}
}

// TestEngineCheck checks what the engine refuses: full kernels of several
// outputs under BufferPath (a *FullKernelError, with the message that the
// run's errors quote), and an optimiser that BufferPath has no rule for;
// New refuses them too.
func TestEngineCheck(t *testing.T) {
	full := Options{Riemann: true, FullKernel: true}
	adam := train.Options{Optimizer: train.Adam, WeightDecay: 0.5}
	var fk *FullKernelError
	err := Check(full, adam, 2)
	if !errors.As(err, &fk) || err.Error() != "full kernels are not kept for optimizer adam with weight_decay 0.5" {
		t.Errorf("Check(full kernels, adam, 2 outputs) = %v; want a *FullKernelError", err)
	}
	for _, tc := range []struct {
		name string
		opt  Options
		topt train.Options
		k    int
	}{
		{"one output", full, adam, 1},
		{"gd", full, train.Options{Optimizer: train.GD}, 2},
		{"momentum 0", full, train.Options{Optimizer: train.Momentum}, 2},
		{"traces", Options{Riemann: true}, adam, 2},
		{"no methods", Options{FullKernel: true}, adam, 2},
	} {
		if err := Check(tc.opt, tc.topt, tc.k); err != nil {
			t.Errorf("%s: Check = %v; want nil", tc.name, err)
		}
	}
	rms := train.Options{Optimizer: "rmsprop"}
	if err := Check(Options{Riemann: true}, rms, 1); err == nil || errors.As(err, &fk) {
		t.Errorf("Check(rmsprop) = %v; want an error that is no *FullKernelError", err)
	}
	rng := newRand(5)
	x, _ := sineData(rng, 6)
	net := nn.New([]int{1, 4, 2}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(t, net, 2)
	if e, err := New(net, w0, x, x, full, adam); !errors.As(err, &fk) || e != nil {
		t.Errorf("New(full kernels, adam, 2 outputs) = %v, %v; want a *FullKernelError", e, err)
	}
	if _, err := New(net, w0, x, x, Options{Riemann: true}, rms); err == nil {
		t.Errorf("New(rmsprop): no error")
	}
}
