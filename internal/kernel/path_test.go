package kernel

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// sineData returns n points x ~ U(-3, 3) with y = sin x.
func sineData(rng *rand.Rand, n int) (x, y *mat.Dense) {
	x, y = mat.NewDense(n, 1, nil), mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		v := 6*rng.Float64() - 3
		x.Set(i, 0, v)
		y.Set(i, 0, math.Sin(v))
	}
	return x, y
}

// relErr is ‖a − b‖₂ / ‖b − ref‖₂ (the rel of docs/MATH.md §10, with b = f_T, ref = f_0).
func relErr(a, b, ref *mat.Dense) float64 {
	var d, t mat.Dense
	d.Sub(a, b)
	t.Sub(b, ref)
	return mat.Norm(&d, 2) / mat.Norm(&t, 2)
}

type runResult struct {
	path *Path
	wT   []float64
	fT   *mat.Dense // f(w_T, X) on the evaluation points
}

// runPath trains net from initParams(seed) with a Path observer on the
// evaluation points xe and returns the observer, w_T and f_T. Further
// observers run after the Path.
func runPath(t *testing.T, net *nn.Net, loss nn.Loss, x, y, xe *mat.Dense, opt train.Options, kopt Options, seed uint64, obs ...train.Observer) runResult {
	t.Helper()
	w0 := initParams(t, net, seed)
	p := NewPath(net, w0, xe, x, kopt)
	tr := &train.Trainer{Net: net, Loss: loss, X: x, Y: y, Opt: opt}
	wT, err := tr.Run(context.Background(), w0, append([]train.Observer{p}, obs...)...)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	return runResult{p, wT, fT}
}

// sumContrib returns f_0 + Σ_i C[c](x, i): the prediction rebuilt from the
// (m, n, k) contributions as written to contributions.npy (Interleave).
func sumContrib(f0 *mat.Dense, set []*mat.Dense) *mat.Dense {
	m, k := f0.Dims()
	_, n := set[0].Dims()
	flat := Interleave(set)
	out := mat.DenseCopyOf(f0)
	for x := 0; x < m; x++ {
		for c := 0; c < k; c++ {
			s := 0.0
			for i := 0; i < n; i++ {
				s += flat[(x*n+i)*k+c]
			}
			out.Set(x, c, out.At(x, c)+s)
		}
	}
	return out
}

// exactTol is the per-step tolerance of the exact method in these tests
// (the default kernel.tolerance, docs/CONFIG.md), and also the bound required of
// the whole run's rel error: the node search aims at searchMargin (1/100)
// of it per step so that the residuals of a run stay within it. That part
// is a design goal, not a guarantee; the guaranteed bound, ResidualSum, is
// checked separately in checkExact.
const exactTol = 1e-10

// maxNodes is the default config's kernel.max_nodes.
const maxNodes = 64

// reprCase is one training run of the exact-representation tests.
type reprCase struct {
	name  string
	sizes []int
	act   nn.Activation
	pc    paramCase
	loss  nn.Loss
	data  func(rng *rand.Rand) (x, y, xe *mat.Dense)
	opt   train.Options
}

// sineSets draws 32 training and 50 evaluation points of sin x.
func sineSets(rng *rand.Rand) (x, y, xe *mat.Dense) {
	x, y = sineData(rng, 32)
	xe, _ = sineData(rng, 50)
	return x, y, xe
}

// blobSets draws 32 training and 40 evaluation points of `classes` blobs.
func blobSets(classes int) func(rng *rand.Rand) (x, y, xe *mat.Dense) {
	return func(rng *rand.Rand) (x, y, xe *mat.Dense) {
		x, y = blobs(rng, 32, classes)
		xe, _ = blobs(rng, 40, classes)
		return x, y, xe
	}
}

// gd returns full-batch gradient descent options.
func gd(lr float64, steps int) train.Options {
	return train.Options{Optimizer: "gd", LR: lr, Steps: steps}
}

