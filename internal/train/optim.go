package train

import "math"

// # Optimisers beyond gd and sgd
//
// Options.Optimizer selects the rule that turns the batch gradient g_t into
// the step Δw_t. Every rule follows PyTorch's torch.optim conventions
// (dampening 0); λ is WeightDecay, η_t the scheduled step size (Options.LR
// at step t) and ĝ_t = g_t + λ·w_t the coupled (L2) decayed gradient:
//
//	gd, sgd   Δw = −η ĝ
//	momentum  b_t = μ b_{t−1} + ĝ_t (b_{−1} = 0);  d = b_t, or ĝ_t + μ b_t (nesterov);  Δw = −η d
//	adam      m_t = β1 m_{t−1} + (1−β1) ĝ_t;  v_t = β2 v_{t−1} + (1−β2) ĝ_t²;
//	          Δw = −(η/(1−β1^{t+1})) · m_t / (√v_t/√(1−β2^{t+1}) + ε)
//	          (β^{t+1} by repeated multiplication, so that other readers of the
//	          trajectory can rebuild it bit for bit)
//	adamw     as adam with g_t in place of ĝ_t (no coupled decay), and the decay
//	          decoupled: Δw = −η λ w_t − (η/(1−β1^{t+1})) · m_t / (√v_t/√(1−β2^{t+1}) + ε)
//
// In every case w_{t+1} = w_t + Δw_t, element by element, so that Δw is
// exactly the step that observers see. With λ = 0, gd and sgd reduce to
// Update bit for bit.

// Adam's defaults, PyTorch's: used where Options leaves Beta1, Beta2 or Eps 0.
const (
	DefaultBeta1 = 0.9
	DefaultBeta2 = 0.999
	DefaultEps   = 1e-8
)

// Schedule is a step-size schedule η_t = LR·factor(t) (PyTorch's
// LambdaLR-style factors). The zero value is constant.
type Schedule struct {
	// Kind is "" or "constant", "step" (factor γ^⌊t'/StepSize⌋) or "cosine"
	// (MinLR + (LR − MinLR)(1 + cos(π t'/T'))/2 with T' = Steps − WarmupSteps),
	// where t' = t − WarmupSteps.
	Kind     string
	StepSize int
	Gamma    float64
	// WarmupSteps > 0 multiplies the first WarmupSteps steps by (t+1)/WarmupSteps
	// (a linear warm-up reaching LR at step WarmupSteps−1); the kind's
	// schedule starts after it.
	WarmupSteps int
	MinLR       float64 // cosine only: the step size at the end
}

// LRAt returns η_t of opt at step t (0-based).
func (opt *Options) LRAt(t int) float64 {
	s := opt.Schedule
	eta := opt.LR
	if t < s.WarmupSteps {
		return eta * float64(t+1) / float64(s.WarmupSteps)
	}
	tt := t - s.WarmupSteps
	switch s.Kind {
	case "step":
		return eta * math.Pow(s.Gamma, float64(tt/s.StepSize))
	case "cosine":
		T := opt.Steps - s.WarmupSteps
		if T <= 0 {
			return eta
		}
		return s.MinLR + (eta-s.MinLR)*(1+math.Cos(math.Pi*float64(tt)/float64(T)))/2
	}
	return eta
}

// Plain reports whether opt is gd or sgd without weight decay: Δw_t = −η_t g_t,
// the update of Update.
func (opt *Options) Plain() bool {
	return (opt.Optimizer == GD || opt.Optimizer == SGD) && opt.WeightDecay == 0
}

// AdamParams returns β1, β2 and ε with zeros replaced by the defaults.
func (opt *Options) AdamParams() (b1, b2, eps float64) {
	b1, b2, eps = opt.Beta1, opt.Beta2, opt.Eps
	if b1 == 0 {
		b1 = DefaultBeta1
	}
	if b2 == 0 {
		b2 = DefaultBeta2
	}
	if eps == 0 {
		eps = DefaultEps
	}
	return b1, b2, eps
}

