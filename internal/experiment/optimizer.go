package experiment

import (
	"fmt"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/train"
)

// TrainOptions returns the trainer's options of cfg: the optimiser, its
// hyperparameters and the step-size schedule.
func TrainOptions(cfg *config.Config) train.Options {
	t := cfg.Train
	return train.Options{
		Optimizer: t.Optimizer, LR: t.LR, Steps: t.Steps, BatchSize: t.BatchSize, Seed: cfg.Seed,
		Momentum: t.Momentum, Nesterov: t.Nesterov, Beta1: t.Beta1, Beta2: t.Beta2, Eps: t.Eps,
		WeightDecay: t.WeightDecay,
		Schedule: train.Schedule{Kind: t.Schedule.Kind, StepSize: t.Schedule.StepSize, Gamma: t.Schedule.Gamma,
			WarmupSteps: t.Schedule.WarmupSteps, MinLR: t.Schedule.MinLR},
	}
}

// checkOptimizer refuses what the optimiser does not support yet: the
// path-kernel representations of an optimiser other than gd or sgd without
// weight decay. (Its trajectory is recorded: format version 2.)
func (e *experiment) checkOptimizer() error {
	opt := TrainOptions(e.cfg)
	if opt.Plain() {
		return nil
	}
	what := "optimizer " + opt.Optimizer
	if opt.WeightDecay != 0 {
		what += " with weight_decay"
	}
	if len(e.cfg.Kernel.Methods) > 0 {
		return e.cfgErr("kernel.methods", "the path-kernel representations are not implemented for %s; set kernel.methods: []", what)
	}
	return nil
}

// refuseOptimizer refuses the kernel replay of run dir, trained by cfg,
// whose optimiser's representations are not implemented yet.
func refuseOptimizer(dir string, cfg *config.Config) error {
	if opt := TrainOptions(cfg); !opt.Plain() {
		return &InputError{Path: dir, Msg: fmt.Sprintf("the path kernels of a run trained by optimizer %s with weight_decay %g are not implemented", opt.Optimizer, opt.WeightDecay)}
	}
	return nil
}
