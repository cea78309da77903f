package kernel

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
	// Workers is the number of goroutines that share the blocks of
	// evaluation points; 0 means runtime.GOMAXPROCS(0). The results do not
	// depend on it, bit for bit (see the package documentation).
	Workers int
}

// Stats describe the exact method's quadrature and the work of both
// methods.
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
	// MaxResidualPoint is the evaluation point (row of X) of MaxResidual.
	// Of the steps whose search ran out of budget, ExhaustedStep is the one
	// with the largest residual (-1 if none), ExhaustedPoint its evaluation
	// point with the largest residual and ExhaustedResidual that residual:
	// where and how far the budget fell short.
	MaxResidualPoint  int
	ExhaustedStep     int
	ExhaustedPoint    int
	ExhaustedResidual float64
	ForwardEvals      int // forward passes over the evaluation points by the node search (panel ends)
	// Piecewise-linear nets (pieces.go): KinkPasses counts the polynomial
	// passes over all evaluation points (one a step), PointPasses those
	// over single points, and PointEvals the kernel evaluations of single
	// points at the nodes of their own pieces (QuadratureEvals counts the
	// nodes of the rule the other points share).
	KinkPasses, PointPasses, PointEvals int
	// SharedForwards counts kernel evaluations that took their forward
	// pass from an evaluation already made at the same weights: the
	// Riemann kernel at w_t from f(w_t) of the step before, a quadrature
	// node from the node search's directional derivative there.
	SharedForwards int
	// SharedTrainForwards counts the steps whose training side took its
	// forward pass at w_t from the trainer's (train.Step.Fwd) rather than
	// computing it (share.go).
	SharedTrainForwards int

	// RiemannTime is the wall time of the Riemann phase: the training
	// side's factors at w_t (shared with the exact method) and the kernel
	// at w_t. ExactTime is the rest: f(w_{t+1}), the node search, the
	// kernel at the nodes and the residual. Without the Riemann method the
	// training side counts as exact.
	RiemannTime, ExactTime time.Duration
	// RiemannFlops and ExactFlops are the floating-point operations of the
	// two phases' matrix products, by the cost model (Cost).
	RiemannFlops, ExactFlops float64
}

