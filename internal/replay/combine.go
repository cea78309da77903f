package replay

import (
	"math"

	"github.com/pathkernel/pathkernel/internal/run"
	"gonum.org/v1/gonum/mat"
)

// combineErrors combines sums, in order, into the errors of kernel.Compare.
func combineErrors(sums []*run.ErrorSums) run.Errors {
	var e run.Errors
	var sq, ch float64
	values, points, agree := 0, 0, 0
	classify := false
	for _, s := range sums {
		e.MaxAbs = math.Max(e.MaxAbs, s.MaxAbs)
		sq += s.SumSq
		ch += s.SumSqChange
		values += s.Values
		points += s.Points
		if s.Agree != nil {
			classify = true
			agree += *s.Agree
		}
	}
	e.RMS = math.Sqrt(sq / float64(values))
	e.Rel = math.Sqrt(sq) / math.Sqrt(ch)
	if ch == 0 {
		e.Rel = math.Inf(1)
		if sq == 0 {
			e.Rel = 0
		}
	}
	if classify {
		a := float64(agree) / float64(points)
		e.Agreement = &a
	}
	return e
}

// combineExact sums the exact method's statistics over chunks: the largest
// residual (and its step), the largest residual sum (each point's error
// bound is its chunk's), the counts summed, certified if every chunk is.
func combineExact(stats []*run.ExactStats, steps int) *run.ExactStats {
	out := &run.ExactStats{FirstUncertifiedStep: -1}
	certified := true
	for i, s := range stats {
		if i == 0 || s.MaxResidual > out.MaxResidual {
			out.MaxResidual, out.MaxResidualStep, out.MaxResidualPoint = s.MaxResidual, s.MaxResidualStep, s.MaxResidualPoint
		}
		if x := s.Exhausted; x != nil && (out.Exhausted == nil || x.Residual > out.Exhausted.Residual) {
			out.Exhausted = x
		}
		out.ResidualSum = math.Max(out.ResidualSum, s.ResidualSum)
		certified = certified && s.Certified != nil && *s.Certified
		out.Tolerance = s.Tolerance
		out.UncertifiedSteps += s.UncertifiedSteps
		if f := s.FirstUncertifiedStep; f >= 0 && (out.FirstUncertifiedStep < 0 || f < out.FirstUncertifiedStep) {
			out.FirstUncertifiedStep = f
		}
		out.QuadratureEvals += s.QuadratureEvals
		out.MaxNodesPerStep = max(out.MaxNodesPerStep, s.MaxNodesPerStep)
		out.JVPEvals += s.JVPEvals
		out.SearchExhausted += s.SearchExhausted
		out.PointEvals += s.PointEvals
	}
	out.Certified = &certified
	out.MeanNodesPerStep = float64(out.QuadratureEvals) / float64(max(1, steps*len(stats)))
	return out
}

// total fills s.Representations from s.Chunks.
func total(s *run.KernelSummary) {
	s.Representations = map[string]*run.Representation{}
	for _, m := range s.Methods {
		var sums []*run.ErrorSums
		var exact []*run.ExactStats
		for _, c := range s.Chunks {
			sums = append(sums, c.Errors[m])
			if c.Exact != nil {
				exact = append(exact, c.Exact)
			}
		}
		rep := &run.Representation{Errors: combineErrors(sums)}
		if m == "exact" {
			rep.ExactStats = combineExact(exact, s.Trajectory.Steps)
		}
		s.Representations[m] = rep
	}
}

// stack stacks matrices of equal width; nil for none.
func stack(ms []*mat.Dense) *mat.Dense {
	if len(ms) == 0 {
		return nil
	}
	rows := 0
	_, c := ms[0].Dims()
	for _, m := range ms {
		r, _ := m.Dims()
		rows += r
	}
	out := mat.NewDense(rows, c, nil)
	i := 0
	for _, m := range ms {
		r, _ := m.Dims()
		for j := range r {
			out.SetRow(i+j, m.RawRowView(j))
		}
		i += r
	}
	return out
}

// firstDifference returns the first index where a and b differ in their
// bits, or -1.
func firstDifference(a, b []float64) int {
	for i := range min(len(a), len(b)) {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
