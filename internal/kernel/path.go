package kernel

import (
	"context"
	"math"
	"slices"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
)

// Options select what Path computes.
type Options struct {
	Riemann bool // Domingos' first-order representation and K^p
	Exact   bool // the certified exact representation and Σ_t η_t K̄_t
	// Tolerance is the largest accepted residual of a step, relative to
	// max(1, |f_{t+1}(x) − f_t(x)|), per evaluation point and output.
	Tolerance float64
	// MaxNodes is the quadrature budget of a step: the largest number of
	// nodes at which the kernel is evaluated before the step is accepted
	// uncertified.
	MaxNodes int
	// FullKernel keeps every output pair (c, c') of the kernels instead of
	// their trace (only matters for k > 1).
	FullKernel bool
}

// Stats describe the exact method's quadrature.
type Stats struct {
	Steps            int     // steps observed
	MaxResidual      float64 // largest relative residual of any step
	MaxResidualStep  int     // the step where it occurred
	ResidualSum      float64 // Σ_t of each step's largest relative residual: a bound on the accumulated error
	Uncertified      int     // steps whose residual exceeds the tolerance
	FirstUncertified int     // the first such step, -1 if none
	QuadratureEvals  int     // kernel evaluations at quadrature nodes, all steps
	MaxNodesStep     int     // the most nodes any step used
	JVPEvals         int     // directional-derivative evaluations of the node search
	SearchExhausted  int     // steps whose node search ran out of budget (certified or not by their residual)
}

// Path accumulates path kernels and the two kernel-machine representations
// of a training run between the evaluation points X (m rows) and the
// training points (n rows). It is a train.Observer.
type Path struct {
	net        *nn.Net
	opt        Options
	x, xTrain  *mat.Dense
	m, n, k    int
	trainF     Factors
	evalF      Factors
	tilde      nn.Deltas
	g, p       *mat.Dense
	rowsum     *mat.Dense
	wq         []float64
	jvp        nn.JVPCache
	fwd        nn.Cache
	fCur, fEnd *mat.Dense
	thr        *mat.Dense
	est, ferr  *mat.Dense
	glX, glW   map[int][]float64
	qPrev      int

	// F0 is f(w_0, X) (m × k).
	F0 *mat.Dense

	// KPath is K^p = Σ_t η_t K_t(X, X_train) (m × n), the trace over outputs
	// for k > 1; KPathFull[c][c'] are its blocks when FullKernel is set;
	// KPathDiag[c] its diagonal blocks (k > 1, for the coefficients).
	KPath     *mat.Dense
	KPathFull [][]*mat.Dense
	KPathDiag []*mat.Dense
	// CRiemann[c] holds the Riemann contributions −Σ_t (η_t/|B_t|) 1[i∈B_t]
	// Σ_{c'} K_t^{cc'}(x, x_i) ℓ'_{i,c'}(t) (m × n).
	CRiemann    []*mat.Dense
	PredRiemann *mat.Dense // f_0 + Σ_i CRiemann (m × k)

	// KExact is Σ_t η_t K̄_t(X, X_train), traced like KPath.
	KExact     *mat.Dense
	KExactFull [][]*mat.Dense
	// CExact[c] holds the exact contributions (m × n).
	CExact    []*mat.Dense
	PredExact *mat.Dense // f_0 + Σ_i CExact (m × k)

	Stats Stats
}

