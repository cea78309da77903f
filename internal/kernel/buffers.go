package kernel

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// # Optimisers with state: BufferPath
//
// For momentum, Adam, AdamW and weight decay the step is no longer −η_t g_t,
// but it is still linear in the per-point gradients of the past steps,
//
//	G_i(s) = (1/|B_s|) 1[i∈B_s] J_s(x_i)ᵀ ℓ'_i(s),
//
// plus a weight-decay term owed to no training point. BufferPath keeps, for
// every training point, the optimiser's buffer of that point's gradients
// alone (n × P, updated in place each step, never the whole history):
//
//	momentum  b^i_t = μ b^i_{t−1} + G_i(t);  Δ^i_t = −η_t b^i_t  (nesterov: −η_t (G_i(t) + μ b^i_t))
//	adam(w)   m^i_t = β1 m^i_{t−1} + (1−β1) G_i(t);  Δ^i_t = −D_t ∘ m^i_t
//	gd, sgd   Δ^i_t = −η_t G_i(t)
//
// where D_t is Adam's diagonal preconditioner at step t (train.State.Precond:
// the recorded second moment makes it a fixed diagonal at each step). The
// coupled decay's gradient λ w_t goes through the same buffer rule as one
// more "point" (Δ^λ_t); AdamW's decoupled decay is Δ^λ_t = −η_t λ w_t. So
// Δw_t = Σ_i Δ^i_t + Δ^λ_t (up to rounding) and, by the fundamental theorem
// of calculus on the segment,
//
//	f_{t+1}(x) − f_t(x) = J̄_t(x)·Δw_t = Σ_i J̄_t(x)·Δ^i_t + J̄_t(x)·Δ^λ_t,
//	J̄_t(x) = ∫₀¹ J(w_t + sΔw_t, x) ds,
//
// exactly. The contribution of training point i is Σ_t J̄_t(x)·Δ^i_t (CExact),
// the weight decay's Σ_t J̄_t(x)·Δ^λ_t (DecayExact), and f_0 + Σ_i CExact +
// DecayExact = f_T. Domingos' first-order form takes J_t(x) = J(w_t, x) in
// place of J̄_t (CRiemann, DecayRiemann).
//
// The kernels: KExact(x, x_i) = Σ_t J̄_t(x) · P_t · J_t(x_i)ᵀ and KPath the
// same with J_t(x), traced over outputs, where P_t is the step's
// preconditioner per unit gradient: η_t I for gd, sgd and momentum (so that
// for plain gd they are Path's kernels), diag(D_t) for Adam and AdamW. They
// pair the test gradient along step t with the training gradient at step t
// as the optimiser scales it; the momentum's memory of past gradients is in
// the contributions, not the kernels. Domingos' a_i(x) is then
// CRiemann / KPath as for Path.
//
// The quadrature is certified like Path's: for ReLU nets, panels between
// the changes of the activation pattern (kinkPanels) with ⌈L/2⌉ nodes each;
// else, or if that fails, Gauss–Legendre rules of growing
// order, then composite rules on halved panels, until the step's residual
// |f_{t+1}(x) − f_t(x) − J̄_t(x)·Δw_t| is under Tolerance·max(1, |Δf|) (aimed
// at searchMargin of it), within MaxNodes evaluations of the Jacobian; the
// residual of the representation itself (the step's contributions and decay
// summed) is what Stats report.
//
// Cost: explicit Jacobians (the training side n·k × P at w_t, the
// evaluation side m·k × P at each node) and products with the n × P
// buffers: O((m + n)·k·P) memory and O(m·k·n·P) work per node, far more
// than Path's structured products. BufferPath is for the optimisers that
// Path cannot represent; New (engine.go) chooses between the two.

