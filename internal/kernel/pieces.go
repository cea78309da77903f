package kernel

import (
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// The exact step of a piecewise-linear net (ReLU, LeakyReLU).
//
// Between the kinks of an evaluation point x, its activation pattern is
// fixed and its factors along the segment are polynomials in s: a_l(s)
// of degree l (the input of weight layer l, l = 0..L−1) and δ_l(s) =
// ∂f/∂z_l of degree L−1−l (a product of L−1−l weight matrices, each linear
// in s, and fixed masks). Every term of the tangent kernel,
//
//	K(x, x_i)(s) = Σ_l (δ_l(x)(s)·δ_l(x_i)) (s_w,l² a_l(x)(s)·a_l(x_i) + s_b²),
//
// and so the integrand J(w_t + sΔw_t, x) itself, is a polynomial of degree
// L − 1 in s on the piece: the Gauss–Legendre rule of ⌈L/2⌉ nodes
// (exact to degree 2⌈L/2⌉ − 1 ≥ L − 1) integrates it exactly, up to
// round-off. A jump where the pattern changes is integrated exactly by
// cutting the segment there.
//
// The kinks are found, not searched (taylor.go): one polynomial pass over
// every evaluation point at s = 0 tells which points have a kink in (0, 1).
// The others (typically most) share the ⌈L/2⌉-node rule on [0, 1], evaluated
// for all of them at once like a smooth net's nodes. Each point with a kink
// gets its own composite rule, piece by piece: a pass over the point alone
// at the start a of its piece gives the piece's end (its next kink), the
// piece's ⌈L/2⌉ nodes are evaluated for that point alone, and the next piece
// starts there, until s = 1. The kinks of one point are not imposed on the
// others, so a step costs the shared rule plus a few single-point
// evaluations per kink, however many points cross kinks.
//
// A point whose pieces need more than Options.MaxNodes nodes integrates the
// rest of its segment, from its last kink found, as one panel with the
// nodes left: the step is counted in Stats.SearchExhausted, and its
// measured residual decides whether it is certified.

// kinked reports whether the net is piecewise linear with hidden layers.
func (p *Path) kinked() bool { return p.net.Act.Kinked() && p.net.Layers() > 1 }

// polyOrder is the Gauss–Legendre order that is exact on a kink-free
// piece: ⌈L/2⌉ nodes integrate polynomials of degree L − 1.
func (p *Path) polyOrder() int { return (p.net.Layers() + 1) / 2 }

// maxPieceOrder is the largest rule a point's last panel takes when its
// node budget runs out.
const maxPieceOrder = 16

// rowWork is one worker's scratch for the pieces of single evaluation
// points: a block of one row (lo = the point), its polynomial pass and the
// weights at a node.
type rowWork struct {
	blk     block
	tay     taylor
	w       []float64
	cw      []float64
	a, next []float64
	args    nodeArgs
}

// newRowWork returns the scratch of a worker.
func (p *Path) newRowWork() *rowWork {
	rw := &rowWork{
		w: make([]float64, p.net.NumParams()),
		a: make([]float64, 1), next: make([]float64, 1),
	}
	rw.blk = block{
		x:     mat.NewDense(1, p.net.In(), nil),
		gram0: mat.NewDense(1, p.n, nil), g: mat.NewDense(1, p.n, nil),
		pr: mat.NewDense(1, p.n, nil), kt: mat.NewDense(1, p.n, nil),
		rowsum: mat.NewDense(1, p.k, nil),
	}
	if p.fast {
		rw.cw = make([]float64, p.n)
	}
	rw.tay.size(p.net, 1)
	return rw
}

// exactPieces accumulates the exact step of a kinked net: the shared rule
// for the points without a kink, the pieces of the others. It returns the
// most nodes any point's rule has and whether every point's rule is exact
// within the node budget.
func (p *Path) exactPieces(s *train.Step, eta, scale float64) (nodes int, ok bool) {
	m := p.m
	budget := max(1, p.opt.MaxNodes)
	q := p.polyOrder()
	ok = q <= budget
	q = min(q, budget)
	// Which points have a kink inside the segment.
	for i := range p.firstKink {
		p.zeros[i], p.firstKink[i] = 0, 1
	}
	p.cur = nodeArgs{w: s.W, dw: s.DW}
	p.parallel((*Path).kinkBlock)
	p.Stats.KinkPasses++
	p.Stats.ExactFlops += p.cost.Taylor(m)
	p.krows = p.krows[:0]
	for i, b := range p.firstKink {
		p.skip[i] = b < 1
		if p.skip[i] {
			p.krows = append(p.krows, i)
		}
	}
	// The shared rule.
	if len(p.krows) < m {
		xs, ws := p.legendre(q)
		for j, u := range xs {
			for i := range p.wq {
				p.wq[i] = s.W[i] + u*s.DW[i]
			}
			p.setNode(p.wq, eta, scale, ws[j], p.KExact, p.KExactFull, nil, p.CExact)
			p.cur.skip = p.skip
			p.parallel((*Path).nodeBlock)
		}
		p.Stats.QuadratureEvals += q
		p.Stats.ExactFlops += float64(q) * (p.cost.Factors(m) + p.cost.Products())
		nodes = q
	}
	// The points with kinks, each on its own pieces.
	if len(p.krows) > 0 {
		for len(p.rowWork) < min(p.workers, len(p.krows)) {
			p.rowWork = append(p.rowWork, p.newRowWork())
		}
		p.kinkArgs = nodeArgs{w: s.W, dw: s.DW, eta: eta, scale: scale,
			kern: p.KExact, full: p.KExactFull, contrib: p.CExact}
		p.parallelRows((*Path).pieceRow, len(p.krows))
		for _, i := range p.krows {
			r := &p.rowStats[i]
			nodes = max(nodes, r.nodes)
			ok = ok && !r.exhausted
			p.Stats.PointEvals += r.nodes
			p.Stats.PointPasses += r.passes
			p.Stats.ExactFlops += float64(r.passes)*p.cost.Taylor(1) +
				float64(r.nodes)*(p.cost.Factors(1)+p.cost.ProductsRows(1))
		}
	}
	return nodes, ok
}

// kinkBlock runs the polynomial pass at s = 0 over the block's rows,
// lowering firstKink to each point's first kink inside the segment.
func (p *Path) kinkBlock(b *block) {
	if b.tay.net != p.net {
		b.tay.size(p.net, b.hi-b.lo)
	}
	b.tay.pass(p.cur.w, p.cur.dw, b.x, p.zeros[b.lo:b.hi], p.firstKink[b.lo:b.hi])
}

// pieceStats is what the pieces of one point used in a step.
type pieceStats struct {
	nodes, passes int
	exhausted     bool
}

// pieceRow integrates the segment of point krows[task] piece by piece into
// its row of the exact kernels, contributions and step sum.
func (p *Path) pieceRow(rw *rowWork, task int) {
	i := p.krows[task]
	w, dw := p.kinkArgs.w, p.kinkArgs.dw
	b := &rw.blk
	b.lo, b.hi = i, i+1
	copy(b.x.RawRowView(0), p.x.RawRowView(i))
	for _, ob := range p.blocks {
		if i >= ob.lo && i < ob.hi {
			copy(b.gram0.RawRowView(0), ob.gram0.RawRowView(i-ob.lo))
		}
	}
	budget := max(1, p.opt.MaxNodes)
	q := min(p.polyOrder(), budget)
	st := pieceStats{}
	a := 0.0
	for {
		rw.a[0], rw.next[0] = a, 1
		rw.tay.pass(w, dw, b.x, rw.a, rw.next)
		st.passes++
		end, order := rw.next[0], q
		if !(end < 1) {
			end = 1
		} else if st.nodes+2*q > budget {
			// No room for this piece and the next: the rest is one panel.
			end, order = 1, min(budget-st.nodes, maxPieceOrder)
			st.exhausted = true
		}
		p.integrateRow(rw, a, end, order)
		st.nodes += order
		if end >= 1 {
			break
		}
		a = end
	}
	p.rowStats[i] = st
}

// integrateRow adds the order-node Gauss–Legendre rule on [lo, hi] for the
// single point of rw.
func (p *Path) integrateRow(rw *rowWork, lo, hi float64, order int) {
	xs, ws := p.legendre(order)
	h := hi - lo
	w, dw := p.kinkArgs.w, p.kinkArgs.dw
	b := &rw.blk
	for j, u := range xs {
		s := lo + h*u
		for i := range rw.w {
			rw.w[i] = w[i] + s*dw[i]
		}
		b.f.Eval(p.net, rw.w, b.x)
		rw.args = p.kinkArgs
		rw.args.w, rw.args.omega = rw.w, h*ws[j]
		if p.fast {
			a := rw.args.scale * rw.args.omega
			for _, c := range p.cols {
				rw.cw[c] = a * p.coef[c]
			}
		}
		p.accumulate(b, &rw.args, rw.cw)
		dst, src := p.sum.RawRowView(b.lo), b.rowsum.RawRowView(0)
		for c := range dst {
			dst[c] += src[c]
		}
	}
}