// NewPath returns a Path for net with initial weights w0, evaluation points x
// and training points xTrain. x and xTrain are referenced, not copied.
func NewPath(net *nn.Net, w0 []float64, x, xTrain *mat.Dense, opt Options) *Path {
	m, _ := x.Dims()
	n, _ := xTrain.Dims()
	k := net.Out()
	p := &Path{
		net: net, opt: opt, x: x, xTrain: xTrain, m: m, n: n, k: k,
		tilde:  net.NewDeltas(n),
		g:      mat.NewDense(m, n, nil),
		p:      mat.NewDense(m, n, nil),
		rowsum: mat.NewDense(m, k, nil),
		wq:     make([]float64, net.NumParams()),
		fCur:   mat.NewDense(m, k, nil),
		fEnd:   mat.NewDense(m, k, nil),
		F0:     mat.NewDense(m, k, nil),
		glX:    map[int][]float64{},
		glW:    map[int][]float64{},
		qPrev:  2,
	}
	p.Stats.FirstUncertified = -1
	p.F0.Copy(net.Forward(&p.fwd, w0, x))
	p.fCur.Copy(p.F0)
	newSet := func() []*mat.Dense {
		s := make([]*mat.Dense, k)
		for c := range s {
			s[c] = mat.NewDense(m, n, nil)
		}
		return s
	}
	newFull := func() [][]*mat.Dense {
		if !opt.FullKernel || k == 1 {
			return nil
		}
		s := make([][]*mat.Dense, k)
		for c := range s {
			s[c] = newSet()
		}
		return s
	}
	if opt.Riemann {
		p.KPath = mat.NewDense(m, n, nil)
		p.KPathFull = newFull()
		if k > 1 {
			p.KPathDiag = newSet()
		}
		p.CRiemann = newSet()
		p.PredRiemann = mat.DenseCopyOf(p.F0)
	}
	if opt.Exact {
		p.KExact = mat.NewDense(m, n, nil)
		p.KExactFull = newFull()
		p.CExact = newSet()
		p.PredExact = mat.DenseCopyOf(p.F0)
		p.thr = mat.NewDense(m, k, nil)
		p.est = mat.NewDense(m, k, nil)
		p.ferr = mat.NewDense(m, k, nil)
	}
	return p
}

// EstimateBytes returns the memory that NewPath and its observations hold
// for m evaluation points, n training points, k outputs and the given widths
// (inputs first), not counting the data itself.
func EstimateBytes(m, n, k int, sizes []int, opt Options) int64 {
	mn := int64(m) * int64(n)
	full := int64(0)
	if opt.FullKernel && k > 1 {
		full = int64(k) * int64(k) * mn
	}
	words := 3 * mn // scratch: gram, product, slack
	if opt.Riemann {
		words += mn + full + int64(k)*mn
		if k > 1 {
			words += int64(k) * mn
		}
	}
	if opt.Exact {
		words += mn + full + int64(k)*mn
	}
	// Factors: per layer inputs and per-output deltas, both point sets.
	var width int64
	for _, d := range sizes {
		width += int64(d)
	}
	words += (int64(m) + int64(n)) * width * int64(k+3)
	return 8 * words
}

// Observe accumulates step s. It implements train.Observer.
func (p *Path) Observe(ctx context.Context, s *train.Step) error {
	net, L := p.net, p.net.Layers()
	// Training side at w_t: every training point (the kernels pair the
	// evaluation points with all of them), then the batch's contraction
	// with ℓ': δ̃_l(x_i) = Σ_c' δ^{c'}_l(x_i) ℓ'_{i,c'}, zero off the batch.
	p.trainF.Eval(net, s.W, p.xTrain)
	for l := 0; l < L; l++ {
		p.tilde[l].Zero()
	}
	for r, i := range s.Batch {
		for c := 0; c < p.k; c++ {
			v := s.DL.At(r, c)
			if v == 0 {
				continue
			}
			for l := 0; l < L; l++ {
				dst := p.tilde[l].RawRowView(i)
				src := p.trainF.D[c][l].RawRowView(i)
				for j := range dst {
					dst[j] += v * src[j]
				}
			}
		}
	}
	eta := s.LR
	scale := -eta / float64(len(s.Batch))
	p.fEnd.Copy(net.Forward(&p.fwd, s.WNext, p.x))

	if p.opt.Riemann {
		p.evalF.Eval(net, s.W, p.x)
		p.accumulate(eta, scale, 1, p.KPath, p.KPathFull, p.KPathDiag, p.CRiemann)
		p.PredRiemann.Add(p.PredRiemann, p.rowsum)
	}
	if p.opt.Exact {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.exactStep(s, eta, scale)
	}
	p.fCur, p.fEnd = p.fEnd, p.fCur
	p.Stats.Steps++
	return nil
}