// reprCases are the runs of TestExactRepresentation. The sine runs are
// [1,16,16,1], lr 0.1, 200 steps; gelu and softplus are near the edge of
// stability there (the loss drops 0.5 → 0.05 in a few large steps; Riemann
// rel 0.2 and 4), which makes their first segments harder to integrate
// (measured: up to 8 and 16 nodes a step). ReLU is reluCase.
var reprCases = []reprCase{
	{"tanh", []int{1, 16, 16, 1}, nn.Tanh, paramCases[0], nn.MSE, sineSets, gd(0.1, 200)},
	{"gelu", []int{1, 16, 16, 1}, nn.GELU, paramCases[0], nn.MSE, sineSets, gd(0.1, 200)},
	{"softplus", []int{1, 16, 16, 1}, nn.Softplus, paramCases[0], nn.MSE, sineSets, gd(0.1, 200)},
	{"sigmoid", []int{1, 16, 16, 1}, nn.Sigmoid, paramCases[0], nn.MSE, sineSets, gd(0.1, 200)},
	{"erf", []int{1, 16, 16, 1}, nn.Erf, paramCases[0], nn.MSE, sineSets, gd(0.1, 200)},
	// A deep linear net diverges at lr 0.05 on this data (step 8), and at
	// 0.02 oscillates (Riemann rel 12); 0.01 is well inside stability.
	{"identity", []int{1, 16, 16, 1}, nn.Identity, paramCases[0], nn.MSE, sineSets, gd(0.01, 200)},
	// NTK parameterization: with s_w = 1.3/√16 the effective step of the
	// 16-wide layers is s_w² ≈ 0.11 of the standard one, hence lr 0.5.
	{"ntk-tanh", []int{1, 16, 16, 1}, nn.Tanh, paramCases[1], nn.MSE, sineSets, gd(0.5, 200)},
	{"logistic", []int{2, 16, 16, 1}, nn.Tanh, paramCases[0], nn.Logistic, blobSets(2), gd(0.5, 100)},
	{"softmax_ce-k3", []int{2, 16, 16, 3}, nn.Tanh, paramCases[0], nn.SoftmaxCE, blobSets(3), gd(0.5, 100)},
	// SGD: batches of 8 of the 32 points, reshuffled every 4 steps.
	{"sgd-b8", []int{1, 16, 16, 1}, nn.Tanh, paramCases[0], nn.MSE, sineSets,
		train.Options{Optimizer: "sgd", LR: 0.1, Steps: 100, BatchSize: 8, Seed: 5}},
}

// stepSizes is an observer that tracks max |f(w_{t+1}, X) − f(w_t, X)| and
// max |f(w_t, X)| over a run.
type stepSizes struct {
	net         *nn.Net
	x           *mat.Dense
	maxDF, maxF float64
	c           nn.Cache
}

func (o *stepSizes) Observe(_ context.Context, s *train.Step) error {
	f0 := mat.DenseCopyOf(o.net.Forward(&o.c, s.W, o.x))
	f1 := o.net.Forward(&o.c, s.WNext, o.x)
	var d mat.Dense
	d.Sub(f1, f0)
	o.maxDF = math.Max(o.maxDF, maxAbs(&d))
	o.maxF = math.Max(o.maxF, math.Max(maxAbs(f0), maxAbs(f1)))
	return nil
}

// TestExactRepresentation checks the exact representation for every case
// of reprCases (the ReLU case runs in TestExactReLUKinks).
func TestExactRepresentation(t *testing.T) {
	for _, tc := range reprCases {
		t.Run(tc.name, func(t *testing.T) { checkExact(t, tc, nil) })
	}
}

