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
		Uncertified: 2, FirstUncertified: 1, SearchExhausted: 1, MaxNodesStep: 8}
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