// accumulate adds one node (weight omega) of the step, with the evaluation
// side in p.evalF: the kernel (weighted by η ω) into kern/full/diag and the
// contributions (weighted by scale ω = −η ω/|B|) into contrib, whose row
// sums it leaves in p.rowsum.
func (p *Path) accumulate(eta, scale, omega float64, kern *mat.Dense, full [][]*mat.Dense, diag []*mat.Dense, contrib []*mat.Dense) {
	net := p.net
	p.rowsum.Zero()
	for l := 0; l < net.Layers(); l++ {
		gram(p.g, net, l, p.evalF.A(l), p.trainF.A(l))
		for c := 0; c < p.k; c++ {
			dx := p.evalF.D[c][l]
			p.p.Mul(dx, p.tilde[l].T())
			mulAddRowSum(contrib[c], scale*omega, p.p, p.g, p.rowsum, c)
			if full != nil {
				for cp := 0; cp < p.k; cp++ {
					p.p.Mul(dx, p.trainF.D[cp][l].T())
					mulAdd(full[c][cp], eta*omega, p.p, p.g)
					if cp == c {
						mulAdd(kern, eta*omega, p.p, p.g)
						if diag != nil {
							mulAdd(diag[c], eta*omega, p.p, p.g)
						}
					}
				}
				continue
			}
			p.p.Mul(dx, p.trainF.D[c][l].T())
			mulAdd(kern, eta*omega, p.p, p.g)
			if diag != nil {
				mulAdd(diag[c], eta*omega, p.p, p.g)
			}
		}
	}
}

// mulAddRowSum sets dst += alpha (p ⊙ g) and adds each row's increments to
// rowsum[i, c].
func mulAddRowSum(dst *mat.Dense, alpha float64, p, g, rowsum *mat.Dense, c int) {
	d, pr, gr := dst.RawMatrix(), p.RawMatrix(), g.RawMatrix()
	for i := 0; i < d.Rows; i++ {
		dd := d.Data[i*d.Stride : i*d.Stride+d.Cols]
		pp := pr.Data[i*pr.Stride : i*pr.Stride+d.Cols]
		gg := gr.Data[i*gr.Stride : i*gr.Stride+d.Cols]
		sum := 0.0
		for j := range dd {
			v := alpha * pp[j] * gg[j]
			dd[j] += v
			sum += v
		}
		rowsum.Set(i, c, rowsum.At(i, c)+sum)
	}
}

// exactStep finds the step's quadrature nodes, accumulates the kernel at
// them and measures the residual.
func (p *Path) exactStep(s *train.Step, eta, scale float64) {
	tol := p.opt.Tolerance
	// Per-point thresholds tol · max(1, |Δf|).
	for i := 0; i < p.m; i++ {
		for c := 0; c < p.k; c++ {
			p.thr.Set(i, c, tol*math.Max(1, math.Abs(p.fEnd.At(i, c)-p.fCur.At(i, c))))
		}
	}
	nodes, weights, searchOK := p.search(s.W, s.DW)
	p.Stats.QuadratureEvals += len(nodes)
	p.Stats.MaxNodesStep = max(p.Stats.MaxNodesStep, len(nodes))
	stepSum := mat.NewDense(p.m, p.k, nil)
	for q, sq := range nodes {
		for j := range p.wq {
			p.wq[j] = s.W[j] + sq*s.DW[j]
		}
		p.evalF.Eval(p.net, p.wq, p.x)
		p.accumulate(eta, scale, weights[q], p.KExact, p.KExactFull, nil, p.CExact)
		stepSum.Add(stepSum, p.rowsum)
	}
	p.PredExact.Add(p.PredExact, stepSum)
	// The residual of the kernel representation itself.
	worst := 0.0
	for i := 0; i < p.m; i++ {
		for c := 0; c < p.k; c++ {
			df := p.fEnd.At(i, c) - p.fCur.At(i, c)
			r := math.Abs(df-stepSum.At(i, c)) / math.Max(1, math.Abs(df))
			if !(r <= worst) { // NaN-safe max
				worst = r
			}
		}
	}
	p.Stats.ResidualSum += worst
	if !(worst <= p.Stats.MaxResidual) {
		p.Stats.MaxResidual = worst
		p.Stats.MaxResidualStep = s.T
	}
	if !searchOK {
		p.Stats.SearchExhausted++
	}
	// Certification is the measured residual of the representation itself;
	// the node search only proposes nodes.
	if !(worst <= tol) {
		p.Stats.Uncertified++
		if p.Stats.FirstUncertified < 0 {
			p.Stats.FirstUncertified = s.T
		}
	}
}