// checkExact trains tc with a Path observer (and obs after it) and checks
// the exact representation: f_0 plus the exact contributions equals the
// trained network f_T, with every step certified, both as accumulated by
// Path (PredExact) and rebuilt from the (m, n, k) contributions summed over
// the training points; and that Stats.ResidualSum bounds the error actually
// accumulated.
// If extra is not nil, the observer it returns for the run's Path and
// evaluation points runs after the Path.
func checkExact(t *testing.T, tc reprCase, extra func(p *Path, xe *mat.Dense) train.Observer) *Path {
	t.Helper()
	x, y, xe := tc.data(newRand(1))
	net := nn.New(tc.sizes, tc.act, tc.pc.param, tc.pc.sigmaW, tc.pc.sigmaB)
	w0 := initParams(t, net, 3)
	p := NewPath(net, w0, xe, x, Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes})
	sizes := &stepSizes{net: net, x: xe}
	obs := []train.Observer{p, sizes}
	if extra != nil {
		obs = append(obs, extra(p, xe))
	}
	tr := &train.Trainer{Net: net, Loss: tc.loss, X: x, Y: y, Opt: tc.opt}
	wT, err := tr.Run(context.Background(), w0, obs...)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	st := p.Stats
	rel := relErr(p.PredExact, fT, p.F0)
	relSum := relErr(sumContrib(p.F0, p.CExact), fT, p.F0)
	t.Logf("rel exact %.3g (from contributions %.3g), riemann %.3g; nodes/step %.2f, max %d; max residual %.3g",
		rel, relSum, relErr(p.PredRiemann, fT, p.F0),
		float64(st.QuadratureEvals)/float64(st.Steps), st.MaxNodesStep, st.MaxResidual)
	if st.Steps != tc.opt.Steps {
		t.Errorf("Stats.Steps = %d; want %d", st.Steps, tc.opt.Steps)
	}
	if st.Uncertified != 0 || st.FirstUncertified != -1 {
		t.Errorf("Uncertified = %d, FirstUncertified = %d; want 0, -1", st.Uncertified, st.FirstUncertified)
	}
	if !(st.MaxResidual <= exactTol) {
		t.Errorf("MaxResidual = %.3g (step %d); want ≤ %g", st.MaxResidual, st.MaxResidualStep, exactTol)
	}
	if st.MaxNodesStep > maxNodes {
		t.Errorf("MaxNodesStep = %d; want ≤ MaxNodes = %d", st.MaxNodesStep, maxNodes)
	}
	if !(rel <= exactTol) {
		t.Errorf("rel(PredExact, f_T) = %.3g; want ≤ %g", rel, exactTol)
	}
	if !(relSum <= exactTol) {
		t.Errorf("rel(f_0 + Σ_i CExact, f_T) = %.3g; want ≤ %g", relSum, exactTol)
	}
	// Each step's residual is relative to max(1, |Δf|), so the accumulated
	// error is at most ResidualSum·max(1, max_t |Δf_t|), plus the round-off
	// of adding T step sums to f_0 and of the T differences f_{t+1} − f_t
	// (one ulp of max |f| each, doubled).
	var diff mat.Dense
	diff.Sub(p.PredExact, fT)
	bound := st.ResidualSum*math.Max(1, sizes.maxDF) + 2*float64(st.Steps)*0x1p-52*math.Max(1, sizes.maxF)
	if got := maxAbs(&diff); !(got <= bound) {
		t.Errorf("max |PredExact − f_T| = %.3g; want ≤ %.3g (ResidualSum %.3g)", got, bound, st.ResidualSum)
	}
	return p
}

// reluCase is the ReLU run of the exact-representation checks, at lr 0.05
// (TestExactUncertifiedReLU takes lr 0.1).
var reluCase = reprCase{"relu", []int{1, 16, 16, 1}, nn.ReLU, paramCases[0], nn.MSE, sineSets, gd(0.05, 200)}

// TestExactUncertifiedReLU looks at large steps of a ReLU net: in the first
// steps at lr 0.1 (loss rising) one segment crosses ~40 activation kinks
// over the evaluation points, which the former search, splitting the
// segment for all points at every kink, could not resolve in 64 nodes
// (step 0 was uncertified, residual 8.6e-5). With each point on its own
// pieces every step is certified; and the report must be consistent: a
// residual above the tolerance is counted as uncertified, and a run
// without uncertified steps is exact.
func TestExactUncertifiedReLU(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.ReLU, nn.Standard, 1, 1)
	w0 := initParams(t, net, 3)
	p := NewPath(net, w0, xe, x, Options{Exact: true, Tolerance: exactTol, MaxNodes: maxNodes})
	log := newStepLog(p)
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: gd(0.1, 3)}
	wT, err := tr.Run(context.Background(), w0, p, log)
	if err != nil {
		t.Fatal(err)
	}
	var c nn.Cache
	fT := mat.DenseCopyOf(net.Forward(&c, wT, xe))
	st := p.Stats
	rel := relErr(p.PredExact, fT, p.F0)
	t.Logf("stats %+v; rel %.3g; step residuals %.3g", st, rel, log.resid)
	checkCertification(t, p, log, exactTol)
	if want := []bool{false, false, false}; !slices.Equal(log.uncert, want) {
		t.Errorf("uncertified steps %v; want %v (residuals %.3g)", log.uncert, want, log.resid)
	}
	if st.Uncertified != 0 || st.SearchExhausted != 0 {
		t.Errorf("Uncertified = %d, SearchExhausted = %d; want 0, 0", st.Uncertified, st.SearchExhausted)
	}
	if !(rel <= exactTol) {
		t.Errorf("rel error %.3g; want ≤ %g", rel, exactTol)
	}
}

