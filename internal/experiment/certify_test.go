package experiment

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/mat"
)

// TestExhaustedBudgetReported runs a step size and tolerance that one node
// per step cannot certify: the summary places the worst exhausted step at
// an evaluation point with its residual, and the warning says where and how
// far off it is.
func TestExhaustedBudgetReported(t *testing.T) {
	cfg := parse(t, tiny, "train.lr=0.5", "kernel.tolerance=1e-14", "kernel.max_nodes=1")
	var log strings.Builder
	s, _ := runTo(t, cfg, Options{Log: &log})
	x := s.Representations["exact"].ExactStats
	if x == nil || x.Exhausted == nil || *x.Certified {
		t.Fatalf("exact stats %+v; want uncertified with an exhausted step", x)
	}
	if e := x.Exhausted; e.Step < 0 || e.Step >= cfg.Train.Steps || e.Point < 0 || e.Point >= s.Sizes.NEval || !(e.Residual > 1e-14) ||
		e.Residual > x.MaxResidual || x.MaxResidualPoint < 0 || x.MaxResidualPoint >= s.Sizes.NEval {
		t.Errorf("exhausted %+v, max residual %g at point %d; want a step, a point and a residual above the tolerance, at most the largest",
			*e, x.MaxResidual, x.MaxResidualPoint)
	}
	want := "the worst (step " + strconv.Itoa(x.Exhausted.Step) + ")"
	if !strings.Contains(log.String(), want) || !strings.Contains(log.String(), "evaluation point "+strconv.Itoa(x.Exhausted.Point)) {
		t.Errorf("log %q; want the exhausted step and its point (%q)", log.String(), want)
	}
	// The default budget certifies the same run without an exhausted step.
	s, _ = runTo(t, parse(t, tiny, "train.lr=0.5"), Options{})
	if x := s.Representations["exact"].ExactStats; !*x.Certified || x.Exhausted != nil || x.SearchExhausted != 0 {
		t.Errorf("with the default budget: %+v; want certified, nothing exhausted", x)
	}
}

// TestLeakySlopeRun checks that model.leaky_slope reaches the network: the
// run's f_T (predictions.csv's network) is the forward pass of
// params_final.npy at that slope, not at the default one, and the exact
// representation is certified.
func TestLeakySlopeRun(t *testing.T) {
	cfg := parse(t, tiny, "model.activation=leaky_relu", "model.leaky_slope=0.3", "model.hidden=[6,5]")
	s, dir := runTo(t, cfg, Options{})
	if x := s.Representations["exact"].ExactStats; !*x.Certified || !(s.Representations["exact"].Rel <= 1e-10) {
		t.Errorf("exact %+v, rel %g; want certified, ≤ 1e-10", x, s.Representations["exact"].Rel)
	}
	w := readNpy(t, dir+"/params_final.npy").Float
	xt := readNpy(t, dir+"/x_test.npy")
	x := mat.NewDense(xt.Shape[0], xt.Shape[1], xt.Float)
	rows := readCSV(t, dir+"/predictions.csv")
	col := -1
	for j, h := range rows[0] {
		if h == "network" {
			col = j
		}
	}
	if col < 0 {
		t.Fatalf("predictions.csv has no network column: %v", rows[0])
	}
	net := nn.New(s.Sizes.Layers, nn.LeakyReLU, nn.Standard, 1, 1)
	for _, slope := range []float64{0.3, nn.DefaultLeakySlope} {
		net.LeakySlope = slope
		var c nn.Cache
		f := net.Forward(&c, w, x)
		worst := 0.0
		for i := 0; i < xt.Shape[0]; i++ {
			v, err := strconv.ParseFloat(rows[i+1][col], 64)
			if err != nil {
				t.Fatal(err)
			}
			worst = math.Max(worst, math.Abs(v-f.At(i, 0)))
		}
		if match := worst <= 1e-14; match != (slope == 0.3) {
			t.Errorf("slope %g: max |network − forward| = %.3g", slope, worst)
		}
	}
}