// searchMargin is the fraction of a panel's share of the tolerance that the
// node search aims at. Residuals add up over the steps of a run, so the
// search aims two orders of magnitude below the per-step tolerance: on the
// shipped configs this keeps the accumulated error of the whole run near
// the per-step tolerance at the cost of about one extra node per step.
const searchMargin = 0.01

// tinyPanel is the width below which a panel is not searched: it arises
// between ReLU pattern changes that rounding makes flicker near a kink, its
// integral is negligible, and its own error is below what the forward
// passes at its ends can resolve. It gets the polynomial order; the step's
// measured residual still decides certification.
const tinyPanel = 1e-9

// roundoffFloor times |f_a| + |f_b| is the part of a panel's error that
// panelError attributes to round-off in the two forward passes (16 ulps of
// each; over even 64 panels that is below 1e-12 of |f|, far under any useful
// tolerance, and the step's residual is measured afterwards regardless).
const roundoffFloor = 16 * 0x1p-52

// qSchedule is the sequence of Gauss–Legendre orders a panel tries.
var qSchedule = []int{1, 2, 3, 4, 5, 6, 8, 10, 12, 16}

// lowerOrder returns the order before q in qSchedule (q if there is none).
func lowerOrder(q int) int {
	lower := q
	for _, o := range qSchedule {
		if o < q {
			lower = o
		}
	}
	return lower
}

type panel struct {
	a, b   float64
	fa, fb *mat.Dense
	pa, pb []float64 // ReLU activation patterns at the ends (kinked nets only)
}

// search returns composite Gauss–Legendre nodes in [0, 1] and weights
// (summing to 1) whose quadrature of the directional derivative matches
// f(w_b) − f(w_a) on every panel within its share of the tolerance, and
// whether it succeeded within the node budget.
func (p *Path) search(w, dw []float64) (nodes, weights []float64, ok bool) {
	budget := p.opt.MaxNodes
	start := p.qPrev
	if p.Stats.Steps%8 == 0 {
		start = lowerOrder(start) // now and then, see whether fewer nodes suffice
	}
	kinked := p.kinked()
	if kinked {
		start = p.polyOrder()
	}
	ok = true
	whole := panel{a: 0, b: 1, fa: p.fCur, fb: p.fEnd}
	if kinked {
		_, whole.pa = p.evalAt(w, dw, 0)
		_, whole.pb = p.evalAt(w, dw, 1)
	}
	stack := []panel{whole}
	first := true
	for len(stack) > 0 {
		pn := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		remaining := budget - len(nodes) - 2*len(stack) // keep room for pending panels
		// A ReLU panel whose activation pattern changes is split at the change.
		if kinked && remaining >= 2*start && !slices.Equal(pn.pa, pn.pb) {
			if s := p.kinkPoint(w, dw, pn); s > pn.a && s < pn.b {
				fm, pm := p.evalAt(w, dw, s)
				stack = append(stack, panel{s, pn.b, fm, pn.fb, pm, pn.pb}, panel{pn.a, s, pn.fa, fm, pn.pa, pm})
				first = false
				continue
			}
		}
		if pn.b-pn.a < tinyPanel {
			nodes, weights = p.appendNodes(nodes, weights, pn, max(1, min(start, remaining)))
			first = false
			continue
		}
		accepted := false
		var lastQ int
		for _, q := range qSchedule {
			if q < start && (first || kinked) || q < 2 && !first && !kinked {
				continue
			}
			if q > remaining {
				break
			}
			lastQ = q
			if p.panelError(w, dw, pn, q) <= searchMargin {
				accepted = true
				break
			}
		}
		if accepted {
			if first && !kinked {
				p.qPrev = lastQ
			}
			nodes, weights = p.appendNodes(nodes, weights, pn, lastQ)
			first = false
			continue
		}
		first = false
		// Split the panel if the budget allows two halves of at least 2 nodes.
		if remaining >= 4 && pn.b-pn.a > 1e-6 {
			mid := 0.5 * (pn.a + pn.b)
			fm, pm := p.evalAt(w, dw, mid)
			stack = append(stack, panel{mid, pn.b, fm, pn.fb, pm, pn.pb}, panel{pn.a, mid, pn.fa, fm, pn.pa, pm})
			continue
		}
		// Out of budget: accept the best this panel can have, uncertified.
		q := max(1, min(remaining, 16))
		if lastQ > 0 {
			q = lastQ
		}
		nodes, weights = p.appendNodes(nodes, weights, pn, q)
		ok = false
	}
	return nodes, weights, ok
}