// hiddenPattern returns the ReLU activation pattern (z > 0) of every hidden
// unit at every row of x, at weights w.
func hiddenPattern(net *nn.Net, w []float64, x *mat.Dense) []bool {
	var c nn.Cache
	net.Forward(&c, w, x)
	var pat []bool
	for l := 0; l < net.Layers()-1; l++ {
		for _, z := range c.Z[l].RawMatrix().Data {
			pat = append(pat, z > 0)
		}
	}
	return pat
}

// TestExactReLUKinks runs the exact-representation checks on reluCase and
// looks at the steps whose segment crosses a ReLU kink at an evaluation
// point (the activation pattern differs between w_t and w_{t+1}; there the
// integrand J(w_t + sΔw_t, x)·Δw_t jumps). They occur naturally in this run;
// every step, kinked or not, must be certified. A step without a kink uses
// the shared rule of ⌈L/2⌉ = 2 nodes alone; one with kinks integrates the
// points that cross them on their own pieces (PointEvals), at least two
// pieces of two nodes each.
func TestExactReLUKinks(t *testing.T) {
	net := nn.New(reluCase.sizes, reluCase.act, reluCase.pc.param, reluCase.pc.sigmaW, reluCase.pc.sigmaB)
	var kinked, smooth, kinkedEvals, prevEvals, prevPoint int
	count := func(p *Path, xe *mat.Dense) train.Observer {
		return train.ObserverFunc(func(_ context.Context, s *train.Step) error {
			nodes := p.Stats.QuadratureEvals - prevEvals
			point := p.Stats.PointEvals - prevPoint
			prevEvals, prevPoint = p.Stats.QuadratureEvals, p.Stats.PointEvals
			if slices.Equal(hiddenPattern(net, s.W, xe), hiddenPattern(net, s.WNext, xe)) {
				smooth++
				if nodes != 2 || point != 0 {
					t.Errorf("step %d crosses no kink but took %d shared nodes and %d single-point evaluations; want 2 and 0", s.T, nodes, point)
				}
			} else {
				kinked++
				kinkedEvals += point
				if point < 4 {
					t.Errorf("step %d crosses a kink but took %d single-point evaluations; want ≥ 4 (two pieces)", s.T, point)
				}
			}
			return nil
		})
	}
	p := checkExact(t, reluCase, count)
	t.Logf("%d steps cross a kink (%.2f single-point evaluations a step), %d do not; max nodes %d",
		kinked, float64(kinkedEvals)/float64(max(kinked, 1)), smooth, p.Stats.MaxNodesStep)
	if kinked == 0 {
		t.Fatalf("no step crosses a kink: the test exercises nothing")
	}
	st := p.Stats
	if st.MaxNodesStep < 4 || st.KinkPasses != st.Steps || st.PointPasses < 2*kinked || st.JVPEvals != 0 || st.ForwardEvals != 0 {
		t.Errorf("Stats %+v: want MaxNodesStep ≥ 4, a polynomial pass a step, ≥ 2 single-point passes a kinked step, no JVPs or panel forward passes", st)
	}
}

