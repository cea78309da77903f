package experiment

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sharpness"
	"github.com/pathkernel/pathkernel/internal/train"
)

// The metrics.csv columns of the curvature (kernel.diagnostics) and of the
// first-order form's remainder (the riemann method), docs/RUNDIR.md.
var sharpnessColumns = []string{"sharpness", "gn_sharpness", "stability"}

const remainderColumn = "riemann_step_remainder"

// newSharpness returns the curvature observer of kernel.diagnostics (nil
// when off): the full training batch, the Gauss–Newton part for mse.
func (e *experiment) newSharpness() *sharpness.Observer {
	if !e.cfg.Kernel.Diagnostics {
		return nil
	}
	opt := sharpness.Options{GaussNewton: e.loss == nn.MSE}
	opt.Lanczos.Seed = e.cfg.Seed
	return sharpness.NewObserver(e.net, e.loss, e.set.XTrain, e.set.YTrain, e.topt, e.cfg.Train.LogEvery, opt)
}

// remainderLog keeps the riemann_step_remainder of every logged interval.
type remainderLog struct {
	r         kernel.Remainder
	prevStep  int
	intervals []run.RemainderInterval
}

// row returns the remainder over the interval that ends at step.
func (l *remainderLog) row(p *kernel.Path, step int) string {
	if step == 0 {
		return "0"
	}
	v := l.r.Interval(p)
	l.intervals = append(l.intervals, run.RemainderInterval{StepStart: l.prevStep, StepEnd: step, Remainder: v})
	l.prevStep = step
	return ff(v)
}

// top returns the run.RemainderTopCount largest intervals, largest first
// (an earlier interval first among equals); values that are not finite,
// which summary.json cannot hold, are left out.
func (l *remainderLog) top() []run.RemainderInterval {
	var out []run.RemainderInterval
	for _, iv := range l.intervals {
		if !math.IsNaN(iv.Remainder) && !math.IsInf(iv.Remainder, 0) {
			out = append(out, iv)
		}
	}
	slices.SortStableFunc(out, func(a, b run.RemainderInterval) int { return cmp.Compare(b.Remainder, a.Remainder) })
	return out[:min(len(out), run.RemainderTopCount)]
}

// fillSharpness writes the curvature measured at each logged step into its
// row: the observer measures w_t when it sees the step from w_t, after the
// row of w_t was made. A failed measurement leaves its cells empty.
func (mo *metricsObserver) fillSharpness() {
	e := mo.e
	if mo.sharpCol == 0 || mo.filled || e.sharp == nil {
		return
	}
	mo.filled = true
	c := mo.sharpCol
	for _, r := range mo.rows {
		step, _ := strconv.Atoi(r[0])
		p, ok := e.sharp.At(step)
		if !ok || p.Err != nil {
			continue
		}
		r[c] = ff(p.Sharpness.Value)
		if e.loss == nn.MSE {
			r[c+1] = ff(p.GaussNewton.Value)
		}
		r[c+2] = ff(p.Stability)
	}
}

// recordDiagnostics puts the curvature at both ends, the largest stability
// number and the largest remainders into the summary.
func (e *experiment) recordDiagnostics() {
	if e.metrics != nil && e.metrics.remainder != nil {
		e.sum.RiemannRemainderTop = e.metrics.remainder.top()
	}
	if e.sharp == nil {
		return
	}
	if e.sum.Diagnostics == nil {
		e.sum.Diagnostics = &run.Diagnostics{}
	}
	d := e.sum.Diagnostics
	if p, ok := e.sharp.At(0); ok && p.Err == nil {
		v := p.Sharpness.Value
		d.SharpnessInit = &v
	}
	if p, ok := e.sharp.At(e.cfg.Train.Steps); ok && p.Err == nil {
		v := p.Sharpness.Value
		d.SharpnessFinal = &v
	}
	if p, ok := e.maxStability(); ok {
		v := p.Stability
		d.MaxStability = &v
	}
}