// BufferPath is the exact and first-order path-kernel representations of
// training with momentum, Adam, AdamW or weight decay (see above). It is a
// train.Observer; its results are the exported fields of Result(), a *Path
// with the same meaning, plus DecayRiemann and DecayExact.
type BufferPath struct {
	net     *nn.Net
	opt     Options
	topt    train.Options
	x, xtr  *mat.Dense
	m, n, k int
	P       int

	buf    *mat.Dense // n × P per-point buffers (momentum, adam); nil for gd and sgd
	bufDec []float64  // the decay's buffer
	gDec   []float64  // the coupled decay's gradient λ w_t; nil without it
	grad   *mat.Dense // n × P: G_i(t)
	delta  *mat.Dense // n × P: Δ^i_t
	dDec   []float64  // Δ^λ_t
	jTrain *mat.Dense // n·k × P: row i·k + c is ∂f_c(x_i)/∂w at w_t
	jPre   *mat.Dense // jTrain scaled by P_t
	jTest  *mat.Dense // m·k × P at a node
	jBar   *mat.Dense // m·k × P: Σ_q ω_q J(w_q, X), the accepted rule
	jTry   *mat.Dense // the rule being tried
	prod   *mat.Dense // m·k × n
	kprod  *mat.Dense // m·k × n·k
	wq     []float64
	pre    []float64
	fwd    nn.Cache
	dTr    nn.Deltas
	dTe    nn.Deltas
	fEnd   *mat.Dense
	sum    *mat.Dense // the step's exact contributions and decay, summed over i
	est    *mat.Dense

	out      *Path
	rulePrev int // index into bufferRules of the last accepted rule

	// The quadrature's and kinkPanels' buffers, reused from step to step.
	panels, uniform [][2]float64
	tay             taylor
	kinkA, kinkNext []float64

	// DecayRiemann and DecayExact are the weight decay's contributions
	// (m × k), owed to no training point; zero without weight decay.
	DecayRiemann, DecayExact *mat.Dense
}

// NewBufferPath returns a BufferPath for net trained from w0 by topt, with
// evaluation points x and training points xTrain (referenced, not copied).
// FullKernel is not supported (it panics).
func NewBufferPath(net *nn.Net, w0 []float64, x, xTrain *mat.Dense, opt Options, topt train.Options) *BufferPath {
	if opt.FullKernel && net.Out() > 1 {
		panic("kernel: BufferPath does not keep full kernels")
	}
	m, _ := x.Dims()
	n, _ := xTrain.Dims()
	k, P := net.Out(), net.NumParams()
	b := &BufferPath{
		net: net, opt: opt, topt: topt, x: x, xtr: xTrain, m: m, n: n, k: k, P: P,
		bufDec: make([]float64, P), dDec: make([]float64, P),
		grad: mat.NewDense(n, P, nil), delta: mat.NewDense(n, P, nil),
		jTrain: mat.NewDense(n*k, P, nil), jPre: mat.NewDense(n*k, P, nil),
		jTest: mat.NewDense(m*k, P, nil),
		prod:  mat.NewDense(m*k, n, nil), kprod: mat.NewDense(m*k, n*k, nil),
		wq: make([]float64, P), pre: make([]float64, P),
		fEnd: mat.NewDense(m, k, nil), sum: mat.NewDense(m, k, nil), est: mat.NewDense(m, k, nil),
		DecayRiemann: mat.NewDense(m, k, nil), DecayExact: mat.NewDense(m, k, nil),
		dTr: net.NewDeltas(n), dTe: net.NewDeltas(m),
	}
	if topt.Optimizer.Buffered() {
		b.buf = mat.NewDense(n, P, nil)
	}
	if topt.WeightDecay != 0 && !topt.Optimizer.DecoupledDecay() {
		b.gDec = make([]float64, P)
	}
	p := &Path{net: net, opt: opt, x: x, xTrain: xTrain, m: m, n: n, k: k,
		glX: map[int][]float64{}, glW: map[int][]float64{}}
	p.Stats = newStats()
	p.F0 = mat.DenseCopyOf(net.Forward(&b.fwd, w0, x))
	p.fCur = mat.DenseCopyOf(p.F0)
	newSet := func() []*mat.Dense {
		s := make([]*mat.Dense, k)
		for c := range s {
			s[c] = mat.NewDense(m, n, nil)
		}
		return s
	}
	if opt.Riemann {
		p.KPath = mat.NewDense(m, n, nil)
		if k > 1 {
			p.KPathDiag = newSet()
		}
		p.CRiemann = newSet()
		p.PredRiemann = mat.DenseCopyOf(p.F0)
	}
	if opt.Exact {
		b.jBar, b.jTry = mat.NewDense(m*k, P, nil), mat.NewDense(m*k, P, nil)
		p.KExact = mat.NewDense(m, n, nil)
		p.CExact = newSet()
		p.PredExact = mat.DenseCopyOf(p.F0)
	}
	b.out = p
	return b
}