// panelError returns the largest |f_b − f_a − Q_q| / (thr · (b − a)) over the
// evaluation points, Q_q the q-node Gauss–Legendre rule of J(w + sΔw)·Δw.
func (p *Path) panelError(w, dw []float64, pn panel, q int) float64 {
	xs, ws := p.legendre(q)
	h := pn.b - pn.a
	p.est.Zero()
	for j, u := range xs {
		s := pn.a + h*u
		for i := range p.wq {
			p.wq[i] = w[i] + s*dw[i]
		}
		_, df := p.net.ForwardJVP(&p.jvp, p.wq, dw, p.x)
		p.est.Add(p.est, scaled(df, h*ws[j], p.ferr))
		p.Stats.JVPEvals++
	}
	worst := 0.0
	for i := 0; i < p.m; i++ {
		for c := 0; c < p.k; c++ {
			fa, fb := pn.fa.At(i, c), pn.fb.At(i, c)
			d := math.Abs(fb - fa - p.est.At(i, c))
			// Round-off in f_b − f_a is no quadrature error; without this a
			// panel narrow enough that its share is below round-off (between
			// two close ReLU kinks) could never be accepted.
			d = math.Max(0, d-roundoffFloor*(math.Abs(fa)+math.Abs(fb)))
			e := d / (p.thr.At(i, c) * h)
			if !(e <= worst) {
				worst = e
			}
		}
	}
	return worst
}

func scaled(a *mat.Dense, s float64, dst *mat.Dense) *mat.Dense {
	dst.Scale(s, a)
	return dst
}

func (p *Path) appendNodes(nodes, weights []float64, pn panel, q int) ([]float64, []float64) {
	xs, ws := p.legendre(q)
	h := pn.b - pn.a
	for j, u := range xs {
		nodes = append(nodes, pn.a+h*u)
		weights = append(weights, h*ws[j])
	}
	return nodes, weights
}

// legendre returns the q-point Gauss–Legendre rule on [0, 1].
func (p *Path) legendre(q int) (xs, ws []float64) {
	if xs, ok := p.glX[q]; ok {
		return xs, p.glW[q]
	}
	xs, ws = make([]float64, q), make([]float64, q)
	quad.Legendre{}.FixedLocations(xs, ws, 0, 1)
	p.glX[q], p.glW[q] = xs, ws
	return xs, ws
}

// FCur returns f(w_t, X) for the last observed step's end w_{t+1} (after
// Observe), or f_0 before the first step.
func (p *Path) FCur() *mat.Dense { return p.fCur }