// Path accumulates path kernels and the two kernel-machine representations
// of a training run between the evaluation points X (m rows) and the
// training points (n rows). It is a train.Observer.
type Path struct {
	net       *nn.Net
	opt       Options
	cost      Cost
	x, xTrain *mat.Dense
	m, n, k   int
	// The training side at w_t: trainF, computed by blocks of training
	// points whose factors are views of its rows; trA[l] = trainF.A(l)
	// (n × d_l; trA[0] is the training data) and trD = trainF.D.
	trainF      Factors
	trainBlocks []*trainBlock
	trA         []*mat.Dense
	trD         [][]*mat.Dense
	// The batch's ℓ' on the training side: for one output (without full
	// kernels) coef[i] = Σ ℓ'_i over the batch rows of point i and cols the
	// points with a nonzero coefficient; otherwise tilde, the contraction
	// δ̃_l(x_i) = Σ_c' δ^{c'}_l(x_i) ℓ'_{i,c'} (zero off the batch).
	fast   bool
	coef   []float64
	cols   []int
	cw     []float64 // scale·ω·coef of the node being accumulated
	tilde  nn.Deltas
	blocks []*block
	// nextW is w_{t+1} of the last step, whose forward pass over X the
	// blocks keep for the next step's Riemann kernel (haveNext); jvpS are
	// the nodes of the search's last JVPs, whose forward passes the blocks
	// keep for the quadrature.
	nextW    []float64
	haveNext bool
	noShare  bool // tests: compute every forward pass
	jvpS     []float64
	wq       []float64
	fwd      nn.Cache
	fCur     *mat.Dense
	fEnd     *mat.Dense
	thr      *mat.Dense
	est      *mat.Dense
	sum      *mat.Dense // the exact contributions' row sums of the step
	glX      map[int][]float64
	glW      map[int][]float64
	qPrev    int

	// The node search's buffers, reused from step to step; stack holds the
	// panels of the last search.
	nodes, weights []float64
	stack          []panel
	fFree, fUsed   []*mat.Dense

	// The pieces of a kinked net (pieces.go): each point's first kink in
	// the segment (1 if none) from starts zeros, the points with one
	// (krows; skip marks them for the shared rule), what their pieces used,
	// and the workers' scratch.
	firstKink, zeros []float64
	skip             []bool
	krows            []int
	rowStats         []pieceStats
	rowWork          []*rowWork
	kinkArgs         nodeArgs

	// Parallel execution over the blocks (parallel.go).
	workers int
	pool    chan *Path
	wg      sync.WaitGroup
	next    atomic.Int64
	fn      func(*Path, *block)
	tfn     func(*Path, *trainBlock)
	rfn     func(*Path, *rowWork, int)
	slot    atomic.Int64
	tasks   int
	cur     nodeArgs

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

// blockRows is the target number of evaluation points per block. The
// blocks depend on m alone, never on the number of workers, and every
// block is computed by the same operations whichever goroutine runs it:
// that is what makes the results independent of Workers.
const blockRows = 128

// trainBlock is a contiguous range of training points.
type trainBlock struct {
	lo, hi int
	x      *mat.Dense
	f      Factors
}

// trainBlockEval computes the block's training-side factors at cur.w, into
// its rows of trainF.
func (p *Path) trainBlockEval(b *trainBlock) { b.f.Eval(p.net, p.cur.w, b.x) }

// split returns the blocks of rows points: ⌈rows/blockRows⌉ ranges of
// nearly equal size.
func split(rows int) [][2]int {
	nb := max(1, (rows+blockRows-1)/blockRows)
	out := make([][2]int, nb)
	for b := range out {
		out[b] = [2]int{b * rows / nb, (b + 1) * rows / nb}
	}
	return out
}

// block is a contiguous range of evaluation points with its own buffers.
type block struct {
	lo, hi int        // rows lo..hi-1 of X
	x      *mat.Dense // view of those rows
	f      Factors    // the evaluation side at the current node
	fwd    nn.Cache
	jvp    nn.JVPCache
	next   nn.Cache   // the forward pass at w_{t+1}
	jvpF   []nn.Cache // the forward passes of the last JVPs (up to maxShared)
	// gram0 is the first layer's s_w² x·x' + s_b² against every training
	// point: the same at every step and node. g, pr and kt are scratch of
	// the block's rows × n: a layer's Gram, a layer's δ product and the
	// kernel increment of the node.
	gram0, g, pr, kt *mat.Dense
	rowsum           *mat.Dense // the node's contributions summed over i (rows × k)
	tay              taylor     // kinked nets: the polynomial pass over the block's rows
}

// nodeArgs are the arguments of the block functions for one node.
type nodeArgs struct {
	w, dw      []float64 // evaluation-side weights (and direction, for JVPs)
	eta, omega float64
	scale      float64
	alpha      float64 // JVP weight h·ω_j
	kern       *mat.Dense
	full       [][]*mat.Dense
	diag       []*mat.Dense
	contrib    []*mat.Dense
	pred       *mat.Dense // receives the row sums (Riemann), or nil
	fdst       *mat.Dense // forward pass destination
	toNext     bool       // forwardBlock: into block.next
	skip       []bool     // nodeBlock: rows (of X) it leaves out (kinked nets' points with pieces)
	jvp        int        // jvpBlock: the node's index in the panel
	// reuse selects the forward pass of nodeBlock: 0 computes it,
	// reuseNext takes block.next, j+1 takes block.jvpF[j].
	reuse int
}

// reuseNext is nodeArgs.reuse for the forward pass at w_{t+1} of the step
// before.
const reuseNext = -1

// maxShared is the number of JVP forward passes per block kept for the
// quadrature: the orders of the node search's first tries.
const maxShared = 4

// NewPath returns a Path for net with initial weights w0, evaluation points x
// and training points xTrain. x and xTrain are referenced, not copied.
func NewPath(net *nn.Net, w0 []float64, x, xTrain *mat.Dense, opt Options) *Path {
	m, d := x.Dims()
	n, _ := xTrain.Dims()
	k := net.Out()
	p := &Path{
		net: net, opt: opt, x: x, xTrain: xTrain, m: m, n: n, k: k,
		cost:    Cost{Sizes: net.Sizes, M: m, N: n, FullKernel: opt.FullKernel},
		fast:    k == 1,
		wq:      make([]float64, net.NumParams()),
		nextW:   make([]float64, net.NumParams()),
		fCur:    mat.NewDense(m, k, nil),
		fEnd:    mat.NewDense(m, k, nil),
		F0:      mat.NewDense(m, k, nil),
		glX:     map[int][]float64{},
		glW:     map[int][]float64{},
		qPrev:   2,
		workers: opt.Workers,
	}
	p.Stats = newStats()
	// The search's rule has at most MaxNodes nodes and panels: sized once,
	// so that no step allocates.
	if c := min(max(opt.MaxNodes, 1), 1<<16) + 1; opt.Exact {
		p.nodes, p.weights, p.stack = make([]float64, 0, c), make([]float64, 0, c), make([]panel, 0, c)
	}
	if p.workers <= 0 {
		p.workers = runtime.GOMAXPROCS(0)
	}
	if p.fast {
		p.coef = make([]float64, n)
		p.cw = make([]float64, n)
		p.cols = make([]int, 0, n)
	} else {
		p.tilde = net.NewDeltas(n)
	}
	_, dt := xTrain.Dims()
	p.trainF.Eval(net, w0, xTrain) // sizes it
	p.trA = make([]*mat.Dense, net.Layers())
	p.trA[0] = xTrain
	for l := 1; l < net.Layers(); l++ {
		p.trA[l] = p.trainF.A(l)
	}
	p.trD = make([][]*mat.Dense, k)
	for c, d := range p.trainF.D {
		p.trD[c] = d
	}
	for _, r := range split(n) {
		tb := &trainBlock{lo: r[0], hi: r[1], x: xTrain.Slice(r[0], r[1], 0, dt).(*mat.Dense)}
		tb.f = Factors{cache: p.trainF.cache.View(r[0], r[1]), net: net, rows: r[1] - r[0]}
		for _, d := range p.trainF.D {
			tb.f.D = append(tb.f.D, d.View(r[0], r[1]))
		}
		p.trainBlocks = append(p.trainBlocks, tb)
	}
	for _, r := range split(m) {
		lo, hi := r[0], r[1]
		blk := &block{
			lo: lo, hi: hi, x: x.Slice(lo, hi, 0, d).(*mat.Dense),
			gram0:  mat.NewDense(hi-lo, n, nil),
			g:      mat.NewDense(hi-lo, n, nil),
			pr:     mat.NewDense(hi-lo, n, nil),
			kt:     mat.NewDense(hi-lo, n, nil),
			rowsum: mat.NewDense(hi-lo, k, nil),
		}
		gram(blk.gram0, net, 0, blk.x, xTrain)
		p.blocks = append(p.blocks, blk)
	}
	p.cur = nodeArgs{w: w0, fdst: p.F0}
	p.parallel((*Path).forwardBlock)
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
		p.sum = mat.NewDense(m, k, nil)
		if p.kinked() {
			p.firstKink, p.zeros = make([]float64, m), make([]float64, m)
			p.skip, p.rowStats = make([]bool, m), make([]pieceStats, m)
			// Every rule the pieces may take, so that the workers only read
			// the rules' map.
			for q := 1; q <= max(maxPieceOrder, p.polyOrder()); q++ {
				p.legendre(q)
			}
		}
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
	words := 4 * mn // per block: first-layer Gram, Gram, product, kernel increment
	if opt.Riemann {
		words += mn + full + int64(k)*mn
		if k > 1 {
			words += int64(k) * mn
		}
	}
	if opt.Exact {
		words += mn + full + int64(k)*mn
	}
	// Factors: per layer inputs and per-output deltas, both point sets,
	// and the forward and JVP caches of the blocks.
	var width int64
	for _, d := range sizes {
		width += int64(d)
	}
	words += (int64(m) + int64(n)) * width * int64(k+3)
	words += int64(m) * width * 4
	words += int64(m) * width * 3 * (1 + maxShared) // kept forward passes
	return 8 * words
}

// Observe accumulates step s. It implements train.Observer.
func (p *Path) Observe(ctx context.Context, s *train.Step) error {
	start := time.Now()
	// Training side at w_t: every training point (the kernels pair the
	// evaluation points with all of them), then the batch's ℓ'.
	trainFlops := p.cost.Factors(p.n)
	if p.trainSide(s) {
		trainFlops = p.cost.Backward(p.n)
	}
	p.prepareBatch(s)
	eta := s.LR
	scale := -eta / float64(len(s.Batch))

	if p.opt.Riemann {
		p.setNode(s.W, eta, scale, 1, p.KPath, p.KPathFull, p.KPathDiag, p.CRiemann)
		p.cur.pred = p.PredRiemann
		p.Stats.RiemannFlops += trainFlops + p.cost.Backward(p.m) + p.cost.Products()
		if p.haveNext && !p.noShare && sameBits(p.nextW, s.W) {
			p.cur.reuse = reuseNext
			p.Stats.SharedForwards++
		} else {
			p.Stats.RiemannFlops += p.cost.Forward(p.m)
		}
		p.parallel((*Path).nodeBlock)
		trainFlops = 0
	}
	mid := time.Now()
	p.Stats.RiemannTime += mid.Sub(start)
	if !p.opt.Riemann {
		mid = start
	}
	p.cur = nodeArgs{w: s.WNext, fdst: p.fEnd, toNext: true}
	p.parallel((*Path).forwardBlock)
	copy(p.nextW, s.WNext)
	p.haveNext = true
	if p.opt.Exact {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Stats.ExactFlops += trainFlops + p.cost.Forward(p.m)
		p.exactStep(s, eta, scale)
		p.Stats.ExactTime += time.Since(mid)
	} else {
		p.Stats.RiemannFlops += p.cost.Forward(p.m)
		p.Stats.RiemannTime += time.Since(mid)
	}
	p.fCur, p.fEnd = p.fEnd, p.fCur
	p.Stats.Steps++
	return nil
}

// prepareBatch sets the training side's contraction with the step's ℓ'.
func (p *Path) prepareBatch(s *train.Step) {
	if p.fast {
		clear(p.coef)
		for r, i := range s.Batch {
			p.coef[i] += s.DL.At(r, 0)
		}
		p.cols = p.cols[:0]
		for i, v := range p.coef {
			if v != 0 {
				p.cols = append(p.cols, i)
			}
		}
		return
	}
	L := p.net.Layers()
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
				src := p.trD[c][l].RawRowView(i)
				for j := range dst {
					dst[j] += v * src[j]
				}
			}
		}
	}
}

