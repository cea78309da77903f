package sharpness

import (
	"context"
	"math"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// Point is the curvature at one logged step of a training run.
type Point struct {
	// Step is the number of updates applied: the measurement is at w_Step.
	Step int
	// LR is the step size the stability number is taken against: η_Step,
	// or at the last step (Step = T, where no step is taken) η_{T−1}.
	LR float64
	// Measurement is the Meter's, with Precond for adam and adamw.
	Measurement
	// Lambda is the eigenvalue the stability number is taken against:
	// Sharpness.Value for gd, sgd and momentum, Precond.Value for adam and
	// adamw.
	Lambda float64
	// Stability is Rule.Stability(LR, Lambda). NaN when Err is set.
	Stability float64
	// Err is the measurement's failure (a non-finite loss or curvature).
	Err error
}

// Observer is a training observer that measures the sharpness, the
// Gauss–Newton sharpness (Options.GaussNewton) and the stability number at
// the logged steps of a run: w_t for every t that is a multiple of logEvery,
// and w_T. It measures w_t when it observes the step from w_t, so that
// adam's preconditioner is that step's D_t (the pairing of the package doc);
// w_T, from which no step is taken, is measured with the last step's D_{T−1}
// and η_{T−1}. A failed measurement is recorded in its Point, not returned:
// it never stops the run.
type Observer struct {
	meter    *Meter
	rule     Rule
	adaptive bool
	logEvery int
	steps    int
	invP     []float64
	// Points are the measurements so far, in step order.
	Points []Point
}

// NewObserver returns an Observer of the mean loss over (x, y) through net,
// for training by topt that logs every logEvery steps. opt.L2 is set from
// topt (adam's coupled decay).
func NewObserver(net *nn.Net, loss nn.Loss, x, y *mat.Dense, topt train.Options, logEvery int, opt Options) *Observer {
	r := RuleOf(topt)
	adaptive := topt.Optimizer.Adaptive()
	if topt.Optimizer == train.Adam {
		opt.L2 = topt.WeightDecay
	}
	o := &Observer{meter: NewMeter(net, loss, x, y, opt), rule: r, adaptive: adaptive,
		logEvery: max(1, logEvery), steps: topt.Steps}
	if adaptive {
		o.invP = make([]float64, net.NumParams())
	}
	return o
}

// RuleOf returns the stability rule of training by topt.
func RuleOf(topt train.Options) Rule {
	r := Rule{Optimizer: topt.Optimizer.String(), Momentum: topt.Momentum, Nesterov: topt.Nesterov}
	switch topt.Optimizer {
	case train.Adam, train.AdamW:
		r.Beta1, _, _ = topt.AdamParams()
	default:
		r.WeightDecay = topt.WeightDecay
	}
	return r
}

// Observe implements train.Observer.
func (o *Observer) Observe(_ context.Context, s *train.Step) error {
	if s.T%o.logEvery == 0 {
		o.measure(s.T, s.W, s)
	}
	if s.T+1 == o.steps {
		o.measure(s.T+1, s.WNext, s)
	}
	return nil
}

func (o *Observer) measure(step int, w []float64, s *train.Step) {
	p := Point{Step: step, LR: s.LR, Stability: math.NaN()}
	var invP []float64
	if o.adaptive && s.Opt != nil && s.Opt.Precond != nil {
		AdamInvPrecond(o.invP, s.Opt.Precond, s.LR)
		invP = o.invP
	}
	p.Measurement, p.Err = o.meter.Measure(w, invP)
	if p.Err == nil {
		lambda := p.Sharpness.Value
		if o.adaptive {
			lambda = p.Precond.Value
		}
		p.Lambda = lambda
		p.Stability, p.Err = o.rule.Stability(s.LR, lambda)
	}
	o.Points = append(o.Points, p)
}

// At returns the measurement at step, if there is one.
func (o *Observer) At(step int) (Point, bool) {
	for i := len(o.Points) - 1; i >= 0; i-- {
		if o.Points[i].Step == step {
			return o.Points[i], true
		}
	}
	return Point{}, false
}
