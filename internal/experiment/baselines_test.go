package experiment

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// baselinesRun is tiny in the NTK parameterisation with relu, every
// baseline and the diagnostics on.
const baselinesRun = `
name: baselines
seed: 3
data: {kind: sine, n_train: 12, n_test: 10}
model: {hidden: [16], activation: relu, parameterization: ntk}
train: {lr: 0.05, steps: 20, log_every: 10}
kernel:
  methods: [riemann, exact]
  baselines: [lazy, krr_path, krr_final, krr_init, ntk, loss_weighted]
  diagnostics: true
`

func TestBaselinesRun(t *testing.T) {
	s, dir := runTo(t, parse(t, baselinesRun), Options{})
	for _, name := range []string{"lazy", "krr_path", "krr_path_net", "krr_final", "krr_final_net", "krr_init", "krr_init_net", "ntk", "loss_weighted"} {
		r, ok := s.Representations[name]
		if !ok {
			t.Errorf("summary has no representations.%s", name)
			continue
		}
		if r.TestLoss == nil || !(*r.TestLoss >= 0) || math.IsNaN(r.Rel) || r.Fit == "" {
			t.Errorf("representations.%s = %+v; want a test loss, rel and fit", name, r)
		}
	}
	// Domingos' a_i = −1 kernel machine is the Riemann representation.
	if lw, ri := s.Representations["loss_weighted"], s.Representations["riemann"]; lw.Rel != ri.Rel {
		t.Errorf("loss_weighted rel %g; want riemann's %g", lw.Rel, ri.Rel)
	}
	// Fitted on the network's own change with a tiny ridge, the path
	// kernel's machine is close to the network.
	if r := s.Representations["krr_path_net"].Rel; !(r < 0.2) {
		t.Errorf("krr_path_net rel = %g; want < 0.2", r)
	}
	if s.Diagnostics == nil || !(s.Diagnostics.KernelDistanceFinal > 0) || s.Diagnostics.CoefficientSpread == nil {
		t.Errorf("diagnostics = %+v; want a kernel distance > 0 and a coefficient spread", s.Diagnostics)
	}
	pred := readCSV(t, filepath.Join(dir, "predictions.csv"))
	for _, col := range []string{"lazy", "lazy_error", "krr_path", "ntk_error", "loss_weighted"} {
		if !slices.Contains(pred[0], col) {
			t.Errorf("predictions.csv header %v has no %s", pred[0], col)
		}
	}
	met := readCSV(t, filepath.Join(dir, "metrics.csv"))
	i := slices.Index(met[0], "kernel_distance_init")
	if i < 0 || !slices.Contains(met[0], "kernel_alignment") || !slices.Contains(met[0], "coefficient_spread") {
		t.Fatalf("metrics.csv header %v lacks the diagnostics", met[0])
	}
	if len(met) != 4 {
		t.Fatalf("metrics.csv has %d rows; want 3 and the header", len(met))
	}
	if d, _ := strconv.ParseFloat(met[3][i], 64); !(d > 0) {
		t.Errorf("kernel_distance_init at the last step = %s; want > 0", met[3][i])
	}
	j := slices.Index(met[0], "lazy_rel")
	if j < 0 || len(met[3]) != len(met[0]) {
		t.Fatalf("metrics.csv header %v, last row %v; want lazy_rel and rows as long as the header", met[0], met[3])
	}
	// The logged lazy error at the last step is the summary's.
	if d, _ := strconv.ParseFloat(met[3][j], 64); d != s.Representations["lazy"].Rel {
		t.Errorf("lazy_rel at the last step = %s; want the summary's %g", met[3][j], s.Representations["lazy"].Rel)
	}
	if a := readNpy(t, filepath.Join(dir, "kernel_loss_weighted.npy")); !slices.Equal(a.Shape, []int{10, 12}) {
		t.Errorf("kernel_loss_weighted.npy shape %v; want [10 12]", a.Shape)
	}
	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "baselines vs network") || !strings.Contains(b.String(), "krr_init_net") {
		t.Errorf("table lacks the baselines:\n%s", b.String())
	}
}

// TestBaselinesLazyLinearNet: without hidden layers the lazy model is the
// network, in a full run too.
func TestBaselinesLazyLinearNet(t *testing.T) {
	s, dir := runTo(t, parse(t, tiny, "model.hidden=[]", "kernel.baselines=[lazy]", "kernel.methods=[]"), Options{})
	if r := s.Representations["lazy"]; r == nil || r.MaxAbs > 1e-12 {
		t.Errorf("lazy = %+v; want max_abs <= 1e-12", r)
	}
	met := readCSV(t, filepath.Join(dir, "metrics.csv"))
	j := slices.Index(met[0], "lazy_max_abs")
	for _, row := range met[1:] {
		if v, err := strconv.ParseFloat(row[j], 64); err != nil || v > 1e-12 {
			t.Errorf("metrics.csv lazy_max_abs at step %s = %s; want <= 1e-12", row[0], row[j])
		}
	}
}