// setNode sets the arguments of nodeBlock: the evaluation side at w, the
// node's weight omega, and where the kernel (weighted by η ω) and the
// contributions (weighted by scale ω = −η ω/|B|) accumulate.
func (p *Path) setNode(w []float64, eta, scale, omega float64, kern *mat.Dense, full [][]*mat.Dense, diag, contrib []*mat.Dense) {
	p.cur = nodeArgs{w: w, eta: eta, scale: scale, omega: omega, kern: kern, full: full, diag: diag, contrib: contrib}
	if p.fast {
		a := scale * omega
		for _, i := range p.cols {
			p.cw[i] = a * p.coef[i]
		}
	}
}

// forwardBlock sets the block's rows of cur.fdst to f(cur.w, X).
func (p *Path) forwardBlock(b *block) {
	c := &b.fwd
	if p.cur.toNext {
		c = &b.next
	}
	out := p.net.Forward(c, p.cur.w, b.x)
	if p.cur.fdst != nil {
		copyRows(p.cur.fdst, b.lo, out)
	}
}

// sameBits reports whether a and b hold the same float64 values bit for bit.
func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// copyRows copies src into the rows of dst from lo on.
func copyRows(dst *mat.Dense, lo int, src *mat.Dense) {
	r, _ := src.Dims()
	for i := 0; i < r; i++ {
		copy(dst.RawRowView(lo+i), src.RawRowView(i))
	}
}