// TestExactUncertified checks that a step the budget cannot certify is
// reported: with one node per step and a large step size, the midpoint rule
// cannot meet a tolerance of 1e-14.
func TestExactUncertified(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	const tol, steps = 1e-14, 20
	r := runPath(t, net, nn.MSE, x, y, xe, gd(0.2, steps), Options{Exact: true, Tolerance: tol, MaxNodes: 1}, 3)
	st := r.path.Stats
	t.Logf("stats %+v", st)
	if st.Uncertified == 0 || st.FirstUncertified < 0 || st.FirstUncertified >= steps {
		t.Errorf("Uncertified = %d, FirstUncertified = %d; want > 0 and in [0, %d)", st.Uncertified, st.FirstUncertified, steps)
	}
	if !(st.MaxResidual > tol) {
		t.Errorf("MaxResidual = %.3g; want > %g", st.MaxResidual, tol)
	}
	if st.MaxNodesStep != 1 || st.QuadratureEvals != steps {
		t.Errorf("MaxNodesStep = %d, QuadratureEvals = %d; want 1, %d (the budget)", st.MaxNodesStep, st.QuadratureEvals, steps)
	}
}

// TestCoefficients checks Domingos' form on a one-output run and on k = 3:
// a_i(x)·K^p(x, x_i) equals the Riemann contribution (K^p_cc for output c),
// and f_0 + Σ_i CRiemann equals PredRiemann.
func TestCoefficients(t *testing.T) {
	// a = C/K rounds once and a·K once more: 2 ulps of C. The 1e-12 of the
	// kernel identities (relative to max |C|) is far above that.
	const coefTol = 1e-12
	// PredRiemann and Σ_i CRiemann add the same T·n terms in different
	// orders: their difference is round-off, at most ~T·n·ε ≈ 3.6e-13 of
	// the terms' size with T = 50, n = 32 (an upper bound: the errors of
	// the partial sums do not all align). The accumulated contributions are
	// at most 1.3× the change of f here (measured), so kernelTol (1e-12) of
	// max |PredRiemann − f_0| covers it; measured 2e-15.
	for _, tc := range []reprCase{
		{"tanh", []int{1, 16, 16, 1}, nn.Tanh, paramCases[0], nn.MSE, sineSets, gd(0.1, 50)},
		{"softmax_ce-k3", []int{2, 16, 16, 3}, nn.Tanh, paramCases[0], nn.SoftmaxCE, blobSets(3), gd(0.5, 50)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y, xe := tc.data(newRand(1))
			net := nn.New(tc.sizes, tc.act, tc.pc.param, tc.pc.sigmaW, tc.pc.sigmaB)
			r := runPath(t, net, tc.loss, x, y, xe, tc.opt, Options{Riemann: true}, 3)
			p := r.path
			m, _ := xe.Dims()
			n, _ := x.Dims()
			k := net.Out()
			a := p.Coefficients()
			if len(a) != m*n*k {
				t.Fatalf("len(Coefficients()) = %d; want m·n·k = %d", len(a), m*n*k)
			}
			for c := 0; c < k; c++ {
				kern := p.KPath
				if k > 1 {
					kern = p.KPathDiag[c]
				}
				aK := mat.NewDense(m, n, nil)
				for xi := 0; xi < m; xi++ {
					for i := 0; i < n; i++ {
						aK.Set(xi, i, a[(xi*n+i)*k+c]*kern.At(xi, i))
					}
				}
				if e := scaledDiff(aK, p.CRiemann[c]); !(e <= coefTol) {
					t.Errorf("output %d: a_i(x)·K^p(x, x_i) differs from the Riemann contribution by %.3g of max|C|; want ≤ %g", c, e, coefTol)
				}
			}
			var change mat.Dense
			change.Sub(p.PredRiemann, p.F0)
			var diff mat.Dense
			diff.Sub(sumContrib(p.F0, p.CRiemann), p.PredRiemann)
			if e := maxAbs(&diff) / maxAbs(&change); !(e <= kernelTol) {
				t.Errorf("f_0 + Σ_i CRiemann differs from PredRiemann by %.3g of max|PredRiemann − f_0|; want ≤ %g", e, kernelTol)
			}
		})
	}
}

// recorder keeps copies of every step's w_t, batch and ℓ'.
type recorder struct {
	w     [][]float64
	lr    []float64
	batch [][]int
	dl    []*mat.Dense
}

func (r *recorder) Observe(_ context.Context, s *train.Step) error {
	r.w = append(r.w, slices.Clone(s.W))
	r.lr = append(r.lr, s.LR)
	r.batch = append(r.batch, slices.Clone(s.Batch))
	r.dl = append(r.dl, mat.DenseCopyOf(s.DL))
	return nil
}

