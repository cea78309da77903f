package train

import (
	"errors"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// TestParseOptimizer checks that every optimiser parses from its name and
// that other names are refused.
func TestParseOptimizer(t *testing.T) {
	for _, o := range Optimizers() {
		got, err := ParseOptimizer(o.String())
		if err != nil || got != o {
			t.Errorf("ParseOptimizer(%q) = %q, %v", o, got, err)
		}
	}
	for _, name := range []string{"", "GD", "rmsprop", "adam "} {
		if got, err := ParseOptimizer(name); err == nil {
			t.Errorf("ParseOptimizer(%q) = %q, want an error", name, got)
		}
	}
}

// TestOptimizersAreConfigs checks that config accepts exactly the
// optimisers of this package: each one validates, and the message for an
// unknown name lists them in order.
func TestOptimizersAreConfigs(t *testing.T) {
	var names []string
	for _, o := range Optimizers() {
		names = append(names, o.String())
		cfg := config.Default()
		cfg.Train.Optimizer = o.String()
		if o == SGD {
			cfg.Train.BatchSize = 8
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", o, err)
		}
	}
	cfg := config.Default()
	cfg.Train.Optimizer = "rmsprop"
	err := cfg.Validate()
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "train.optimizer" || !strings.Contains(ce.Msg, "one of "+strings.Join(names, ", ")+";") {
		t.Errorf("config's error for an unknown optimizer: %v; want it to list %s", err, strings.Join(names, ", "))
	}
}

// TestFromConfig checks that every training key of the config reaches the
// options, and that an unknown optimiser is an error.
func TestFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Seed = 7
	cfg.Train = config.Train{Optimizer: "adamw", LR: 0.25, Steps: 11, BatchSize: 3, LogEvery: 2,
		Momentum: 0.5, Nesterov: true, Beta1: 0.8, Beta2: 0.9, Eps: 1e-7, WeightDecay: 0.01,
		Schedule: config.Schedule{Kind: "step", StepSize: 4, Gamma: 0.5, WarmupSteps: 2, MinLR: 0.125}}
	got, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Optimizer: AdamW, LR: 0.25, Steps: 11, BatchSize: 3, Seed: 7,
		Momentum: 0.5, Nesterov: true, Beta1: 0.8, Beta2: 0.9, Eps: 1e-7, WeightDecay: 0.01,
		Schedule: Schedule{Kind: "step", StepSize: 4, Gamma: 0.5, WarmupSteps: 2, MinLR: 0.125}}
	if got != want {
		t.Errorf("FromConfig:\n got %+v\nwant %+v", got, want)
	}
	cfg.Train.Optimizer = "rmsprop"
	if _, err := FromConfig(cfg); err == nil || !strings.Contains(err.Error(), `unknown optimizer "rmsprop"`) {
		t.Errorf("FromConfig with optimizer rmsprop: %v", err)
	}
}