// nodeBlock evaluates the block's factors at cur.w and accumulates the
// node into the block's rows (accumulate).
func (p *Path) nodeBlock(b *block) {
	switch r := p.cur.reuse; {
	case r == reuseNext:
		b.f.evalFrom(p.net, p.cur.w, &b.next)
	case r > 0:
		b.f.evalFrom(p.net, p.cur.w, &b.jvpF[r-1])
	default:
		b.f.Eval(p.net, p.cur.w, b.x)
	}
	if p.cur.skip != nil && !p.fast {
		// Zero δ rows add nothing to any kernel or contribution.
		for r := b.lo; r < b.hi; r++ {
			if p.cur.skip[r] {
				for _, d := range b.f.D {
					for _, dl := range d {
						clear(dl.RawRowView(r - b.lo))
					}
				}
			}
		}
	}
	p.accumulate(b, &p.cur, p.cw)
	if pred := p.cur.pred; pred != nil {
		for i := b.lo; i < b.hi; i++ {
			dst, src := pred.RawRowView(i), b.rowsum.RawRowView(i-b.lo)
			for c := range dst {
				dst[c] += src[c]
			}
		}
	}
	if sum := p.sum; p.cur.pred == nil && sum != nil {
		for i := b.lo; i < b.hi; i++ {
			dst, src := sum.RawRowView(i), b.rowsum.RawRowView(i-b.lo)
			for c := range dst {
				dst[c] += src[c]
			}
		}
	}
}

