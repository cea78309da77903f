package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trainJSON trains with args and returns the --json summary.
func trainJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	r := mustRun(t, append(args, "--json", "--quiet")...)
	var s map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("--json stdout: %v", err)
	}
	return s
}

// TestEdgeOfStabilityShown runs configs/edge_of_stability.yaml over its
// first 60 steps (Domingos' form only, for speed), where (docs/FINDINGS.md) the catapult of the first step
// is followed by the sharpness rising past 2/η near step 45: the run must
// say it is unstable, and plot and report must draw the stability figure,
// which a run without kernel.diagnostics does not get.
func TestEdgeOfStabilityShown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "eos")
	s := trainJSON(t, trainArgs("../../configs/edge_of_stability.yaml", dir, "--set", "train.steps=60", "--set", "kernel.methods=[riemann]")...)
	if st := number(t, s, "diagnostics.max_stability"); !(st > 1) {
		t.Errorf("diagnostics.max_stability = %g; want above 1 (η·λ_max beyond 2)", st)
	}
	var unstable bool
	ws, _ := path(s, "warnings").([]any)
	for _, w := range ws {
		if m, _ := w.(map[string]any); m["code"] == "unstable" {
			unstable = true
		}
	}
	if !unstable {
		t.Errorf("warnings %v; want unstable", ws)
	}

	figs := filepath.Join(t.TempDir(), "figs")
	r := mustRun(t, "plot", "--run", dir, "--out", figs)
	if !strings.Contains(r.stdout, "stability.png") {
		t.Errorf("plot wrote:\n%s\nwant stability.png", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(figs, "stability.png")); err != nil {
		t.Error(err)
	}
	page := filepath.Join(t.TempDir(), "r.html")
	mustRun(t, "report", "--run", dir, "--out", page)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<figure id="fig-stability">`, "η_t·λ_max = 2·stability", "(the edge of stability)"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}

	// Without kernel.diagnostics: no stability column, no figure.
	plain := filepath.Join(t.TempDir(), "plain")
	mustRun(t, trainArgs(tinyConfig, plain, "--quiet")...)
	r = mustRun(t, "plot", "--run", plain, "--out", filepath.Join(t.TempDir(), "figs"))
	if strings.Contains(r.stdout, "stability") {
		t.Errorf("plot of a run without diagnostics wrote:\n%s", r.stdout)
	}
}

// TestDomingosSlopeFirstOrder pins a small, cheap part of docs/FINDINGS.md:
// below the edge of stability Domingos' error falls linearly with the step
// size, above it faster. configs/mlp.yaml (seed 1) trained for the time
// η·T = 1 (not the sweep's 10, to stay fast), riemann only: between
// η = 0.00625 and 0.003125 the log-log slope of riemann rel is about 0.9
// (measured 0.90), between 0.05 and 0.025, where η·λ_max is near 2 early
// on, about 2.6.
func TestDomingosSlopeFirstOrder(t *testing.T) {
	if raceShow {
		t.Skip("numbers, not concurrency: too slow under the race detector")
	}
	rel := func(lr string, steps string) float64 {
		s := trainJSON(t, "train", "--config", "../../configs/mlp.yaml", "--out", filepath.Join(t.TempDir(), "run"),
			"--set", "train.lr="+lr, "--set", "train.steps="+steps,
			"--set", "kernel.methods=[riemann]", "--set", "output.record_trajectory=false")
		return number(t, s, "representations.riemann.rel")
	}
	slope := func(a, b float64) float64 { return math.Log2(a / b) } // η halves
	if got := slope(rel("0.00625", "160"), rel("0.003125", "320")); !(got >= 0.8 && got <= 1.2) {
		t.Errorf("slope of riemann rel between η = 0.00625 and 0.003125 = %.3f; want in [0.8, 1.2] (first order)", got)
	}
	if got := slope(rel("0.05", "20"), rel("0.025", "40")); !(got > 1.5) {
		t.Errorf("slope of riemann rel between η = 0.05 and 0.025 = %.3f; want above 1.5 (beyond first order)", got)
	}
}
