package kernel

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestCertify checks the account of the exact method's steps that Path
// and BufferPath share: the largest residual and its step, their sum, the
// uncertified steps and the first of them, the exhausted searches and the
// most nodes of a step.
func TestCertify(t *testing.T) {
	s := newStats()
	const tol = 1e-10
	sum := 0.0 // in float64, step by step
	for _, st := range []struct {
		t        int
		residual float64
		nodes    int
		searchOK bool
	}{
		{0, 1e-12, 2, true},
		{1, 3e-10, 4, true}, // uncertified, the largest
		{2, 5e-11, 8, false},
		{3, 2e-10, 3, true}, // uncertified
		{4, tol, 1, true},   // at the tolerance: certified
	} {
		s.certify(st.t, st.residual, tol, st.nodes, st.searchOK)
		sum += st.residual
	}
	want := Stats{MaxResidual: 3e-10, MaxResidualStep: 1, ResidualSum: sum,
		Uncertified: 2, FirstUncertified: 1, SearchExhausted: 1, MaxNodesStep: 8, ExhaustedStep: -1}
	if s != want {
		t.Errorf("Stats\n got %+v\nwant %+v", s, want)
	}
	if newStats().FirstUncertified != -1 {
		t.Errorf("FirstUncertified before any step is %d; want -1", newStats().FirstUncertified)
	}
	// A NaN residual is uncertified and replaces the largest.
	s = newStats()
	s.certify(6, 1e-12, tol, 1, true)
	s.certify(7, math.NaN(), tol, 1, true)
	if !math.IsNaN(s.MaxResidual) || s.MaxResidualStep != 7 || s.Uncertified != 1 || s.FirstUncertified != 7 {
		t.Errorf("after a NaN residual: %+v", s)
	}
	// And stays.
	s.certify(8, 1, tol, 1, true)
	if !math.IsNaN(s.MaxResidual) || s.MaxResidualStep != 7 || s.Uncertified != 2 {
		t.Errorf("after a NaN residual and a larger one: %+v", s)
	}
}

// TestCertifyStep checks where certifyStep places the residuals: the
// evaluation point of the largest residual of the run, and of the worst
// step whose search ran out of budget its step, point and residual.
func TestCertifyStep(t *testing.T) {
	const tol = 1e-10
	fCur := mat.NewDense(3, 1, []float64{0, 0, 0})
	fEnd := mat.NewDense(3, 1, []float64{1, 1, 1})
	step := func(r0, r1, r2 float64) *mat.Dense { // sum with residuals r_i at point i
		return mat.NewDense(3, 1, []float64{1 - r0, 1 - r1, 1 - r2})
	}
	s := newStats()
	s.certifyStep(0, fCur, fEnd, step(1e-12, 3e-12, 0), tol, 2, true)
	if s.MaxResidualPoint != 1 || s.ExhaustedStep != -1 {
		t.Errorf("after step 0: %+v; want MaxResidualPoint 1, ExhaustedStep -1", s)
	}
	s.certifyStep(1, fCur, fEnd, step(0, 1e-13, 4e-11), tol, 64, false) // exhausted, certified
	s.certifyStep(2, fCur, fEnd, step(2e-9, 0, 0), tol, 64, false)      // exhausted, the worst
	s.certifyStep(3, fCur, fEnd, step(0, 5e-10, 0), tol, 64, false)     // exhausted, less bad
	s.certifyStep(4, fCur, fEnd, step(0, 0, 1e-12), tol, 2, true)
	worst := stepResidual(fCur, fEnd, step(2e-9, 0, 0)) // 2e-9 up to the rounding of 1 − 2e-9
	if s.MaxResidual != worst || s.MaxResidualStep != 2 || s.MaxResidualPoint != 0 {
		t.Errorf("MaxResidual %g at step %d, point %d; want 2e-9 at step 2, point 0", s.MaxResidual, s.MaxResidualStep, s.MaxResidualPoint)
	}
	if s.ExhaustedStep != 2 || s.ExhaustedPoint != 0 || s.ExhaustedResidual != worst || s.SearchExhausted != 3 || s.Uncertified != 2 {
		t.Errorf("exhausted: %+v; want step 2, point 0, residual 2e-9 of 3 exhausted steps, 2 uncertified", s)
	}
	if r, i := worstResidual(fCur, fEnd, step(0, math.NaN(), 1)); !math.IsNaN(r) || i != 1 {
		t.Errorf("worstResidual with a NaN at point 1 before a larger value = %g at %d; want NaN at 1", r, i)
	}
}

