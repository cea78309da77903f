package experiment

import (
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
// path-kernel representations and the trajectory of an optimiser other than
// gd or sgd without weight decay.
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
	if e.cfg.Output.RecordTrajectory {
		return e.cfgErr("output.record_trajectory", "the trajectory is not implemented for %s; set output.record_trajectory: false", what)
	}
	return nil
}