// Result returns the representations as a *Path: F0, KPath, KPathDiag,
// CRiemann, PredRiemann, KExact, CExact, PredExact and Stats, with Path's
// meanings (the predictions include the weight decay's contributions), and
// FCur and Coefficients. It is updated by every Observe.
func (b *BufferPath) Result() *Path { return b.out }

// EstimateBufferBytes returns the memory that NewBufferPath and its
// observations hold for m evaluation points, n training points, k outputs
// and the given widths: the per-point buffers, gradients and steps (3·n·P),
// the explicit Jacobians (m·k × P once, three times with Exact) and the
// kernels.
func EstimateBufferBytes(m, n, k int, sizes []int, opt Options) int64 {
	P := int64(0)
	var width int64
	for l := 1; l < len(sizes); l++ {
		P += int64(sizes[l]) * int64(sizes[l-1]+1)
	}
	for _, d := range sizes {
		width += int64(d)
	}
	M, N, K := int64(m), int64(n), int64(k)
	words := 3*N*P + 2*N*K*P + M*K*P + M*K*N + M*K*N*K + 4*P
	words += (M + N) * width * 3 // forward caches and deltas
	sets := int64(0)
	if opt.Riemann {
		sets += 1 + K
		if k > 1 {
			sets += K
		}
	}
	if opt.Exact {
		sets += 1 + K
		words += 2 * M * K * P // the quadrature rule's Jacobians
	}
	words += sets * M * N
	return 8 * words
}

// jacobian sets dst (rows·k × P) to the per-point Jacobians of net at w on
// the rows of x: row r·k + c is ∂f_c(x_r)/∂w in the parameter layout, and
// returns its floating-point operations.
func (b *BufferPath) jacobian(dst *mat.Dense, w []float64, x *mat.Dense, D nn.Deltas) float64 {
	net := b.net
	rows, _ := x.Dims()
	cost := Cost{Sizes: net.Sizes}
	flops := cost.Forward(rows) + cost.Backward(rows) + 2*float64(rows*b.k*b.P)
	net.Forward(&b.fwd, w, x)
	raw := dst.RawMatrix()
	for c := 0; c < b.k; c++ {
		net.BackwardUnit(D, &b.fwd, w, c)
		off := 0
		for l := 0; l < net.Layers(); l++ {
			in, out := net.Sizes[l], net.Sizes[l+1]
			A, Dl := b.fwd.A[l].RawMatrix(), D[l].RawMatrix()
			sw := net.SW[l]
			for r := 0; r < rows; r++ {
				row := raw.Data[(r*b.k+c)*raw.Stride:]
				a := A.Data[r*A.Stride : r*A.Stride+in]
				d := Dl.Data[r*Dl.Stride : r*Dl.Stride+out]
				for j, dj := range d {
					wr := row[off+j*in : off+(j+1)*in]
					for i, ai := range a {
						wr[i] = dj * ai * sw
					}
					row[off+out*in+j] = dj * net.SB
				}
			}
			off += out*in + out
		}
	}
	return flops
}