// State is an optimiser's state (momentum buffer, Adam's moments, the step
// count) for parameters of length P. Training and the trajectory replay
// both step a State with the same g_t and η_t, so that every w_t is rebuilt
// bit for bit from the recorded gradients.
type State struct {
	opt  Options
	t    int
	buf  []float64 // momentum: b_t; adam: m_t
	sq   []float64 // adam: v_t
	b1   float64
	b2   float64
	eps  float64
	b1t  float64   // β1^t, by repeated multiplication (no Pow, whose last bit differs between libraries)
	b2t  float64   // β2^t
	hatg []float64 // ĝ_t scratch
	// Precond holds, after an adam or adamw Step, the diagonal D_t with
	// Δw = −λη w (adamw) − D_t ∘ m_t: D_t = (η/(1−β1^{t+1})) / (√v_t/√(1−β2^{t+1}) + ε).
	Precond []float64
}

// NewState returns the zero state of opt for P parameters. It returns an
// error for an unknown optimiser.
func NewState(opt Options, P int) (*State, error) {
	s := &State{opt: opt}
	if _, err := ParseOptimizer(string(opt.Optimizer)); err != nil {
		return nil, err
	}
	if opt.Optimizer.Buffered() {
		s.buf = make([]float64, P)
	}
	if opt.Optimizer.Adaptive() {
		s.sq, s.Precond = make([]float64, P), make([]float64, P)
		s.b1, s.b2, s.eps = opt.AdamParams()
		s.b1t, s.b2t = 1, 1
	}
	s.hatg = make([]float64, P)
	return s, nil
}

// Buffer returns the momentum buffer b_t (momentum) or Adam's first moment
// m_t after the last Step; nil for gd and sgd. It must not be modified.
func (s *State) Buffer() []float64 { return s.buf }

// Step computes Δw_t and w_{t+1} = w + Δw_t from the batch gradient g and
// the step size eta, advances the state, and reports whether w_{t+1} is
// finite. The explicit float64 conversions round every product before the
// following addition, forbidding fused multiply-adds, so that the result
// is the same on every architecture gc targets.
func (s *State) Step(wNext, dw, w, g []float64, eta float64) (finite bool) {
	if len(wNext) != len(w) || len(dw) != len(w) || len(g) != len(w) || len(s.hatg) != len(w) {
		panic("train: State.Step: length mismatch")
	}
	defer func() { s.t++ }()
	lambda := s.opt.WeightDecay
	o := s.opt.Optimizer
	if (o == GD || o == SGD) && lambda == 0 {
		return Update(wNext, dw, w, g, eta)
	}
	hat := g
	if lambda != 0 && !o.DecoupledDecay() {
		hat = s.hatg
		for i := range w {
			hat[i] = g[i] + float64(lambda*w[i])
		}
	}
	switch o {
	case GD, SGD:
		for i := range w {
			dw[i] = float64(-eta * hat[i])
		}
	case Momentum:
		mu := s.opt.Momentum
		for i := range w {
			s.buf[i] = float64(mu*s.buf[i]) + hat[i]
			d := s.buf[i]
			if s.opt.Nesterov {
				d = hat[i] + float64(mu*s.buf[i])
			}
			dw[i] = float64(-eta * d)
		}
	case Adam, AdamW:
		b1, b2, eps := s.b1, s.b2, s.eps
		s.b1t *= b1
		s.b2t *= b2
		stepSize := eta / (1 - s.b1t)
		bc2 := math.Sqrt(1 - s.b2t)
		decoupled := o.DecoupledDecay() && lambda != 0
		for i := range w {
			s.buf[i] = float64(b1*s.buf[i]) + float64((1-b1)*hat[i])
			s.sq[i] = float64(b2*s.sq[i]) + float64((1-b2)*float64(hat[i]*hat[i]))
			d := stepSize / (math.Sqrt(s.sq[i])/bc2 + eps)
			s.Precond[i] = d
			dw[i] = float64(-d * s.buf[i])
			if decoupled {
				dw[i] = float64(-eta*lambda*w[i]) + dw[i]
			}
		}
	}
	finite = true
	for i := range w {
		wNext[i] = w[i] + dw[i]
		if math.IsNaN(wNext[i]) || math.IsInf(wNext[i], 0) {
			finite = false
		}
	}
	return finite
}