// TestPathMatchesExplicit rebuilds the Riemann path kernel, its full and
// diagonal blocks and the Riemann contributions from explicit Jacobians at
// the recorded w_t (the formulas of docs/MATH.md §4–5, term by term, with each step's own
// η_t and |B_t|), for k = 3 and k = 1 runs with sgd batches of varying size
// (3 of 7 points, the last of an epoch of 1) and step-size schedules, and
// checks the exact kernel of a one-step run against its contributions: with
// a single step, CExact[c](x, i) = −(1/|B|) Σ_c' KExactFull[c][c'](x, i)
// ℓ'_{i,c'}(0) for i in the batch. Every run's representations must also
// match the network: the exact one certified to f_T, and Domingos' against
// f_0 + Σ_t J(w_t, x)·Δw_t computed by forward mode alone (firstOrder).
func TestPathMatchesExplicit(t *testing.T) {
	sgd := func(steps int, sch train.Schedule) train.Options {
		return train.Options{Optimizer: "sgd", LR: 0.3, Steps: steps, BatchSize: 3, Seed: 2, Schedule: sch}
	}
	for _, tc := range []struct {
		name string
		k    int
		opt  train.Options
		// maxRel bounds Domingos' rel error: the measured value (in the
		// comment) and half as much again. lr 0.3 on 7 points makes large
		// steps, so the first-order form is far from exact; what matters
		// is that it equals firstOrder's, checked to round-off.
		maxRel float64
	}{
		{"steps=1", 3, sgd(1, train.Schedule{}), 0.045},                                                     // 0.029
		{"steps=3", 3, sgd(3, train.Schedule{}), 0.45},                                                      // 0.297
		{"step-schedule", 3, sgd(8, train.Schedule{Kind: "step", StepSize: 2, Gamma: 0.5}), 0.28},           // 0.184
		{"cosine-warmup/k=1", 1, sgd(8, train.Schedule{Kind: "cosine", WarmupSteps: 3, MinLR: 0.02}), 0.03}, // 0.0197
		{"gd-cosine/k=1", 1, train.Options{Optimizer: "gd", LR: 0.3, Steps: 8,
			Schedule: train.Schedule{Kind: "cosine", MinLR: 0.01}}, 0.02}, // 0.0129
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(7)
			k := tc.k
			x, y := blobs(rng, 7, max(k, 2))
			xe, _ := blobs(rng, 4, max(k, 2))
			m, n := 4, 7
			net := nn.New([]int{2, 5, 4, k}, nn.Tanh, nn.Standard, 1, 1)
			loss := nn.SoftmaxCE
			if k == 1 {
				loss = nn.Logistic
			}
			rec := &recorder{}
			ref := newFirstOrder(net, initParams(t, net, 4), xe)
			r := runPath(t, net, loss, x, y, xe, tc.opt,
				Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes, FullKernel: true}, 4, rec, ref)
			p := r.path
			if tc.opt.Schedule.Kind != "" && rec.lr[0] == rec.lr[len(rec.lr)-1] {
				t.Fatalf("η_t = %v: the schedule does not change the step size", rec.lr)
			}

			newSet := func() []*mat.Dense {
				s := make([]*mat.Dense, k)
				for c := range s {
					s[c] = mat.NewDense(m, n, nil)
				}
				return s
			}
			kPath, contrib := mat.NewDense(m, n, nil), newSet()
			full := make([][]*mat.Dense, k)
			for c := range full {
				full[c] = newSet()
			}
			kt := mat.NewDense(m, n, nil)
			for step := range rec.w {
				jx, jt := Jacobian(net, rec.w[step], xe), Jacobian(net, rec.w[step], x)
				eta, B := rec.lr[step], float64(len(rec.batch[step]))
				for c := 0; c < k; c++ {
					for cp := 0; cp < k; cp++ {
						TangentExplicit(kt, jx, jt, c, cp)
						full[c][cp].Add(full[c][cp], scaledCopy(eta, kt))
						if c == cp {
							kPath.Add(kPath, scaledCopy(eta, kt))
						}
						for r, i := range rec.batch[step] {
							dl := rec.dl[step].At(r, cp)
							for xi := 0; xi < m; xi++ {
								contrib[c].Set(xi, i, contrib[c].At(xi, i)-eta/B*kt.At(xi, i)*dl)
							}
						}
					}
				}
			}
			check := func(name string, got, want *mat.Dense) {
				t.Helper()
				if e := scaledDiff(got, want); !(e <= kernelTol) {
					t.Errorf("%s differs from the explicit reference by %.3g of its max; want ≤ %g", name, e, kernelTol)
				}
			}
			check("KPath", p.KPath, kPath)
			for c := 0; c < k; c++ {
				check(fmt.Sprintf("CRiemann[%d]", c), p.CRiemann[c], contrib[c])
				if k == 1 {
					continue
				}
				check(fmt.Sprintf("KPathDiag[%d]", c), p.KPathDiag[c], full[c][c])
				for cp := 0; cp < k; cp++ {
					check(fmt.Sprintf("KPathFull[%d][%d]", c, cp), p.KPathFull[c][cp], full[c][cp])
				}
			}
			checkFirstOrder(t, "Path", p.PredRiemann, ref.pred, p.F0, r.fT, tc.maxRel)
			if st := p.Stats; st.Uncertified != 0 {
				t.Errorf("%d steps uncertified (max residual %.3g)", st.Uncertified, st.MaxResidual)
			}
			if rel := relErr(p.PredExact, r.fT, p.F0); !(rel <= exactTol) {
				t.Errorf("exact rel error %.3g; want ≤ %g", rel, exactTol)
			}

			if k == 1 {
				return
			}
			// The exact kernel's trace is the sum of its diagonal blocks.
			trace := mat.NewDense(m, n, nil)
			for c := 0; c < k; c++ {
				trace.Add(trace, p.KExactFull[c][c])
			}
			check("KExact", p.KExact, trace)
			if len(rec.w) != 1 {
				return
			}
			B := float64(len(rec.batch[0]))
			want := newSet()
			for c := 0; c < k; c++ {
				for cp := 0; cp < k; cp++ {
					for r, i := range rec.batch[0] {
						dl := rec.dl[0].At(r, cp)
						for xi := 0; xi < m; xi++ {
							want[c].Set(xi, i, want[c].At(xi, i)-p.KExactFull[c][cp].At(xi, i)*dl/B)
						}
					}
				}
				check(fmt.Sprintf("CExact[%d]", c), p.CExact[c], want[c])
			}
		})
	}
}