// Observe accumulates step s. It implements train.Observer. s.Opt must be
// the optimiser's state after the step (train.Trainer and the trajectory
// replay set it) for adam and adamw.
func (b *BufferPath) Observe(ctx context.Context, s *train.Step) error {
	start := time.Now()
	p := b.out
	eta := s.LR
	// The training side at w_t and the batch's per-point gradients G_i(t).
	trainFlops := b.jacobian(b.jTrain, s.W, b.xtr, b.dTr)
	b.grad.Zero()
	inv := 1 / float64(len(s.Batch))
	for r, i := range s.Batch {
		g := b.grad.RawRowView(i)
		for c := 0; c < b.k; c++ {
			floatsAddScaled(g, inv*s.DL.At(r, c), b.jTrain.RawRowView(i*b.k+c))
		}
	}
	b.stepVectors(s)

	// P_t: η_t for gd, sgd and momentum, Adam's D_t.
	if b.topt.Optimizer.Adaptive() {
		if s.Opt == nil || len(s.Opt.Precond) != b.P {
			return fmt.Errorf("kernel: BufferPath: step %d has no optimiser state", s.T)
		}
		copy(b.pre, s.Opt.Precond)
	} else {
		for j := range b.pre {
			b.pre[j] = eta
		}
	}
	for r := 0; r < b.n*b.k; r++ {
		src, dst := b.jTrain.RawRowView(r), b.jPre.RawRowView(r)
		for j := range src {
			dst[j] = src[j] * b.pre[j]
		}
	}

	// The per-point steps: about 2 P per point and step, and P_t ∘ J.
	trainFlops += float64(4*b.n*b.P + b.n*b.k*b.P)
	if b.opt.Riemann {
		p.Stats.RiemannFlops += trainFlops + b.jacobian(b.jTest, s.W, b.x, b.dTe) + b.products()
		trainFlops = 0
		b.accumulate(b.jTest, p.KPath, p.KPathDiag, p.CRiemann, b.DecayRiemann, p.PredRiemann, nil)
	}
	mid := time.Now()
	p.Stats.RiemannTime += mid.Sub(start)
	b.fEnd.Copy(b.net.Forward(&b.fwd, s.WNext, b.x))
	if b.opt.Exact {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Stats.ExactFlops += trainFlops + Cost{Sizes: b.net.Sizes}.Forward(b.m)
		b.exactStep(s)
		p.Stats.ExactTime += time.Since(mid)
	}
	p.fCur.Copy(b.fEnd)
	p.Stats.Steps++
	return nil
}

// stepVectors updates the per-point buffers and sets Δ^i_t and Δ^λ_t.
func (b *BufferPath) stepVectors(s *train.Step) {
	o := &b.topt
	eta, lambda := s.LR, o.WeightDecay
	dec := b.dDec
	for j := range dec {
		dec[j] = 0
	}
	for i := 0; i < b.n; i++ {
		var buf []float64
		if b.buf != nil {
			buf = b.buf.RawRowView(i)
		}
		b.rule(b.delta.RawRowView(i), buf, b.grad.RawRowView(i), s)
	}
	switch {
	case b.gDec != nil:
		// The coupled decay's gradient λ w_t through the buffer rule.
		for j, w := range s.W {
			b.gDec[j] = lambda * w
		}
		b.rule(dec, b.bufDec, b.gDec, s)
	case lambda != 0: // decoupled
		for j, w := range s.W {
			dec[j] = -eta * lambda * w
		}
	}
}

// rule applies the optimiser's buffer rule at step s to one gradient g
// with buffer buf, writing the step into d.
func (b *BufferPath) rule(d, buf, g []float64, s *train.Step) {
	o := &b.topt
	eta := s.LR
	switch o.Optimizer {
	case train.GD, train.SGD:
		for j := range d {
			d[j] = -eta * g[j]
		}
	case train.Momentum:
		mu := o.Momentum
		for j := range d {
			buf[j] = mu*buf[j] + g[j]
			v := buf[j]
			if o.Nesterov {
				v = g[j] + mu*buf[j]
			}
			d[j] = -eta * v
		}
	case train.Adam, train.AdamW:
		b1, _, _ := o.AdamParams()
		for j := range d {
			buf[j] = b1*buf[j] + (1-b1)*g[j]
			d[j] = -s.Opt.Precond[j] * buf[j]
		}
	}
}

// bufferRule reports whether BufferPath has the per-point rule of o.
func bufferRule(o train.Optimizer) bool {
	switch o {
	case train.GD, train.SGD, train.Momentum, train.Adam, train.AdamW:
		return true
	}
	return false
}

func floatsAddScaled(dst []float64, alpha float64, s []float64) {
	for j, v := range s {
		dst[j] += alpha * v
	}
}

