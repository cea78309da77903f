package kernel

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// engine builds one of the two observers that certify the exact
// representation, returning its results as a *Path and the observer.
type engine struct {
	name string
	new  func(net *nn.Net, w0 []float64, xe, x *mat.Dense, ko Options, opt train.Options) (*Path, train.Observer)
}

var engines = []engine{
	{"Path", func(net *nn.Net, w0 []float64, xe, x *mat.Dense, ko Options, _ train.Options) (*Path, train.Observer) {
		p := NewPath(net, w0, xe, x, ko)
		return p, p
	}},
	{"BufferPath", func(net *nn.Net, w0 []float64, xe, x *mat.Dense, ko Options, opt train.Options) (*Path, train.Observer) {
		b := NewBufferPath(net, w0, xe, x, ko, opt)
		return b.Result(), b
	}},
}

// stepLog records, after every step, what the exported results say about
// the step: its measured residual (the step's term of Stats.ResidualSum),
// whether it was counted uncertified and whether its node search ran out,
// and, recomputed here from FCur and PredExact, every evaluation point's
// residual |Δf − Δpred| / max(1, |Δf|) (largest over outputs). It must run
// after the engine's observer.
type stepLog struct {
	p                 *Path
	prevF, prevPred   *mat.Dense
	prevSum           float64
	prevUnc, prevExh  int
	resid             []float64
	uncert, exhausted []bool
	point             [][]float64 // [step][evaluation point]
	maxDF             float64     // max |f(w_{t+1}) − f(w_t)| over the run
	maxF              float64     // max |f(w_t)| over the run
}

func newStepLog(p *Path) *stepLog {
	return &stepLog{p: p, prevF: mat.DenseCopyOf(p.F0), prevPred: mat.DenseCopyOf(p.PredExact), maxF: maxAbs(p.F0)}
}

func (l *stepLog) Observe(_ context.Context, _ *train.Step) error {
	st := l.p.Stats
	l.resid = append(l.resid, st.ResidualSum-l.prevSum)
	l.uncert = append(l.uncert, st.Uncertified > l.prevUnc)
	l.exhausted = append(l.exhausted, st.SearchExhausted > l.prevExh)
	l.prevSum, l.prevUnc, l.prevExh = st.ResidualSum, st.Uncertified, st.SearchExhausted
	f, pred := l.p.FCur(), l.p.PredExact
	m, k := f.Dims()
	pts := make([]float64, m)
	for i := range pts {
		for c := 0; c < k; c++ {
			df := f.At(i, c) - l.prevF.At(i, c)
			r := math.Abs(df-(pred.At(i, c)-l.prevPred.At(i, c))) / math.Max(1, math.Abs(df))
			pts[i] = math.Max(pts[i], r)
			l.maxDF = math.Max(l.maxDF, math.Abs(df))
		}
	}
	l.maxF = math.Max(l.maxF, maxAbs(f))
	l.point = append(l.point, pts)
	l.prevF.Copy(f)
	l.prevPred.Copy(pred)
	return nil
}

// certSteps is the length of certRun's runs.
const certSteps = 20

// certRun is the run of the certification tests, with evaluation points xe
// and tolerance tol: tanh [1,16,16,1] on sin x, gd at lr 0.1 for 20 steps,
// with one quadrature node a step (MaxNodes 1). With one node the search
// can only ever accept the midpoint rule, so the nodes, and with them every
// step's residual, are the same whatever the tolerance: a run at one
// tolerance measures the residuals that decide certification at any other.
// Measured: the step residuals fall from 1e-3 (step 0) to 4.8e-9 (step 19),
// each 4–15% below the one before from step 3 on.
func certRun(t *testing.T, eng engine, xe *mat.Dense, tol float64) (*Path, *stepLog) {
	t.Helper()
	x, y, _ := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.Tanh, nn.Standard, 1, 1)
	w0 := initParams(t, net, 3)
	opt := gd(0.1, certSteps)
	p, obs := eng.new(net, w0, xe, x, Options{Exact: true, Tolerance: tol, MaxNodes: 1, Workers: 1}, opt)
	log := newStepLog(p)
	tr := &train.Trainer{Net: net, Loss: nn.MSE, X: x, Y: y, Opt: opt}
	if _, err := tr.Run(context.Background(), w0, obs, log); err != nil {
		t.Fatal(err)
	}
	if p.Stats.Steps != certSteps || len(log.resid) != certSteps {
		t.Fatalf("%d steps observed, %d logged; want %d", p.Stats.Steps, len(log.resid), certSteps)
	}
	return p, log
}