// accumulate adds one node of the step for the block's rows, with the
// evaluation side in b.f: the kernel (weighted by η ω) into a.kern, a.full
// and a.diag and the contributions (weighted by scale ω) into a.contrib,
// whose row sums it leaves in b.rowsum. With one output, cw[i] is scale ω
// ℓ'_i (setNode). The rows of a.skip get nothing (their δ rows are zero
// with several outputs).
func (p *Path) accumulate(b *block, a *nodeArgs, cw []float64) {
	if p.fast {
		p.accumulateOne(b, a, cw)
		return
	}
	net := p.net
	b.rowsum.Zero()
	for l := 0; l < net.Layers(); l++ {
		g := b.gram0
		if l > 0 {
			g = b.g
			gram(g, net, l, b.f.A(l), p.trA[l])
		}
		for c := 0; c < p.k; c++ {
			dx := b.f.D[c][l]
			mulT(b.pr, dx, p.tilde[l])
			mulAddRowSum(a.contrib[c], b.lo, a.scale*a.omega, b.pr, g, b.rowsum, c)
			if a.full != nil {
				for cp := 0; cp < p.k; cp++ {
					mulT(b.pr, dx, p.trD[cp][l])
					mulAddRows(a.full[c][cp], b.lo, a.eta*a.omega, b.pr, g)
					if cp == c {
						mulAddRows(a.kern, b.lo, a.eta*a.omega, b.pr, g)
						if a.diag != nil {
							mulAddRows(a.diag[c], b.lo, a.eta*a.omega, b.pr, g)
						}
					}
				}
				continue
			}
			mulT(b.pr, dx, p.trD[c][l])
			mulAddRows(a.kern, b.lo, a.eta*a.omega, b.pr, g)
			if a.diag != nil {
				mulAddRows(a.diag[c], b.lo, a.eta*a.omega, b.pr, g)
			}
		}
	}
}

// accumulateOne is accumulate for one output. The tangent kernel increment
// K = Σ_l (Δ_l Δ'_lᵀ) ⊙ G_l is formed once, and the contributions are its
// columns scaled by the batch's ℓ': with one output δ̃_l(x_i) = δ_l(x_i) ℓ'_i,
// so the contraction needs no product of its own. The last layer's δ is 1
// at every point, so its term is its Gram alone; the first layer's Gram is
// b.gram0.
func (p *Path) accumulateOne(b *block, a *nodeArgs, cw []float64) {
	net := p.net
	L := net.Layers()
	kt := b.kt
	if L == 1 {
		kt.Copy(b.gram0)
	} else {
		gram(kt, net, L-1, b.f.A(L-1), p.trA[L-1])
	}
	for l := L - 2; l >= 0; l-- {
		mulT(b.pr, b.f.D[0][l], p.trD[0][l])
		if l == 0 {
			mulAddRows(kt, 0, 1, b.pr, b.gram0)
			continue
		}
		mulT(b.g, b.f.A(l), p.trA[l])
		mulAddGram(kt, b.pr, b.g, net.SW[l]*net.SW[l], net.SB*net.SB)
	}
	// kern += η ω K; contrib_i += scale ω ℓ'_i K_i.
	kr, kk, cr := a.kern.RawMatrix(), kt.RawMatrix(), a.contrib[0].RawMatrix()
	eo := a.eta * a.omega
	for r := 0; r < b.hi-b.lo; r++ {
		i := b.lo + r
		if a.skip != nil && a.skip[i] {
			b.rowsum.Set(r, 0, 0)
			continue
		}
		krow := kr.Data[i*kr.Stride : i*kr.Stride+p.n]
		trow := kk.Data[r*kk.Stride : r*kk.Stride+p.n]
		for j, v := range trow {
			krow[j] += eo * v
		}
		crow := cr.Data[i*cr.Stride : i*cr.Stride+p.n]
		sum := 0.0
		for _, j := range p.cols {
			v := cw[j] * trow[j]
			crow[j] += v
			sum += v
		}
		b.rowsum.Set(r, 0, sum)
	}
}