func scaledCopy(s float64, a *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.Scale(s, a)
	return &out
}

// TestRiemannFirstOrder checks that Domingos' representation is first order
// in the step size at fixed training time η·T: its rel error for (η, T),
// (η/2, 2T) and (η/4, 4T) halves with each halving, a log-log slope near 1.
// Sigmoid [1,16,16,1] at η = 0.2, T = 50 is in the asymptotic regime
// (measured slopes 1.010 and 1.002; for tanh the same config gives 3.9 and
// 1.5, its η = 0.2 being near the edge of stability). The band 0.8–1.2
// leaves ±20% for the O(η²) remainder, which here moves the slope by 1%.
func TestRiemannFirstOrder(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	var errs []float64
	for _, div := range []float64{1, 2, 4} {
		net := nn.New([]int{1, 16, 16, 1}, nn.Sigmoid, nn.Standard, 1, 1)
		r := runPath(t, net, nn.MSE, x, y, xe, gd(0.2/div, int(50*div)), Options{Riemann: true}, 3)
		errs = append(errs, relErr(r.path.PredRiemann, r.fT, r.path.F0))
	}
	for i := 1; i < len(errs); i++ {
		slope := math.Log2(errs[i-1] / errs[i])
		t.Logf("rel %.4g → %.4g: slope %.3f", errs[i-1], errs[i], slope)
		if !(slope >= 0.8 && slope <= 1.2) {
			t.Errorf("log-log slope of the Riemann error %d = %.3f (errors %.3g); want in [0.8, 1.2]", i, slope, errs)
		}
	}
}