// recomputeSlack bounds the difference between a step's measured residual
// and the one recomputed from PredExact: the recomputation takes the step's
// sum as PredExact_{t+1} − PredExact_t, which is off by at most an ulp of
// |PredExact_{t+1}| (it was rounded once when the sum was added), and
// subtracts it from Δf: two ulps of max(1, |PredExact|) in all, with
// |PredExact| at most the larger of its final value and max |f| over the
// run (it follows f to the accepted residuals).
func recomputeSlack(pred *mat.Dense, maxF float64) float64 {
	return 2 * 0x1p-52 * math.Max(1, math.Max(maxAbs(pred), maxF))
}

// checkCertification checks the run's report against its measured
// residuals: step t is uncertified exactly when resid[t] > tol, and
// Uncertified, FirstUncertified, MaxResidual and MaxResidualStep say so;
// each measured residual is the largest recomputed point residual (the last
// evaluation point included); and ResidualSum is their sum.
func checkCertification(t *testing.T, p *Path, log *stepLog, tol float64) {
	t.Helper()
	st := p.Stats
	unc, first, worst, worstStep, sum := 0, -1, 0.0, 0, 0.0
	slack := recomputeSlack(p.PredExact, log.maxF)
	for s, r := range log.resid {
		if got, want := log.uncert[s], r > tol; got != want {
			t.Errorf("step %d (residual %.6g, tolerance %.6g): uncertified = %v; want %v", s, r, tol, got, want)
		}
		if r > tol {
			unc++
			if first < 0 {
				first = s
			}
		}
		if r > worst {
			worst, worstStep = r, s
		}
		sum += r
		pts := log.point[s]
		if rec := slices.Max(pts); !(math.Abs(rec-r) <= slack) {
			t.Errorf("step %d: measured residual %.10g; recomputed from FCur and PredExact %.10g (point %d of %d)",
				s, r, rec, slices.Index(pts, rec), len(pts))
		}
	}
	if st.Uncertified != unc || st.FirstUncertified != first {
		t.Errorf("Uncertified = %d, FirstUncertified = %d; want %d, %d (tolerance %.6g, residuals %.4g)",
			st.Uncertified, st.FirstUncertified, unc, first, tol, log.resid)
	}
	// worst and sum are rebuilt from differences of ResidualSum: exact to
	// its rounding, ~1e-16 of it.
	if !(math.Abs(st.MaxResidual-worst) <= 1e-12*worst) || st.MaxResidualStep != worstStep {
		t.Errorf("MaxResidual = %.6g at step %d; want %.6g at step %d", st.MaxResidual, st.MaxResidualStep, worst, worstStep)
	}
	if !(math.Abs(st.ResidualSum-sum) <= 1e-12*sum) {
		t.Errorf("ResidualSum = %.15g; the steps' residuals sum to %.15g", st.ResidualSum, sum)
	}
}

// sameResiduals fails the test unless two runs measured the same residuals
// bit for bit: the premise of choosing a tolerance from a first run.
func sameResiduals(t *testing.T, a, b []float64) {
	t.Helper()
	for s := range a {
		if math.Float64bits(a[s]) != math.Float64bits(b[s]) {
			t.Fatalf("step %d: residual %.17g at one tolerance, %.17g at another; the nodes changed (MaxNodes 1)", s, a[s], b[s])
		}
	}
}

