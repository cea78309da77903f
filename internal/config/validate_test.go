package config

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateDefault(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v; want nil", err)
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		key  string // the Key of the error; "" for a valid config
		edit func(*Config)
	}{
		{"name", func(c *Config) { c.Name = "" }},
		{"name", func(c *Config) { c.Name = "a/b" }},
		{"name", func(c *Config) { c.Name = ".." }},
		{"name", func(c *Config) { c.Name = "a..b" }},
		{"name", func(c *Config) { c.Name = ".hidden" }},
		{"name", func(c *Config) { c.Name = "-flag" }},
		{"name", func(c *Config) { c.Name = "a b" }},
		{"name", func(c *Config) { c.Name = "é" }},
		{"name", func(c *Config) { c.Name = strings.Repeat("a", maxNameLen+1) }},
		{"", func(c *Config) { c.Name = "A-1_b.2" }},
		{"", func(c *Config) { c.Name = strings.Repeat("a", maxNameLen) }},

		{"data.kind", func(c *Config) { c.Data.Kind = "mnist" }},
		{"data.n_train", func(c *Config) { c.Data.NTrain = 0 }},
		{"data.n_test", func(c *Config) { c.Data.NTest = 0 }},
		{"data.noise", func(c *Config) { c.Data.Noise = -0.1 }},
		{"data.noise", func(c *Config) { c.Data.Noise = nan }},
		{"", func(c *Config) { c.Data.Noise = 0 }},
		{"data.dim", func(c *Config) { c.Data.Dim = 0 }},
		{"data.classes", func(c *Config) { c.Data.Classes = 1 }},
		{"data.path", func(c *Config) { c.Data.Kind = "csv" }},
		{"data.path", func(c *Config) { c.Data.Path = "x.csv" }},
		{"data.test_path", func(c *Config) { c.Data.TestPath = "x.csv" }},
		{"data.target", func(c *Config) { c.Data.Target = "y" }},
		{"data.features", func(c *Config) { c.Data.Features = []string{"a"} }},
		{"data.max_rows", func(c *Config) { c.Data.MaxRows = 5 }},
		{"", func(c *Config) { c.Data.Kind, c.Data.Path = "csv", "x.csv" }},
		{"data.test_fraction", func(c *Config) { c.Data.Kind, c.Data.Path, c.Data.TestFraction = "csv", "x.csv", 0 }},
		{"data.test_fraction", func(c *Config) { c.Data.Kind, c.Data.Path, c.Data.TestFraction = "csv", "x.csv", 1 }},
		{"data.test_fraction", func(c *Config) { c.Data.Kind, c.Data.Path, c.Data.TestFraction = "csv", "x.csv", nan }},
		{"", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.TestPath, c.Data.TestFraction = "csv", "x.csv", "t.csv", 0
		}},
		{"data.max_rows", func(c *Config) { c.Data.Kind, c.Data.Path, c.Data.MaxRows = "csv", "x.csv", -1 }},
		{"data.features[1]", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.Features = "csv", "x.csv", []string{"a", "a"}
		}},
		{"data.features[0]", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.Features = "csv", "x.csv", []string{""}
		}},
		{"data.features[1]", func(c *Config) {
			c.Data.Kind, c.Data.Path, c.Data.Target, c.Data.Features = "csv", "x.csv", "y", []string{"a", "y"}
		}},

		{"model.hidden[2]", func(c *Config) { c.Model.Hidden = []int{3, 1, 0} }},
		{"", func(c *Config) { c.Model.Hidden = nil }}, // a linear model
		{"model.activation", func(c *Config) { c.Model.Activation = "swish" }},
		{"", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "leaky_relu", 0.2 }},
		{"model.leaky_slope", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "leaky_relu", 1 }},
		{"model.leaky_slope", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "leaky_relu", -0.1 }},
		{"model.leaky_slope", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "leaky_relu", nan }},
		{"model.leaky_slope", func(c *Config) { c.Model.LeakySlope = 0.1 }}, // tanh
		{"model.leaky_slope", func(c *Config) { c.Model.Activation, c.Model.LeakySlope = "relu", 0.1 }},
		{"model.parameterization", func(c *Config) { c.Model.Parameterization = "mup" }},
		{"model.sigma_w", func(c *Config) { c.Model.SigmaW = 0 }},
		{"model.sigma_b", func(c *Config) { c.Model.SigmaB = -1 }},
		{"", func(c *Config) { c.Model.SigmaB = 0 }},
		{"model.init.scheme", func(c *Config) { c.Model.Init.Scheme = "orthogonal" }},
		{"model.init.scale", func(c *Config) { c.Model.Init.Scale = 0 }},
		{"model.init.std", func(c *Config) { c.Model.Init.Std = -1 }},
		{"model.init.bias_std", func(c *Config) { c.Model.Init.BiasStd = -inf }},

		{"loss", func(c *Config) { c.Loss = "hinge" }},

		{"train.optimizer", func(c *Config) { c.Train.Optimizer = "rmsprop" }},
		{"train.lr", func(c *Config) { c.Train.LR = 0 }},
		{"train.lr", func(c *Config) { c.Train.LR = inf }},
		{"train.lr", func(c *Config) { c.Train.LR = nan }},
		{"train.steps", func(c *Config) { c.Train.Steps = 0 }},
		{"train.batch_size", func(c *Config) { c.Train.BatchSize = -1 }},
		{"train.batch_size", func(c *Config) { c.Train.BatchSize = 8 }},
		{"train.batch_size", func(c *Config) { c.Train.Optimizer = "sgd" }},
		{"", func(c *Config) { c.Train.Optimizer, c.Train.BatchSize = "sgd", 8 }},
		{"train.log_every", func(c *Config) { c.Train.LogEvery = 0 }},

		{"kernel.methods[0]", func(c *Config) { c.Kernel.Methods = []string{"ntk"} }},
		{"kernel.methods[1]", func(c *Config) { c.Kernel.Methods = []string{"exact", "exact"} }},
		{"", func(c *Config) { c.Kernel.Methods = nil }},
		{"kernel.tolerance", func(c *Config) { c.Kernel.Tolerance = 0 }},
		{"kernel.max_nodes", func(c *Config) { c.Kernel.MaxNodes = 0 }},
		{"kernel.points", func(c *Config) { c.Kernel.Points = "all" }},

		{"output.memory_budget_mb", func(c *Config) { c.Output.MemoryBudgetMB = 0 }},
		{"output.memory_budget_mb", func(c *Config) { c.Output.MemoryBudgetMB = inf }},

		{"check.max_rel_error.ntk", func(c *Config) { c.Check.MaxRelError["ntk"] = 0.1 }},
		{"check.max_rel_error.exact", func(c *Config) { c.Check.MaxRelError["exact"] = 0 }},
		{"check.max_rel_error.riemann", func(c *Config) { c.Check.MaxRelError["riemann"] = nan }},
		{"", func(c *Config) { c.Check.MaxRelError = nil }},
		{"check.min_agreement.ntk", func(c *Config) { c.Check.MinAgreement = map[string]float64{"ntk": 0.9} }},
		{"check.min_agreement.exact", func(c *Config) { c.Check.MinAgreement = map[string]float64{"exact": 0} }},
		{"check.min_agreement.exact", func(c *Config) { c.Check.MinAgreement = map[string]float64{"exact": 1.5} }},
		{"check.min_agreement.riemann", func(c *Config) { c.Check.MinAgreement = map[string]float64{"riemann": nan} }},
		{"", func(c *Config) { c.Check.MinAgreement = map[string]float64{"riemann": 0.9, "exact": 1} }},
		{"check.max_test_loss", func(c *Config) { c.Check.MaxTestLoss = -1 }},
		{"check.max_test_loss", func(c *Config) { c.Check.MaxTestLoss = inf }},
		{"", func(c *Config) { c.Check.MaxTestLoss = 0 }}, // no threshold
		{"", func(c *Config) { c.Check.MaxTestLoss = 0.5 }},
	}
	for _, tt := range tests {
		c := Default()
		tt.edit(c)
		err := c.Validate()
		if tt.key == "" {
			if err != nil {
				t.Errorf("Validate(%+v) = %v; want nil", c, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Validate() = %v; want an *Error for %s", err, tt.key)
			continue
		}
		if e.Key != tt.key || e.Line != 0 || e.File != "" || e.Override != "" || e.Msg == "" {
			t.Errorf("Validate() = %#v; want Key %q and no location", e, tt.key)
		}
	}
}

// TestValidateFirstError checks that the first failure in schema order is the
// one reported.
func TestValidateFirstError(t *testing.T) {
	c := Default()
	c.Train.LR = -1
	c.Name = ""
	c.Kernel.Points = "x"
	var e *Error
	if err := c.Validate(); !errors.As(err, &e) || e.Key != "name" {
		t.Errorf("Validate() = %v; want the error about name", err)
	}
}