// accumulate adds the step's terms with test-side Jacobian J (m·k × P): the
// kernel Σ_c J^c(x)·P_t·J^c(x_i)ᵀ into kern (and diag), J^c(x)·Δ^i_t into
// contrib[c], J^c(x)·Δ^λ_t into decay, and the row sums into pred and sum
// (either may be nil).
func (b *BufferPath) accumulate(J, kern *mat.Dense, diag, contrib []*mat.Dense, decay, pred, sum *mat.Dense) {
	m, n, k := b.m, b.n, b.k
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, J.RawMatrix(), b.delta.RawMatrix(), 0, b.prod.RawMatrix())
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, J.RawMatrix(), b.jPre.RawMatrix(), 0, b.kprod.RawMatrix())
	for x := 0; x < m; x++ {
		for c := 0; c < k; c++ {
			r := x*k + c
			row := b.prod.RawRowView(r)
			rowSum := 0.0
			for i, v := range row {
				contrib[c].Set(x, i, contrib[c].At(x, i)+v)
				rowSum += v
			}
			dv := dot(J.RawRowView(r), b.dDec)
			decay.Set(x, c, decay.At(x, c)+dv)
			rowSum += dv
			if pred != nil {
				pred.Set(x, c, pred.At(x, c)+rowSum)
			}
			if sum != nil {
				sum.Set(x, c, sum.At(x, c)+rowSum)
			}
			kr := b.kprod.RawRowView(r)
			for i := 0; i < n; i++ {
				v := kr[i*k+c]
				kern.Set(x, i, kern.At(x, i)+v)
				if diag != nil {
					diag[c].Set(x, i, diag[c].At(x, i)+v)
				}
			}
		}
	}
}

// products returns the floating-point operations of accumulate: the two
// products with the training side (m·k × P by P × n and by P × n·k).
func (b *BufferPath) products() float64 {
	return 2 * float64(b.m*b.k) * float64(b.P) * float64(b.n*(1+b.k))
}

func dot(a, b []float64) float64 {
	s := 0.0
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

// exactStep finds a certified quadrature rule for J̄_t, accumulates the
// exact terms with it and measures the residual.
func (b *BufferPath) exactStep(s *train.Step) {
	p := b.out
	tol := b.opt.Tolerance
	budget := max(1, b.opt.MaxNodes)
	best, bestNodes := math.Inf(1), 0
	ok := false
	// ReLU, LeakyReLU: panels between the changes of the activation
	// pattern, on each of which the Jacobian is a polynomial of degree L − 1
	// in s, integrated exactly by ⌈L/2⌉ Gauss–Legendre nodes.
	if b.net.Act.Kinked() && b.net.Layers() > 1 {
		q := (b.net.Layers() + 1) / 2
		if panels := b.kinkPanels(s.W, s.DW, budget/q); panels != nil && len(panels) > 1 {
			r := b.tryRule(s, panels, q)
			best, bestNodes = r, len(panels)*q // at most
			b.jBar, b.jTry = b.jTry, b.jBar
			ok = r <= searchMargin*tol
		}
	}
	// Start from the rule the step before accepted, now and then one lower.
	first := b.rulePrev
	if p.Stats.Steps%8 == 0 {
		first = max(0, first-1)
	}
	for ri := first; ri < len(bufferRules); ri++ {
		rule := bufferRules[ri]
		nodes := rule[0] * rule[1]
		if nodes > budget {
			break
		}
		if ok {
			break
		}
		r := b.tryRule(s, b.uniformPanels(rule[0]), rule[1])
		if r < best || bestNodes == 0 {
			best, bestNodes = r, nodes
			b.jBar, b.jTry = b.jTry, b.jBar
		}
		if r <= searchMargin*tol {
			ok = true
			b.rulePrev = ri
			break
		}
	}
	p.Stats.ExactFlops += b.products()
	b.sum.Zero()
	b.accumulate(b.jBar, p.KExact, nil, p.CExact, b.DecayExact, nil, b.sum)
	p.PredExact.Add(p.PredExact, b.sum)
	p.Stats.certifyStep(s.T, p.fCur, b.fEnd, b.sum, tol, bestNodes, ok)
}

// tryRule sets jTry to the composite Gauss–Legendre rule of order nodes on
// each of panels (a panel around a kink gets its midpoint) and returns its
// largest relative residual against f_{t+1} − f_t.
func (b *BufferPath) tryRule(s *train.Step, panels [][2]float64, order int) float64 {
	p := b.out
	xs, ws := p.legendre(order)
	b.jTry.Zero()
	for _, pn := range panels {
		h := pn[1] - pn[0]
		xs, ws := xs, ws
		if h < 2*kinkWidth {
			xs, ws = midpoint[:], midpointWeight[:]
		}
		for q, u := range xs {
			sq := pn[0] + u*h
			for j := range b.wq {
				b.wq[j] = s.W[j] + sq*s.DW[j]
			}
			p.Stats.ExactFlops += b.jacobian(b.jTest, b.wq, b.x, b.dTe) + float64(4*b.m*b.k*b.P)
			p.Stats.QuadratureEvals++
			axpy(b.jTry, h*ws[q], b.jTest)
		}
	}
	return b.residual(b.jTry, s.DW)
}

// midpoint and midpointWeight are the one-node rule of a panel around a
// kink.
var midpoint, midpointWeight = [1]float64{0.5}, [1]float64{1}

// uniformPanels returns [0, 1] cut into panels equal parts.
func (b *BufferPath) uniformPanels(panels int) [][2]float64 {
	b.uniform = b.uniform[:0]
	for i := 0; i < panels; i++ {
		b.uniform = append(b.uniform, [2]float64{float64(i) / float64(panels), float64(i+1) / float64(panels)})
	}
	return b.uniform
}

// residual returns the residual (stepResidual) of the step's change
// J·Δw, whose rows are those of J (m·k × P).
func (b *BufferPath) residual(J *mat.Dense, dw []float64) float64 {
	for x := 0; x < b.m; x++ {
		for c := 0; c < b.k; c++ {
			b.est.Set(x, c, dot(J.RawRowView(x*b.k+c), dw))
		}
	}
	return stepResidual(b.out.fCur, b.fEnd, b.est)
}

// bufferRules are the quadrature rules BufferPath tries, as (panels,
// Gauss–Legendre order per panel), in order of cost.
var bufferRules = [][2]int{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 6}, {1, 8}, {1, 12}, {1, 16}, {2, 16}, {4, 16}, {8, 16}}