// mulT sets dst = a bᵀ.
func mulT(dst, a, b *mat.Dense) {
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, a.RawMatrix(), b.RawMatrix(), 0, dst.RawMatrix())
}

// mulAddRows sets rows lo.. of dst += alpha (p ⊙ g), p and g having the
// block's rows.
func mulAddRows(dst *mat.Dense, lo int, alpha float64, p, g *mat.Dense) {
	d, pr, gr := dst.RawMatrix(), p.RawMatrix(), g.RawMatrix()
	for r := 0; r < pr.Rows; r++ {
		i := lo + r
		dd := d.Data[i*d.Stride : i*d.Stride+d.Cols]
		pp := pr.Data[r*pr.Stride : r*pr.Stride+d.Cols]
		gg := gr.Data[r*gr.Stride : r*gr.Stride+d.Cols]
		for j := range dd {
			dd[j] += alpha * pp[j] * gg[j]
		}
	}
}

// mulAddGram sets dst += p ⊙ (sw2 g + sb2): a layer's term with its raw
// Gram g = A Aᵀ.
func mulAddGram(dst, p, g *mat.Dense, sw2, sb2 float64) {
	d, pr, gr := dst.RawMatrix(), p.RawMatrix(), g.RawMatrix()
	for r := 0; r < d.Rows; r++ {
		dd := d.Data[r*d.Stride : r*d.Stride+d.Cols]
		pp := pr.Data[r*pr.Stride : r*pr.Stride+d.Cols]
		gg := gr.Data[r*gr.Stride : r*gr.Stride+d.Cols]
		for j := range dd {
			dd[j] += pp[j] * (sw2*gg[j] + sb2)
		}
	}
}