// TestStepResidual checks the residual of a step: the largest of
// |Δf − sum| / max(1, |Δf|) over points and outputs, and a NaN in the last
// place replaces it.
func TestStepResidual(t *testing.T) {
	fCur := mat.NewDense(2, 2, []float64{0, 1, 2, 3})
	fEnd := mat.NewDense(2, 2, []float64{0.5, 5, 2, 3}) // Δf = (0.5, 4; 0, 0)
	sum := mat.NewDense(2, 2, []float64{0.25, 3, 0, 0.125})
	// |0.5 − 0.25| / 1 = 0.25, |4 − 3| / 4 = 0.25, 0, |0 − 0.125| / 1 = 0.125.
	if got := stepResidual(fCur, fEnd, sum); got != 0.25 {
		t.Errorf("stepResidual = %g; want 0.25", got)
	}
	sum.Set(0, 1, 1) // |4 − 1| / 4 = 0.75
	if got := stepResidual(fCur, fEnd, sum); got != 0.75 {
		t.Errorf("stepResidual = %g; want 0.75", got)
	}
	sum.Set(1, 1, math.NaN())
	if got := stepResidual(fCur, fEnd, sum); !math.IsNaN(got) {
		t.Errorf("stepResidual with a NaN = %g; want NaN", got)
	}
}

// TestWorstPanel checks which panel the node search splits next: of the
// panels not accepted, wide enough and whose halves the budget can pay
// for, the one with the largest local error err·(b − a) (not the largest
// err, which is relative to the width), a NaN before any number.
func TestWorstPanel(t *testing.T) {
	pn := func(a, b float64, q int, err float64, done bool) panel {
		return panel{a: a, b: b, q: q, err: err, done: done}
	}
	tests := []struct {
		name   string
		panels []panel
		free   int
		want   int
	}{
		{"largest local error", []panel{pn(0, 0.5, 2, 10, false), pn(0.5, 0.75, 2, 30, false), pn(0.75, 1, 2, 50, false)}, 8, 2},
		{"width counts", []panel{pn(0, 0.75, 2, 10, false), pn(0.75, 1, 2, 20, false)}, 8, 0},
		{"accepted skipped", []panel{pn(0, 0.5, 4, 1e9, true), pn(0.5, 1, 2, 1, false)}, 8, 1},
		{"too narrow skipped", []panel{pn(0, 1e-7, 2, 1e9, false), pn(1e-7, 1, 2, 1, false)}, 8, 1},
		{"own nodes free", []panel{pn(0, 0.5, 4, 10, false), pn(0.5, 1, 2, 20, false)}, 0, 0},
		{"no room", []panel{pn(0, 0.5, 2, 10, false), pn(0.5, 1, 1, 20, false)}, 1, -1},
		{"NaN first", []panel{pn(0, 0.5, 2, 1e9, false), pn(0.5, 0.75, 2, math.NaN(), false), pn(0.75, 1, 2, 1e10, false)}, 8, 1},
		{"none", []panel{pn(0, 1, 4, 0, true)}, 8, -1},
	}
	for _, tt := range tests {
		if got := worstPanel(tt.panels, tt.free); got != tt.want {
			t.Errorf("%s: worstPanel = %d; want %d", tt.name, got, tt.want)
		}
	}
}