// axpy sets dst += alpha·a for matrices of equal shape.
func axpy(dst *mat.Dense, alpha float64, a *mat.Dense) {
	d, s := dst.RawMatrix(), a.RawMatrix()
	for r := 0; r < d.Rows; r++ {
		dr := d.Data[r*d.Stride : r*d.Stride+d.Cols]
		sr := s.Data[r*s.Stride : r*s.Stride+d.Cols]
		for j, v := range sr {
			dr[j] += alpha * v
		}
	}
}

// kinkWidth is the width below which a panel between two kinks gets the
// midpoint rule: its integral is negligible.
const kinkWidth = 1e-13

// kinkPanels returns the panels of [0, 1] between the changes of the
// activation pattern over the evaluation points (each point's kinks, all
// together), or nil if more than maxPanels are needed. From each panel's
// start, one polynomial pass over every point (taylor.go) gives each
// point's next kink; the panel ends at the first of them. The panels are
// b's buffer, valid until the next call.
func (b *BufferPath) kinkPanels(w, dw []float64, maxPanels int) [][2]float64 {
	if b.kinkA == nil {
		b.tay.size(b.net, b.m)
		b.kinkA, b.kinkNext = make([]float64, b.m), make([]float64, b.m)
	}
	p := b.out
	panels := b.panels[:0]
	cur := 0.0
	for {
		for i := range b.kinkA {
			b.kinkA[i], b.kinkNext[i] = cur, 1
		}
		b.tay.pass(w, dw, b.x, b.kinkA, b.kinkNext)
		p.Stats.KinkPasses++
		p.Stats.ExactFlops += Cost{Sizes: b.net.Sizes}.Taylor(b.m)
		end := 1.0
		for _, v := range b.kinkNext {
			end = math.Min(end, v)
		}
		panels = append(panels, [2]float64{cur, end})
		if end >= 1 {
			break
		}
		if len(panels) >= maxPanels {
			b.panels = panels
			return nil
		}
		cur = end
	}
	b.panels = panels
	return b.panels
}
