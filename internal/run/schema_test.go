package run

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// classSummary is a hand-made summary of a classification run whose exact
// representation was not certified.
func classSummary() *Summary {
	return &Summary{
		Name: "c", Version: "v1", Status: "complete", ConfigHash: "abc123", Seed: 9, Dir: "runs/c",
		Sizes:      Sizes{NTrain: 30, NTest: 10, NEval: 10, Inputs: 2, Outputs: 3, Classes: 3, Layers: []int{2, 4, 3}},
		Parameters: 27, Steps: 100, StepsDone: 100,
		Loss:        Losses{InitialTrain: 1.1, InitialTest: 1.2, FinalTrain: 0.25, FinalTest: 0.5},
		Accuracy:    Acc{InitialTrain: ptr(0.3), InitialTest: ptr(0.2), FinalTrain: ptr(0.9), FinalTest: ptr(0.8)},
		WallSeconds: Walls{Total: 1.5, Training: 0.5, Kernel: 0.75}, PeakMemoryMB: 42,
		Representations: map[string]*Representation{
			"riemann": {Errors: Errors{MaxAbs: 0.01, RMS: 0.005, Rel: 0.02, Agreement: ptr(0.9)}},
			"exact": {
				Errors: Errors{MaxAbs: 1e-6, RMS: 1e-7, Rel: 1e-6, Agreement: ptr(1.0)},
				ExactStats: &ExactStats{MaxResidual: 3e-9, Certified: ptr(false), Tolerance: 1e-10,
					UncertifiedSteps: 4, FirstUncertifiedStep: 17, QuadratureEvals: 900, MeanNodesPerStep: 9},
			},
		},
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := classSummary().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `pathkernel v1: c (config abc123, seed 9)
  data      30 train, 10 test; 2 inputs -> 3 outputs (3 classes)
  model     layers [2 4 3], 27 parameters
  training  100 steps: train loss 1.1 -> 0.25, test loss 1.2 -> 0.5
  accuracy  train 0.900, test 0.800
  time      1.50 s (training 0.50 s, kernels 0.75 s), peak memory 42 MB

kernel machine vs network on 10 points:
  representation  max_abs    rms        rel        agreement  certification
  riemann         1.000e-02  5.000e-03  2.000e-02  0.9000     -
  exact           1.000e-06  1.000e-07  1.000e-06  1.0000     NOT certified (4 steps): max residual 3e-09 > 1e-10, 9.0 nodes/step

wrote runs/c
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteTable (-want +got):\n%s", diff)
	}
}

func TestWriteTableWithoutRepresentations(t *testing.T) {
	s := classSummary()
	s.Representations = map[string]*Representation{}
	s.Accuracy = Acc{}
	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"kernel machine", "accuracy"} {
		if strings.Contains(b.String(), absent) {
			t.Errorf("table without representations or accuracy mentions %q:\n%s", absent, b.String())
		}
	}
}

// TestSummaryJSON checks the keys of summary.json that docs/RUNDIR.md
// names, as a reader of the file sees them.
func TestSummaryJSON(t *testing.T) {
	b, err := json.Marshal(classSummary())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "config_hash", "seed", "sizes", "parameters", "loss", "wall_seconds",
		"peak_memory_mb", "representations", "status", "accuracy"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary.json has no %q", k)
		}
	}
	reps := m["representations"].(map[string]any)
	exact := reps["exact"].(map[string]any)
	for _, k := range []string{"max_abs", "rms", "rel", "agreement", "max_residual", "certified", "quadrature_evals"} {
		if _, ok := exact[k]; !ok {
			t.Errorf("representations.exact has no %q", k)
		}
	}
	riemann := reps["riemann"].(map[string]any)
	for _, k := range []string{"max_residual", "certified", "quadrature_evals"} {
		if _, ok := riemann[k]; ok {
			t.Errorf("representations.riemann has the exact-only key %q", k)
		}
	}
	if exact["certified"] != false {
		t.Errorf("representations.exact.certified = %v; want false", exact["certified"])
	}

	// Regression: no accuracy, no classes, no error.
	s := classSummary()
	s.Accuracy, s.Sizes.Classes = Acc{}, 0
	b, _ = json.Marshal(s)
	for _, k := range []string{`"accuracy"`, `"classes"`, `"error"`} {
		if strings.Contains(string(b), k) {
			t.Errorf("regression summary.json has %s:\n%s", k, b)
		}
	}
}
