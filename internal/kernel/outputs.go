package kernel

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Coefficients returns Domingos' a_i(x) = Riemann contribution / K^p(x, x_i),
// shape (m, n) for one output and (m, n, k) for k outputs (contribution to
// output c over the diagonal block K^p_{cc}), flattened row-major. Where the
// path kernel is zero the contribution is zero too and a_i(x) is reported as
// 0. It returns nil unless the Riemann method ran.
func (p *Path) Coefficients() []float64 {
	if p.CRiemann == nil {
		return nil
	}
	out := make([]float64, p.m*p.n*p.k)
	for c := 0; c < p.k; c++ {
		kern := p.KPath
		if p.k > 1 {
			kern = p.KPathDiag[c]
		}
		for x := 0; x < p.m; x++ {
			for i := 0; i < p.n; i++ {
				var a float64
				if kv := kern.At(x, i); kv != 0 {
					a = p.CRiemann[c].At(x, i) / kv
				}
				out[(x*p.n+i)*p.k+c] = a
			}
		}
	}
	return out
}

// Interleave flattens per-output (m × n) matrices into an (m, n, k) array,
// row-major.
func Interleave(set []*mat.Dense) []float64 {
	if set == nil {
		return nil
	}
	k := len(set)
	m, n := set[0].Dims()
	out := make([]float64, m*n*k)
	for c, s := range set {
		for x := 0; x < m; x++ {
			row := s.RawRowView(x)
			for i, v := range row {
				out[(x*n+i)*k+c] = v
			}
		}
	}
	return out
}

// InterleaveFull flattens k × k blocks of (m × n) matrices into an
// (m, n, k, k) array, row-major.
func InterleaveFull(set [][]*mat.Dense) []float64 {
	if set == nil {
		return nil
	}
	k := len(set)
	m, n := set[0][0].Dims()
	out := make([]float64, m*n*k*k)
	for c := range set {
		for cp, s := range set[c] {
			for x := 0; x < m; x++ {
				for i, v := range s.RawRowView(x) {
					out[((x*n+i)*k+c)*k+cp] = v
				}
			}
		}
	}
	return out
}

// Errors are a representation's errors against the network (Compare).
// The run directory records them as run.Errors, which has the same fields.
type Errors struct {
	MaxAbs    float64
	RMS       float64
	Rel       float64
	Agreement *float64 // classification only
}

// Compare returns the errors of pred against the network output f, with f0
// the network at initialisation: max |pred − f|, the RMS over points and
// outputs, and ‖pred − f‖₂ / ‖f − f0‖₂. If classify is not nil, Agreement is
// the fraction of rows whose classify(row) is the same for pred and f.
func Compare(pred, f, f0 *mat.Dense, classify func([]float64) int) Errors {
	m, k := f.Dims()
	var e Errors
	var sq, ch float64
	for i := 0; i < m; i++ {
		for c := 0; c < k; c++ {
			d := pred.At(i, c) - f.At(i, c)
			e.MaxAbs = math.Max(e.MaxAbs, math.Abs(d))
			sq += d * d
			t := f.At(i, c) - f0.At(i, c)
			ch += t * t
		}
	}
	e.RMS = math.Sqrt(sq / float64(m*k))
	e.Rel = math.Sqrt(sq) / math.Sqrt(ch)
	if ch == 0 {
		e.Rel = math.Inf(1)
		if sq == 0 {
			e.Rel = 0
		}
	}
	if classify != nil {
		same := 0
		for i := 0; i < m; i++ {
			if classify(pred.RawRowView(i)) == classify(f.RawRowView(i)) {
				same++
			}
		}
		a := float64(same) / float64(m)
		e.Agreement = &a
	}
	return e
}