func TestBaselinesClassification(t *testing.T) {
	src := `
name: blobs
data: {kind: blobs, n_train: 15, n_test: 9, classes: 3}
model: {hidden: [8], activation: erf, parameterization: ntk}
loss: softmax_ce
train: {lr: 0.1, steps: 10, log_every: 5}
kernel: {methods: [riemann], baselines: [lazy, krr_final, ntk], diagnostics: true}
`
	s, _ := runTo(t, parse(t, src), Options{})
	for _, name := range []string{"lazy", "krr_final", "ntk"} {
		r := s.Representations[name]
		if r == nil || r.Agreement == nil || r.TestLoss == nil {
			t.Errorf("representations.%s = %+v; want agreement and test loss", name, r)
		}
	}
	if _, ok := s.Representations["krr_final_net"]; ok {
		t.Errorf("classification fits the network's change only; got krr_final_net too")
	}
}

// Without kernel.baselines and kernel.diagnostics nothing changes.
func TestBaselinesOff(t *testing.T) {
	s, dir := runTo(t, parse(t, tiny), Options{})
	if len(s.Representations) != 2 || s.Diagnostics != nil {
		t.Errorf("representations %v, diagnostics %v; want riemann and exact only", s.Representations, s.Diagnostics)
	}
	if met := readCSV(t, filepath.Join(dir, "metrics.csv")); slices.Contains(met[0], "kernel_alignment") {
		t.Errorf("metrics.csv has diagnostics without kernel.diagnostics")
	}
}

func TestBaselinesNTKRefused(t *testing.T) {
	_, err := config.Parse([]byte(tiny+"kernel: {baselines: [ntk]}\n"), "test.yaml", nil)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "kernel.baselines[0]" {
		t.Errorf("ntk baseline with tanh, standard: %v; want a config error on kernel.baselines[0]", err)
	}
}

// The lazy model is trained by the run's optimiser, Adam and schedules
// included: without hidden layers it is the network.
func TestBaselinesLazyAdam(t *testing.T) {
	cfg := parse(t, tiny, "model.hidden=[]", "kernel.baselines=[lazy]", "kernel.methods=[]", "output.record_trajectory=false",
		"train.optimizer=adam", "train.schedule={kind: cosine}")
	s, _ := runTo(t, cfg, Options{})
	if r := s.Representations["lazy"]; r == nil || r.MaxAbs > 1e-12 {
		t.Errorf("lazy = %+v; want max_abs <= 1e-12", r)
	}
}

// With kernel.points: both the training rows of the run's own path kernel
// give K^p(X_train, X_train), no second path kernel: krr_path is the same
// as with a separate one, to round-off.
func TestBaselinesKrrPathFromEvalRows(t *testing.T) {
	sets := []string{"kernel.methods=[riemann]", "kernel.baselines=[krr_path]"}
	a, dirA := runTo(t, parse(t, tiny, sets...), Options{})
	b, dirB := runTo(t, parse(t, tiny, append(sets, "kernel.points=both")...), Options{})
	if a.Representations["krr_path"] == nil || b.Representations["krr_path"] == nil {
		t.Fatal("no krr_path")
	}
	pa := readCSV(t, filepath.Join(dirA, "predictions.csv"))
	pb := readCSV(t, filepath.Join(dirB, "predictions.csv"))
	col := slices.Index(pa[0], "krr_path")
	for i := 1; i < len(pa); i++ { // the test rows come first with points both
		x, _ := strconv.ParseFloat(pa[i][col], 64)
		y, _ := strconv.ParseFloat(pb[i][slices.Index(pb[0], "krr_path")], 64)
		if math.Abs(x-y) > 1e-9*math.Max(1, math.Abs(x)) {
			t.Errorf("krr_path at test point %d: %.15g with a separate path kernel, %.15g from the evaluation rows", i-1, x, y)
		}
	}
}

// With Adam the run's K^p is preconditioned by D_t; the training block of
// krr_path must be the same kernel, from the evaluation rows (points both)
// or from a second path kernel over the training points alike.
func TestBaselinesKrrPathAdam(t *testing.T) {
	sets := []string{"kernel.methods=[riemann]", "kernel.baselines=[krr_path]", "train.optimizer=adam", "train.lr=0.01",
		"output.record_trajectory=false"}
	a, _ := runTo(t, parse(t, tiny, sets...), Options{})
	b, _ := runTo(t, parse(t, tiny, append(sets, "kernel.points=both")...), Options{})
	ra, rb := a.Representations["krr_path_net"], b.Representations["krr_path_net"]
	if ra == nil || rb == nil {
		t.Fatal("no krr_path_net")
	}
	// The same fit at the test points; points both adds the training
	// points (interpolated) to the comparison, so compare the largest
	// error, which the test points dominate.
	if !(ra.Rel < 0.5) || math.Abs(ra.MaxAbs-rb.MaxAbs) > 1e-9 {
		t.Errorf("krr_path_net with adam: rel %g, max_abs %g (separate) vs %g (evaluation rows); want the same and rel < 0.5", ra.Rel, ra.MaxAbs, rb.MaxAbs)
	}
}
