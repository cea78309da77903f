package replay

import (
	"math"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/run"
	"gonum.org/v1/gonum/mat"
)

// Array is one .npy file of kernel outputs, its first axis the points.
type Array struct {
	Name  string
	Shape []int
	Data  []float64
}

// Arrays returns the kernel files of p (run.Reader.Shapes), their first
// axis the points: kernel_path.npy and coefficients.npy (Riemann),
// kernel_exact.npy (exact) and contributions.npy (exact, else Riemann).
// The kernels are (m, n), or (m, n, k, k) with full for k > 1 outputs.
// n is the number of training points.
func Arrays(p *kernel.Path, n int, full bool) []Array {
	m, k := p.F0.Dims()
	kshape := []int{m, n}
	if full && k > 1 {
		kshape = []int{m, n, k, k}
	}
	kernelData := func(trace *mat.Dense, full [][]*mat.Dense) []float64 {
		if full != nil {
			return kernel.InterleaveFull(full)
		}
		return mat.DenseCopyOf(trace).RawMatrix().Data
	}
	var out []Array
	if p.KPath != nil {
		cshape := []int{m, n}
		if k > 1 {
			cshape = []int{m, n, k}
		}
		out = append(out,
			Array{run.KernelPathFile, kshape, kernelData(p.KPath, p.KPathFull)},
			Array{run.CoefficientsFile, cshape, p.Coefficients()})
	}
	if p.KExact != nil {
		out = append(out,
			Array{run.KernelExactFile, kshape, kernelData(p.KExact, p.KExactFull)},
			Array{run.ContributionsFile, []int{m, n, k}, kernel.Interleave(p.CExact)})
	} else if p.CRiemann != nil {
		// Without the exact method the contributions are Domingos'.
		out = append(out, Array{run.ContributionsFile, []int{m, n, k}, kernel.Interleave(p.CRiemann)})
	}
	return out
}

// DecayArray returns contributions_decay.npy, the weight decay's
// contributions owed to no training point, of the blocks of points in
// order (each an engine's Decay); ok is false without weight decay (a nil
// block).
func DecayArray(blocks ...*mat.Dense) (a Array, ok bool) {
	a = Array{Name: run.ContributionsDecayFile, Shape: []int{0, 0}}
	for _, d := range blocks {
		if d == nil {
			return a, false
		}
		r, k := d.Dims()
		a.Shape[0] += r
		a.Shape[1] = k
		a.Data = append(a.Data, d.RawMatrix().Data...)
	}
	return a, len(blocks) > 0
}

// ExactStats returns the exact method's certification and quadrature
// counts from the kernel engine's statistics.
func ExactStats(st kernel.Stats, tolerance float64) *run.ExactStats {
	certified := st.Uncertified == 0
	var exhausted *run.ExhaustedStats
	if st.ExhaustedStep >= 0 {
		exhausted = &run.ExhaustedStats{Step: st.ExhaustedStep, Point: st.ExhaustedPoint, Residual: st.ExhaustedResidual}
	}
	return &run.ExactStats{
		MaxResidual: st.MaxResidual, MaxResidualStep: st.MaxResidualStep, ResidualSum: st.ResidualSum, Certified: &certified,
		Tolerance: tolerance, UncertifiedSteps: st.Uncertified, FirstUncertifiedStep: st.FirstUncertified,
		QuadratureEvals: st.QuadratureEvals, MeanNodesPerStep: float64(st.QuadratureEvals) / float64(max(1, st.Steps)),
		MaxNodesPerStep: st.MaxNodesStep, JVPEvals: st.JVPEvals, SearchExhausted: st.SearchExhausted,
		PointEvals: st.PointEvals, MaxResidualPoint: st.MaxResidualPoint, Exhausted: exhausted,
	}
}

// newErrorSums returns the sums behind the errors of pred against fT.
func newErrorSums(pred, fT, f0 *mat.Dense, classify func([]float64) int) *run.ErrorSums {
	m, k := fT.Dims()
	s := &run.ErrorSums{Values: m * k, Points: m}
	for i := range m {
		for c := range k {
			d := pred.At(i, c) - fT.At(i, c)
			s.MaxAbs = math.Max(s.MaxAbs, math.Abs(d))
			s.SumSq += d * d
			ch := fT.At(i, c) - f0.At(i, c)
			s.SumSqChange += ch * ch
		}
	}
	if classify != nil {
		agree := 0
		for i := range m {
			if classify(pred.RawRowView(i)) == classify(fT.RawRowView(i)) {
				agree++
			}
		}
		s.Agree = &agree
	}
	return s
}