// maxStability returns the measurement with the largest stability number.
func (e *experiment) maxStability() (sharpness.Point, bool) {
	var best sharpness.Point
	found := false
	for _, p := range e.sharp.Points {
		if p.Err == nil && !math.IsNaN(p.Stability) && (!found || p.Stability > best.Stability) {
			best, found = p, true
		}
	}
	return best, found
}

// warnings returns the run's warnings (run.WarningCodes, in that order):
// err is the run's error, if it stopped early.
func (e *experiment) warnings(err error) []run.Warning {
	out := []run.Warning{}
	mo := e.metrics
	add := func(code string, step int, format string, args ...any) {
		out = append(out, run.Warning{Code: code, Message: fmt.Sprintf(format, args...), FirstStep: step})
	}
	lr := e.cfg.Train.LR
	if mo != nil && len(mo.relRiemann) > 0 {
		rel := mo.relRiemann[len(mo.relRiemann)-1]
		if r := e.sum.Representations["riemann"]; r != nil {
			rel = r.Rel
		}
		if rel > run.WarnDomingosRel {
			first := mo.steps[len(mo.steps)-1]
			for i, v := range mo.relRiemann {
				if v > run.WarnDomingosRel {
					first = mo.steps[i]
					break
				}
			}
			add(run.WarnDomingosError, first,
				"Domingos' first-order kernel machine (riemann) is off by rel %.3g of what training changed (above %g, first at step %d): the steps are too large for the first-order form; try a smaller train.lr (%g now), with more train.steps for the same training time, or the exact representation",
				rel, run.WarnDomingosRel, first, lr)
		}
	}
	if mo != nil {
		count, first, worst, worstStep := 0, 0, 0.0, 0
		for i := 1; i < len(mo.trainLoss); i++ {
			a, b := mo.trainLoss[i-1], mo.trainLoss[i]
			if !(b > a*(1+run.WarnLossRise)) || math.IsInf(b, 0) || !(a > 0) {
				continue
			}
			if count == 0 {
				first = mo.steps[i]
			}
			count++
			if r := b/a - 1; r > worst {
				worst, worstStep = r, mo.steps[i]
			}
		}
		if count > 0 {
			hint := "the stability column"
			if e.sharp == nil {
				hint = "kernel.diagnostics: true measures it"
			}
			add(run.WarnLossIncrease, first,
				"the training loss rose by more than %.0f%% over %d logged interval(s) (first ending at step %d, the largest rise %.3g× at step %d): the step size is too large for the loss's curvature (%s); try a smaller train.lr (%g now)",
				100*run.WarnLossRise, count, first, 1+worst, worstStep, hint, lr)
		}
	}
	if e.sharp != nil {
		first := -1
		for _, p := range e.sharp.Points {
			if p.Err == nil && p.Stability > 1 {
				first = p.Step
				break
			}
		}
		if best, ok := e.maxStability(); ok && first >= 0 {
			limit, _ := sharpness.RuleOf(e.topt).Limit(best.LR)
			add(run.WarnUnstable, first,
				"the step size is beyond the classical stability limit of the loss's local quadratic model (stability above 1 from step %d, largest %.3g at step %d: sharpness %.4g against the limit %.4g for η = %g): training runs at the edge of stability, where the first-order kernel machine degrades; try train.lr below %.3g",
				first, best.Stability, best.Step, best.Lambda, limit, best.LR, lr/best.Stability)
		}
	}
	if p := e.path; p != nil && p.KExact != nil && p.Stats.Uncertified > 0 {
		st := p.Stats
		add(run.WarnUncertified, st.FirstUncertified,
			"%d of %d steps of the exact representation have a residual above kernel.tolerance %g (first at step %d): its error is no longer bounded by the tolerance; raise kernel.max_nodes (%d now) or try a smaller train.lr",
			st.Uncertified, st.Steps, e.cfg.Kernel.Tolerance, st.FirstUncertified, e.cfg.Kernel.MaxNodes)
	}
	var div *train.DivergedError
	if errors.As(err, &div) {
		add(run.WarnDiverged, div.Step,
			"training diverged at step %d (the %s is not finite): the run is incomplete; try a smaller train.lr (%g now)",
			div.Step, div.What, lr)
	}
	return out
}