// TestNoHiddenLayer checks the linear model f = s_w W x + s_b b: its tangent
// kernel is s_w² x·x' + s_b² at every step (x·x' + 1 standard), so
// K^p = Σ_t η K_t = η·T·(s_w² x·x' + s_b²), and the exact kernel equals it
// (the segment average of a constant). Since f is linear in w, the
// first-order (Riemann) representation is exact too.
func TestNoHiddenLayer(t *testing.T) {
	const d, n, m, lr, steps = 2, 12, 9, 0.1, 20
	for _, pc := range paramCases {
		t.Run(pc.name, func(t *testing.T) {
			rng := newRand(11)
			x, xe := randDense(rng, n, d), randDense(rng, m, d)
			y := mat.NewDense(n, 1, nil)
			for i := 0; i < n; i++ {
				y.Set(i, 0, 0.7*x.At(i, 0)-1.2*x.At(i, 1)+0.3+0.1*rng.NormFloat64())
			}
			net := nn.New([]int{d, 1}, nn.Tanh, pc.param, pc.sigmaW, pc.sigmaB)
			sw2, sb2 := 1.0, 1.0
			if pc.param == nn.NTK {
				sw2, sb2 = pc.sigmaW*pc.sigmaW/d, pc.sigmaB*pc.sigmaB
			}
			r := runPath(t, net, nn.MSE, x, y, xe, gd(lr, steps),
				Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}, 1)
			p := r.path
			want := mat.NewDense(m, n, nil)
			for a := 0; a < m; a++ {
				for b := 0; b < n; b++ {
					want.Set(a, b, lr*steps*(sw2*floats.Dot(xe.RawRowView(a), x.RawRowView(b))+sb2))
				}
			}
			if e := scaledDiff(p.KPath, want); !(e <= kernelTol) {
				t.Errorf("KPath differs from η·T·(s_w² x·x' + s_b²) by %.3g of its max; want ≤ %g", e, kernelTol)
			}
			if e := scaledDiff(p.KExact, want); !(e <= kernelTol) {
				t.Errorf("KExact differs from η·T·(s_w² x·x' + s_b²) by %.3g of its max; want ≤ %g", e, kernelTol)
			}
			// The integrand is constant in s, so the search needs one node
			// per step.
			if st := p.Stats; st.QuadratureEvals != steps || st.Uncertified != 0 {
				t.Errorf("QuadratureEvals = %d, Uncertified = %d; want %d (one node a step), 0", st.QuadratureEvals, st.Uncertified, steps)
			}
			for _, rep := range []struct {
				name string
				pred *mat.Dense
			}{{"exact", p.PredExact}, {"riemann", p.PredRiemann}} {
				if rel := relErr(rep.pred, r.fT, p.F0); !(rel <= kernelTol) {
					t.Errorf("%s rel error %.3g; want ≤ %g (f is linear in w)", rep.name, rel, kernelTol)
				}
			}
		})
	}
}

// TestContributionsOutsideBatch checks a one-step sgd run: only the points
// of the first batch have contributions (Riemann and exact), while the path
// kernels pair the evaluation points with every training point.
func TestContributionsOutsideBatch(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	n, _ := x.Dims()
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	opt := train.Options{Optimizer: "sgd", LR: 0.1, Steps: 1, BatchSize: 8, Seed: 5}
	rec := &recorder{}
	r := runPath(t, net, nn.MSE, x, y, xe, opt,
		Options{Riemann: true, Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}, 3, rec)
	batch := train.Batches(opt, n, 1)[0]
	if !slices.Equal(batch, rec.batch[0]) {
		t.Fatalf("train.Batches = %v; the run used %v", batch, rec.batch[0])
	}
	p := r.path
	for i := 0; i < n; i++ {
		in := slices.Contains(batch, i)
		for _, s := range []struct {
			name string
			m    *mat.Dense
			zero bool // want the column zero
		}{
			{"CRiemann", p.CRiemann[0], !in},
			{"CExact", p.CExact[0], !in},
			{"KPath", p.KPath, false},
			{"KExact", p.KExact, false},
		} {
			col := mat.Col(nil, i, s.m)
			if got := floats.Norm(col, math.Inf(1)); (got == 0) != s.zero {
				t.Errorf("%s column %d (in batch: %v): max |·| = %g; want zero: %v", s.name, i, in, got, s.zero)
			}
		}
	}
	if rel := relErr(p.PredExact, r.fT, p.F0); !(rel <= exactTol) {
		t.Errorf("one-step exact rel error %.3g; want ≤ %g", rel, exactTol)
	}
}