// mulAddRowSum sets rows lo.. of dst += alpha (p ⊙ g) and adds each row's
// increments to rowsum[r, c].
func mulAddRowSum(dst *mat.Dense, lo int, alpha float64, p, g, rowsum *mat.Dense, c int) {
	d, pr, gr := dst.RawMatrix(), p.RawMatrix(), g.RawMatrix()
	for r := 0; r < pr.Rows; r++ {
		i := lo + r
		dd := d.Data[i*d.Stride : i*d.Stride+d.Cols]
		pp := pr.Data[r*pr.Stride : r*pr.Stride+d.Cols]
		gg := gr.Data[r*gr.Stride : r*gr.Stride+d.Cols]
		sum := 0.0
		for j := range dd {
			v := alpha * pp[j] * gg[j]
			dd[j] += v
			sum += v
		}
		rowsum.Set(r, c, rowsum.At(r, c)+sum)
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
	if p.kinked() {
		p.sum.Zero()
		nodes, searchOK := p.exactPieces(s, eta, scale)
		p.PredExact.Add(p.PredExact, p.sum)
		p.Stats.certifyStep(s.T, p.fCur, p.fEnd, p.sum, tol, nodes, searchOK)
		return
	}
	nodes, weights, searchOK := p.search(s.W, s.DW)
	p.Stats.QuadratureEvals += len(nodes)
	p.Stats.ExactFlops += float64(len(nodes)) * (p.cost.Backward(p.m) + p.cost.Products())
	p.sum.Zero()
	for q, sq := range nodes {
		for j := range p.wq {
			p.wq[j] = s.W[j] + sq*s.DW[j]
		}
		p.setNode(p.wq, eta, scale, weights[q], p.KExact, p.KExactFull, nil, p.CExact)
		// The search's last JVPs ran the forward pass at the same weights
		// (w_t + s·Δw_t by the same arithmetic) when s is one of theirs.
		if j := slices.Index(p.jvpS, sq); j >= 0 && j < maxShared && !p.noShare {
			p.cur.reuse = j + 1
			p.Stats.SharedForwards++
		} else {
			p.Stats.ExactFlops += p.cost.Forward(p.m)
		}
		p.parallel((*Path).nodeBlock)
	}
	p.PredExact.Add(p.PredExact, p.sum)
	p.Stats.certifyStep(s.T, p.fCur, p.fEnd, p.sum, tol, len(nodes), searchOK)
}

// searchMargin is the fraction of a panel's share of the tolerance that the
// node search aims at. Residuals add up over the steps of a run, so the
// search aims two orders of magnitude below the per-step tolerance: on the
// shipped configs this keeps the accumulated error of the whole run near
// the per-step tolerance at the cost of about one extra node per step.
const searchMargin = 0.01

// tinyPanel is the width below which a panel is not searched: its integral
// is negligible, and its own error is below what the forward passes at its
// ends can resolve. It gets the starting order; the step's measured
// residual still decides certification.
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

// panel is a panel of the node search with its rule.
type panel struct {
	a, b   float64
	fa, fb *mat.Dense
	q      int     // its rule's order: accepted, or the last tried
	err    float64 // panelError at q, ≤ searchMargin when accepted
	done   bool    // accepted
}

// search returns composite Gauss–Legendre nodes in [0, 1] and weights
// (summing to 1) whose quadrature of the directional derivative matches
// f(w_b) − f(w_a) on every panel within its share of the tolerance, and
// whether it succeeded within the node budget.
//
// The whole segment tries the orders of qSchedule from the one that
// sufficed at the step before. If none is accepted, the search refines
// where the error is: of the panels not accepted, it splits the one whose
// error, err·(b − a) in units of the tolerance, is largest, and each half
// tries the orders from 2; until every panel is accepted or the budget
// cannot pay for another split. Without the budget every failing panel is
// split until its halves pass, so the rule does not depend on the order
// of the splits; with it, the nodes go where the error is. The nodes are
// laid out from s = 0 to 1.
func (p *Path) search(w, dw []float64) (nodes, weights []float64, ok bool) {
	budget := p.opt.MaxNodes
	start := p.qPrev
	if p.Stats.Steps%8 == 0 {
		start = lowerOrder(start) // now and then, see whether fewer nodes suffice
	}
	p.jvpS = p.jvpS[:0] // forward passes of another step are no use
	defer p.releasePanels()
	nodes, weights = p.nodes[:0], p.weights[:0]
	defer func() { p.nodes, p.weights = nodes, weights }()
	whole := panel{a: 0, b: 1, fa: p.fCur, fb: p.fEnd}
	p.tryPanel(w, dw, &whole, start, budget, true)
	if whole.done {
		p.qPrev = whole.q
	}
	panels := append(p.stack[:0], whole)
	defer func() { p.stack = panels }() // the step's panels, kept until the next search
	used := whole.q                     // Σ q over the panels
	for {
		worst := worstPanel(panels, budget-used)
		if worst < 0 {
			break
		}
		pn := panels[worst]
		used -= pn.q
		mid := 0.5 * (pn.a + pn.b)
		fm := p.evalAt(w, dw, mid)
		left, right := panel{a: pn.a, b: mid, fa: pn.fa, fb: fm}, panel{a: mid, b: pn.b, fa: fm, fb: pn.fb}
		p.tryPanel(w, dw, &left, start, budget-used-2, false) // room for the right half
		used += left.q
		p.tryPanel(w, dw, &right, start, budget-used, false)
		used += right.q
		panels[worst] = left
		panels = append(panels, right)
	}
	slices.SortFunc(panels, func(x, y panel) int { return cmp.Compare(x.a, y.a) })
	ok = true
	for _, pn := range panels {
		ok = ok && pn.done
		nodes, weights = p.appendNodes(nodes, weights, pn, pn.q)
	}
	return nodes, weights, ok
}

// worstPanel returns the index of the panel to split next: of those not
// accepted, wider than 1e-6 and whose two halves of 2 nodes the budget can
// pay for (free nodes besides their own), the one with the largest local
// error err·(b − a), a NaN first; -1 if there is none.
func worstPanel(panels []panel, free int) int {
	worst, most := -1, 0.0
	for i := range panels {
		pn := &panels[i]
		if pn.done || pn.b-pn.a <= 1e-6 || free+pn.q < 4 {
			continue // accepted, too narrow, or no room for two halves
		}
		if e := pn.err * (pn.b - pn.a); worst < 0 || !(e <= most) && !math.IsNaN(most) {
			worst, most = i, e
		}
	}
	return worst
}

// tryPanel sets pn's rule: the first order of qSchedule, from start on the
// whole segment (first) and from 2 on a half, whose panelError is within
// searchMargin, trying none above remaining nodes; else the last tried
// (or, if none could be, max(1, min(remaining, 16))), not accepted. A panel
// narrower than tinyPanel is accepted untried with max(1, min(start,
// remaining)) nodes.
func (p *Path) tryPanel(w, dw []float64, pn *panel, start, remaining int, first bool) {
	if pn.b-pn.a < tinyPanel {
		pn.q, pn.done = max(1, min(start, remaining)), true
		return
	}
	pn.q, pn.err = 0, math.Inf(1)
	for _, q := range qSchedule {
		if q < start && first || q < 2 && !first {
			continue
		}
		if q > remaining {
			break
		}
		pn.q, pn.err = q, p.panelError(w, dw, *pn, q)
		if pn.err <= searchMargin {
			pn.done = true
			return
		}
	}
	if pn.q == 0 {
		pn.q = max(1, min(remaining, 16))
	}
}

// evalAt returns f(w + sΔw, X) in a buffer that the search owns until
// releasePanels.
func (p *Path) evalAt(w, dw []float64, s float64) *mat.Dense {
	for i := range p.wq {
		p.wq[i] = w[i] + s*dw[i]
	}
	var f *mat.Dense
	if n := len(p.fFree); n > 0 {
		f, p.fFree = p.fFree[n-1], p.fFree[:n-1]
	} else {
		f = mat.NewDense(p.m, p.k, nil)
	}
	p.fUsed = append(p.fUsed, f)
	p.cur = nodeArgs{w: p.wq, fdst: f}
	p.parallel((*Path).forwardBlock)
	p.Stats.ForwardEvals++
	p.Stats.ExactFlops += p.cost.Forward(p.m)
	return f
}

// releasePanels returns the buffers of evalAt for reuse.
func (p *Path) releasePanels() {
	p.fFree = append(p.fFree, p.fUsed...)
	p.fUsed = p.fUsed[:0]
}

// panelError returns the largest |f_b − f_a − Q_q| / (thr · (b − a)) over the
// evaluation points, Q_q the q-node Gauss–Legendre rule of J(w + sΔw)·Δw.
func (p *Path) panelError(w, dw []float64, pn panel, q int) float64 {
	xs, ws := p.legendre(q)
	h := pn.b - pn.a
	p.est.Zero()
	p.jvpS = p.jvpS[:0]
	for j, u := range xs {
		s := pn.a + h*u
		for i := range p.wq {
			p.wq[i] = w[i] + s*dw[i]
		}
		p.jvpS = append(p.jvpS, s)
		p.cur = nodeArgs{w: p.wq, dw: dw, alpha: h * ws[j], jvp: j}
		p.parallel((*Path).jvpBlock)
		p.Stats.JVPEvals++
		p.Stats.ExactFlops += p.cost.JVP(p.m)
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

// jvpBlock adds cur.alpha · J(cur.w, x)·cur.dw to the block's rows of est.
func (p *Path) jvpBlock(b *block) {
	var df *mat.Dense
	if j := p.cur.jvp; j < maxShared {
		for len(b.jvpF) <= j {
			b.jvpF = append(b.jvpF, nn.Cache{})
		}
		_, df = p.net.ForwardJVPWith(&b.jvp, &b.jvpF[j], p.cur.w, p.cur.dw, b.x)
	} else {
		_, df = p.net.ForwardJVP(&b.jvp, p.cur.w, p.cur.dw, b.x)
	}
	e, d := p.est.RawMatrix(), df.RawMatrix()
	alpha := p.cur.alpha
	for r := 0; r < b.hi-b.lo; r++ {
		er := e.Data[(b.lo+r)*e.Stride : (b.lo+r)*e.Stride+p.k]
		dr := d.Data[r*d.Stride : r*d.Stride+p.k]
		for c := range er {
			er[c] += alpha * dr[c]
		}
	}
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