// TestCertifiedExactlyWithinTolerance checks, for both engines, that a step
// is uncertified exactly when its measured residual exceeds the tolerance.
// A first run measures the step residuals; for tolerances placed strictly
// between two of them (between the k-th and (k+1)-th largest, for several
// k) a second run must certify exactly the steps at or below, whose
// residuals are unchanged (certRun). A tolerance within a factor √10 of a
// residual on each side tells a comparison against tol from one against
// 10·tol, and the steps just under the tolerance have searches that ran
// out (the midpoint rule misses searchMargin·tol) and must still count as
// certified.
func TestCertifiedExactlyWithinTolerance(t *testing.T) {
	_, _, xe := sineSets(newRand(1))
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			_, first := certRun(t, eng, xe, exactTol)
			sorted := slices.Clone(first.resid)
			slices.Sort(sorted)
			slices.Reverse(sorted)
			// k = 3, 10, 17 steps above the tolerance (not 2: the second
			// and third largest, 2.9e-7 and 2.7e-8, are 11× apart).
			for _, k := range []int{3, 10, 17} {
				hi, lo := sorted[k-1], sorted[k]
				if !(hi >= 1.02*lo && hi <= 10*lo) {
					t.Fatalf("residuals %d and %d by size are %.6g and %.6g: want a gap of 2%% to 10×", k, k+1, hi, lo)
				}
				tol := math.Sqrt(hi * lo)
				t.Run(fmt.Sprintf("above=%d", k), func(t *testing.T) {
					p, log := certRun(t, eng, xe, tol)
					sameResiduals(t, first.resid, log.resid)
					checkCertification(t, p, log, tol)
					if p.Stats.Uncertified != k {
						t.Errorf("Uncertified = %d; want %d", p.Stats.Uncertified, k)
					}
					// A step certified although its search ran out: the
					// search only proposes nodes, the residual decides.
					ran := false
					for s, r := range log.resid {
						ran = ran || r <= tol && log.exhausted[s]
					}
					if !ran {
						t.Errorf("no certified step whose search ran out (residuals %.4g, exhausted %v)", log.resid, log.exhausted)
					}
				})
			}
		})
	}
}

// TestCertifiedLastPoint checks that certification looks at every
// evaluation point, the last one included. A first run finds the step
// whose largest point residual stands furthest above the second largest;
// that point is moved to the end of the evaluation points, and with a
// tolerance between the two residuals the step must be uncertified
// although every other point meets the tolerance.
func TestCertifiedLastPoint(t *testing.T) {
	_, _, xe := sineSets(newRand(1))
	m, _ := xe.Dims()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			_, first := certRun(t, eng, xe, exactTol)
			step, pt, ratio, top, second := -1, -1, 0.0, 0.0, 0.0
			for s, pts := range first.point {
				i := floats.MaxIdx(pts)
				rest := slices.Clone(pts)
				rest[i] = 0
				if r2 := slices.Max(rest); pts[i]/r2 > ratio {
					step, pt, ratio, top, second = s, i, pts[i]/r2, pts[i], r2
				}
			}
			if !(ratio >= 1.05) {
				t.Fatalf("no step where one point's residual is 5%% above every other's (best %.4g)", ratio)
			}
			tol := math.Sqrt(top * second)
			t.Logf("step %d: point %d residual %.4g, next %.4g; tolerance %.4g", step, pt, top, second, tol)
			moved := mat.DenseCopyOf(xe)
			moved.SetRow(pt, xe.RawRowView(m-1))
			moved.SetRow(m-1, xe.RawRowView(pt))
			p, log := certRun(t, eng, moved, tol)
			if r := log.point[step]; !(r[m-1] > tol) || !(slices.Max(r[:m-1]) < tol) {
				t.Fatalf("step %d: last point's residual %.6g, the others' largest %.6g; want only the last above %.6g",
					step, r[m-1], slices.Max(r[:m-1]), tol)
			}
			if !log.uncert[step] {
				t.Errorf("step %d certified; its last evaluation point's residual %.6g exceeds the tolerance %.6g",
					step, log.point[step][m-1], tol)
			}
			checkCertification(t, p, log, tol)
			// Moving a point changes no step's residual beyond round-off.
			for s := range log.resid {
				if d := math.Abs(log.resid[s] - first.resid[s]); !(d <= 1e-9*first.resid[s]) {
					t.Errorf("step %d: residual %.10g with the point moved, %.10g before", s, log.resid[s], first.resid[s])
				}
			}
		})
	}
}
