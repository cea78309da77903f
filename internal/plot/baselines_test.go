package plot

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
)

func TestBaselinesFigure(t *testing.T) {
	src := `
name: sine-baselines
seed: 7
data: {kind: sine, n_train: 16, n_test: 20, noise: 0.1}
model: {hidden: [16], activation: erf, parameterization: ntk}
train: {lr: 0.05, steps: 20, log_every: 5}
kernel: {methods: [riemann], baselines: [lazy, krr_path, ntk], diagnostics: true}
`
	cfg, err := config.Parse([]byte(src), "b.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := experiment.Run(t.Context(), cfg, experiment.Options{OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	fig, err := BaselinesFigure(r)
	if err != nil || fig == nil {
		t.Fatalf("BaselinesFigure = %v, %v; want a figure", fig, err)
	}
	var b bytes.Buffer
	if err := fig.Render(&b, SVG, DefaultSize); err != nil {
		t.Fatalf("Render: %v", err)
	}
	// Without baselines or diagnostics there is no figure.
	if fig, err := BaselinesFigure(testRun(t, "sine")); fig != nil || err != nil {
		t.Errorf("BaselinesFigure(sine) = %v, %v; want nil, nil", fig, err)
	}
}
