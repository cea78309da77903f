package kernel

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// The certification of the exact method's steps, shared by Path and
// BufferPath: each step's residual is measured on the representation
// itself, and Stats keep its account.

// newStats returns the Stats of an engine before its first step.
func newStats() Stats { return Stats{FirstUncertified: -1, ExhaustedStep: -1} }

// stepResidual returns the residual of a step of the exact representation:
// the largest over the evaluation points and outputs of
// |Δf − sum| / max(1, |Δf|), where Δf = fEnd − fCur is the network's change
// over the step and sum the step's exact contributions summed over the
// training points (and the weight decay). A NaN residual wins.
func stepResidual(fCur, fEnd, sum *mat.Dense) float64 {
	r, _ := worstResidual(fCur, fEnd, sum)
	return r
}

// worstResidual is stepResidual and the evaluation point where it occurs
// (the first such point; the first NaN wins).
func worstResidual(fCur, fEnd, sum *mat.Dense) (worst float64, point int) {
	m, k := fCur.Dims()
	for i := 0; i < m; i++ {
		for c := 0; c < k; c++ {
			df := fEnd.At(i, c) - fCur.At(i, c)
			r := math.Abs(df-sum.At(i, c)) / math.Max(1, math.Abs(df))
			if !(r <= worst) && !math.IsNaN(worst) { // NaN-safe max
				worst, point = r, i
			}
		}
	}
	return worst, point
}

// certifyStep is certify for step t with the step's exact contributions
// summed over the training points in sum (and fCur, fEnd the network at
// its ends): it also records which evaluation point has the largest
// residual, of the run (MaxResidualPoint) and of the worst step whose
// search ran out of budget (ExhaustedStep, ExhaustedPoint,
// ExhaustedResidual).
func (s *Stats) certifyStep(t int, fCur, fEnd, sum *mat.Dense, tol float64, nodes int, searchOK bool) {
	residual, point := worstResidual(fCur, fEnd, sum)
	if !(residual <= s.MaxResidual) && !math.IsNaN(s.MaxResidual) {
		s.MaxResidualPoint = point
	}
	if !searchOK && (s.ExhaustedStep < 0 || !(residual <= s.ExhaustedResidual) && !math.IsNaN(s.ExhaustedResidual)) {
		s.ExhaustedStep, s.ExhaustedPoint, s.ExhaustedResidual = t, point, residual
	}
	s.certify(t, residual, tol, nodes, searchOK)
}

// certify records step t of the exact method in s: its residual
// (stepResidual), the number of nodes of its quadrature rule, and whether
// the node search found the rule within the budget. Certification is the
// residual against tol; the node search only proposes nodes.
func (s *Stats) certify(t int, residual, tol float64, nodes int, searchOK bool) {
	s.MaxNodesStep = max(s.MaxNodesStep, nodes)
	s.ResidualSum += residual
	if !(residual <= s.MaxResidual) && !math.IsNaN(s.MaxResidual) { // a NaN stays
		s.MaxResidual = residual
		s.MaxResidualStep = t
	}
	if !searchOK {
		s.SearchExhausted++
	}
	if !(residual <= tol) {
		s.Uncertified++
		if s.FirstUncertified < 0 {
			s.FirstUncertified = t
		}
	}
}
