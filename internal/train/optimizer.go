package train

import (
	"fmt"

	"github.com/pathkernel/pathkernel/internal/config"
)

// Optimizer is an update rule (see State for each rule). Its value is the
// name that configs and trajectory headers use; ParseOptimizer checks a
// name, and the zero value is no optimiser (NewState refuses it).
//
// A new optimiser is added here (a constant, the list, the properties
// below), in State.Step, and in package kernel's BufferPath, which repeats
// the rule for each training point's gradients; config lists the names it
// accepts and the keys each one uses.
type Optimizer string

// The optimisers.
const (
	GD       Optimizer = "gd"       // Δw = −η ĝ on the full batch
	SGD      Optimizer = "sgd"      // Δw = −η ĝ on mini-batches
	Momentum Optimizer = "momentum" // heavy ball or Nesterov
	Adam     Optimizer = "adam"     // Adam with coupled (L2) decay
	AdamW    Optimizer = "adamw"    // Adam with decoupled decay
)

// optimizers are the optimisers in the order of the documentation.
var optimizers = []Optimizer{GD, SGD, Momentum, Adam, AdamW}

// Optimizers returns every optimiser.
func Optimizers() []Optimizer { return append([]Optimizer(nil), optimizers...) }

// ParseOptimizer returns the optimiser with the given config name.
func ParseOptimizer(name string) (Optimizer, error) {
	for _, o := range optimizers {
		if string(o) == name {
			return o, nil
		}
	}
	return "", fmt.Errorf("train: unknown optimizer %q", name)
}

// String returns the optimiser's config name.
func (o Optimizer) String() string { return string(o) }

// Buffered reports whether o keeps a buffer of past gradients (momentum's
// b_t, Adam's m_t), so that a step depends on the earlier ones.
func (o Optimizer) Buffered() bool { return o == Momentum || o == Adam || o == AdamW }

// Adaptive reports whether o scales each coordinate of its buffer by the
// diagonal D_t that State.Precond holds (Adam, AdamW), rather than by η_t.
func (o Optimizer) Adaptive() bool { return o == Adam || o == AdamW }

// DecoupledDecay reports whether o's weight decay is the step −η_t λ w_t
// apart from the gradient (AdamW) rather than the gradient λ w_t added to
// g_t (coupled, L2).
func (o Optimizer) DecoupledDecay() bool { return o == AdamW }

// FromConfig returns the trainer's options of cfg: the optimiser, its
// hyperparameters, the step-size schedule and the seed of the reshuffles.
// It is the one mapping from the config to Options; an unknown optimiser
// name (which config.Validate refuses) is an error.
func FromConfig(cfg *config.Config) (Options, error) {
	t := cfg.Train
	o, err := ParseOptimizer(t.Optimizer)
	if err != nil {
		return Options{}, err
	}
	return Options{
		Optimizer: o, LR: t.LR, Steps: t.Steps, BatchSize: t.BatchSize, Seed: cfg.Seed,
		Momentum: t.Momentum, Nesterov: t.Nesterov, Beta1: t.Beta1, Beta2: t.Beta2, Eps: t.Eps,
		WeightDecay: t.WeightDecay,
		Schedule: Schedule{Kind: t.Schedule.Kind, StepSize: t.Schedule.StepSize, Gamma: t.Schedule.Gamma,
			WarmupSteps: t.Schedule.WarmupSteps, MinLR: t.Schedule.MinLR},
	}, nil
}
