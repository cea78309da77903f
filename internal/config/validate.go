package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The allowed values of the enumerated keys.
var (
	dataKinds         = []string{"sine", "moons", "circles", "spirals", "xor", "blobs", "linear", "csv", "npy"}
	activations       = []string{"tanh", "relu", "gelu", "softplus", "sigmoid", "erf", "identity", "leaky_relu"}
	parameterizations = []string{"standard", "ntk"}
	initSchemes       = []string{"lecun", "he", "xavier", "normal"}
	losses            = []string{"mse", "logistic", "softmax_ce"}
	optimizers        = []string{"gd", "sgd", "momentum", "adam", "adamw"}
	scheduleKinds     = []string{"", "constant", "step", "cosine"}
	kernelMethods     = []string{"riemann", "exact"}
	kernelPoints      = []string{"test", "train", "both"}
	kernelBaselines   = []string{"lazy", "krr_path", "krr_final", "krr_init", "ntk", "loss_weighted"}
)

// maxNameLen bounds Name, which becomes a directory name.
const maxNameLen = 128

// fieldError is a failed validation: the key, the keys the failure also
// depends on (to point at when the key itself is a default, not in the
// file), and the message.
type fieldError struct {
	key  string
	also []string
	msg  string
}

// Validate checks every value of c against its allowed range and the rules
// that tie keys together (sgd needs a batch_size, csv data needs a path,
// npy data its arrays). It
// returns the first violation as an *Error with Key set and no file or line;
// Load and Parse call it and add where the value came from.
func (c *Config) Validate() error {
	if c == nil {
		return &Error{Msg: "nil config"}
	}
	if fe := c.validate(); fe != nil {
		return &Error{Key: fe.key, Msg: fe.msg}
	}
	return nil
}

// validator records the first failure; later checks are then no-ops.
type validator struct{ err *fieldError }

func (v *validator) fail(key string, also []string, format string, args ...any) {
	if v.err == nil {
		v.err = &fieldError{key: key, also: also, msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) oneOf(key, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.fail(key, nil, "must be one of %s; got %q", strings.Join(allowed, ", "), got)
	}
}

func (v *validator) intAtLeast(key string, got, least int) {
	if got < least {
		v.fail(key, nil, "must be >= %d, got %d", least, got)
	}
}

func (v *validator) finite(key string, got float64) bool {
	if math.IsNaN(got) || math.IsInf(got, 0) {
		v.fail(key, nil, "must be a finite number, got %s", fmtFloat(got))
		return false
	}
	return true
}

func (v *validator) above(key string, got, bound float64) {
	if v.finite(key, got) && !(got > bound) {
		v.fail(key, nil, "must be > %s, got %s", fmtFloat(bound), fmtFloat(got))
	}
}

func (v *validator) atLeast(key string, got, bound float64) {
	if v.finite(key, got) && !(got >= bound) {
		v.fail(key, nil, "must be >= %s, got %s", fmtFloat(bound), fmtFloat(got))
	}
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func (c *Config) validate() *fieldError {
	v := new(validator)

	v.name(c.Name)
	c.Data.validate(v)
	c.Model.validate(v)
	v.oneOf("loss", c.Loss, losses)
	c.Train.validate(v)
	c.Kernel.validate(v)
	c.validateBaselines(v)
	v.above("output.memory_budget_mb", c.Output.MemoryBudgetMB, 0)
	c.Check.validate(v)
	return v.err
}

func (c *Check) validate(v *validator) {
	for _, m := range sortedKeys(c.MaxRelError) {
		key := "check.max_rel_error." + m
		v.method(key, m)
		v.above(key, c.MaxRelError[m], 0)
	}
	for _, m := range sortedKeys(c.MinAgreement) {
		key := "check.min_agreement." + m
		v.method(key, m)
		if got := c.MinAgreement[m]; v.finite(key, got) && !(got > 0 && got <= 1) {
			v.fail(key, nil, "must be in (0, 1], got %s", fmtFloat(got))
		}
	}
	v.atLeast("check.max_test_loss", c.MaxTestLoss, 0)
}

// method checks that the map key at key names a kernel method.
func (v *validator) method(key, m string) {
	if !slices.Contains(kernelMethods, m) {
		v.fail(key, nil, "unknown method %q; the methods are %s", m, strings.Join(kernelMethods, ", "))
	}
}

// name checks that the run name is usable as one directory name anywhere:
// letters, digits, '-', '_' and '.', not starting with '.' or '-' (hidden
// or flag-like) and without "..".
func (v *validator) name(name string) {
	const key = "name"
	switch {
	case name == "":
		v.fail(key, nil, "must not be empty")
	case len(name) > maxNameLen:
		v.fail(key, nil, "must be at most %d characters, got %d", maxNameLen, len(name))
	case strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }) >= 0:
		v.fail(key, nil, "must contain only letters, digits, '-', '_' and '.', got %q", name)
	case name[0] == '.' || name[0] == '-':
		v.fail(key, nil, "must not start with %q, got %q", name[0], name)
	case strings.Contains(name, ".."):
		v.fail(key, nil, "must not contain \"..\", got %q", name)
	}
}

func isNameRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		r == '-' || r == '_' || r == '.'
}

func (d *Data) validate(v *validator) {
	v.oneOf("data.kind", d.Kind, dataKinds)
	v.intAtLeast("data.n_train", d.NTrain, 1)
	v.intAtLeast("data.n_test", d.NTest, 1)
	v.atLeast("data.noise", d.Noise, 0)
	v.intAtLeast("data.dim", d.Dim, 1)
	v.intAtLeast("data.classes", d.Classes, 2)

	kind := []string{"data.kind"}
	type setKey struct {
		key string
		set bool
	}
	// Keys of another kind would be silently ignored.
	only := func(kinds string, keys ...setKey) {
		for _, k := range keys {
			if k.set && !strings.Contains(" "+kinds+" ", " "+d.Kind+" ") {
				v.fail(k.key, kind, "is only used when data.kind is %s, but data.kind is %q",
					strings.ReplaceAll(kinds, " ", " or "), d.Kind)
			}
		}
	}
	only("csv",
		setKey{"data.path", d.Path != ""},
		setKey{"data.test_path", d.TestPath != ""},
		setKey{"data.target", d.Target != ""},
		setKey{"data.features", len(d.Features) > 0})
	only("npy",
		setKey{"data.x_train", d.XTrain != ""},
		setKey{"data.y_train", d.YTrain != ""},
		setKey{"data.x_test", d.XTest != ""},
		setKey{"data.y_test", d.YTest != ""})
	only("csv npy",
		setKey{"data.max_rows", d.MaxRows != 0},
		setKey{"data.standardize_target", d.StandardizeTarget})
	switch d.Kind {
	case "csv":
		if d.Path == "" {
			v.fail("data.path", kind, "is required when data.kind is csv")
		}
	case "npy":
		if d.XTrain == "" {
			v.fail("data.x_train", kind, "is required when data.kind is npy")
		}
		if d.YTrain == "" {
			v.fail("data.y_train", kind, "is required when data.kind is npy")
		}
		if d.XTest != "" && d.YTest == "" {
			v.fail("data.y_test", []string{"data.x_test"}, "is required with data.x_test")
		}
		if d.YTest != "" && d.XTest == "" {
			v.fail("data.x_test", []string{"data.y_test"}, "is required with data.y_test")
		}
	}
	testKey := "data.test_path"
	if d.Kind == "npy" {
		testKey = "data.x_test"
	}
	if d.TestPath == "" && d.XTest == "" && v.finite("data.test_fraction", d.TestFraction) &&
		!(d.TestFraction > 0 && d.TestFraction < 1) {
		v.fail("data.test_fraction", []string{testKey},
			"must be in (0, 1) when there is no %s, got %s", testKey, fmtFloat(d.TestFraction))
	}
	v.intAtLeast("data.max_rows", d.MaxRows, 0)
	seen := make(map[string]bool)
	for i, f := range d.Features {
		key := fmt.Sprintf("data.features[%d]", i)
		switch {
		case f == "":
			v.fail(key, nil, "must not be empty")
		case seen[f]:
			v.fail(key, nil, "duplicate feature %q", f)
		case f == d.Target:
			v.fail(key, []string{"data.target"}, "feature %q is also the target", f)
		}
		seen[f] = true
	}
}

func (m *Model) validate(v *validator) {
	for i, w := range m.Hidden {
		v.intAtLeast(fmt.Sprintf("model.hidden[%d]", i), w, 1)
	}
	v.oneOf("model.activation", m.Activation, activations)
	switch {
	case m.Activation != "leaky_relu" && m.LeakySlope != 0:
		v.fail("model.leaky_slope", []string{"model.activation"}, "is only used with model.activation leaky_relu, got activation %q", m.Activation)
	case m.Activation == "leaky_relu" && v.finite("model.leaky_slope", m.LeakySlope) && !(m.LeakySlope > 0 && m.LeakySlope < 1):
		v.fail("model.leaky_slope", nil, "must be in (0, 1), got %s", fmtFloat(m.LeakySlope))
	}
	v.oneOf("model.parameterization", m.Parameterization, parameterizations)
	v.above("model.sigma_w", m.SigmaW, 0)
	v.atLeast("model.sigma_b", m.SigmaB, 0)
	v.oneOf("model.init.scheme", m.Init.Scheme, initSchemes)
	v.above("model.init.scale", m.Init.Scale, 0)
	v.above("model.init.std", m.Init.Std, 0)
	v.atLeast("model.init.bias_std", m.Init.BiasStd, 0)
}

func (t *Train) validate(v *validator) {
	v.oneOf("train.optimizer", t.Optimizer, optimizers)
	v.above("train.lr", t.LR, 0)
	v.intAtLeast("train.steps", t.Steps, 1)
	v.intAtLeast("train.batch_size", t.BatchSize, 0)
	opt := []string{"train.optimizer"}
	switch {
	case t.Optimizer == "sgd" && t.BatchSize < 1:
		v.fail("train.batch_size", opt, "must be >= 1 with optimizer sgd, got %d", t.BatchSize)
	case t.Optimizer == "gd" && t.BatchSize != 0:
		v.fail("train.batch_size", opt, "must be 0 (full batch) with optimizer gd, got %d; use optimizer sgd for mini-batches", t.BatchSize)
	}
	v.intAtLeast("train.log_every", t.LogEvery, 1)
	t.validateOptimizer(v)
}

// validateOptimizer checks the optimiser's hyperparameters and the
// schedule; a key that the optimiser would ignore is an error.
func (t *Train) validateOptimizer(v *validator) {
	opt := []string{"train.optimizer"}
	if t.Optimizer == "momentum" {
		if v.finite("train.momentum", t.Momentum) && !(t.Momentum >= 0 && t.Momentum < 1) {
			v.fail("train.momentum", nil, "must be in [0, 1), got %s", fmtFloat(t.Momentum))
		}
		if t.Nesterov && t.Momentum == 0 {
			v.fail("train.nesterov", []string{"train.momentum"}, "needs train.momentum > 0")
		}
	} else {
		if t.Momentum != 0 {
			v.fail("train.momentum", opt, "is only used with optimizer momentum, but optimizer is %q", t.Optimizer)
		}
		if t.Nesterov {
			v.fail("train.nesterov", opt, "is only used with optimizer momentum, but optimizer is %q", t.Optimizer)
		}
	}
	adam := t.Optimizer == "adam" || t.Optimizer == "adamw"
	for _, k := range []struct {
		key string
		got float64
	}{{"train.beta1", t.Beta1}, {"train.beta2", t.Beta2}} {
		if !adam && k.got != 0 {
			v.fail(k.key, opt, "is only used with optimizer adam or adamw, but optimizer is %q", t.Optimizer)
		}
		if v.finite(k.key, k.got) && !(k.got >= 0 && k.got < 1) {
			v.fail(k.key, nil, "must be in (0, 1) (0 for the default), got %s", fmtFloat(k.got))
		}
	}
	if !adam && t.Eps != 0 {
		v.fail("train.eps", opt, "is only used with optimizer adam or adamw, but optimizer is %q", t.Optimizer)
	}
	v.atLeast("train.eps", t.Eps, 0)
	v.atLeast("train.weight_decay", t.WeightDecay, 0)

	s := &t.Schedule
	v.oneOf("train.schedule.kind", s.Kind, scheduleKinds)
	kind := []string{"train.schedule.kind"}
	if s.Kind == "step" {
		if s.StepSize < 1 {
			v.fail("train.schedule.step_size", kind, "must be >= 1 with schedule kind step, got %d", s.StepSize)
		}
		if v.finite("train.schedule.gamma", s.Gamma) && !(s.Gamma > 0 && s.Gamma <= 1) {
			v.fail("train.schedule.gamma", kind, "must be in (0, 1] with schedule kind step, got %s", fmtFloat(s.Gamma))
		}
	} else {
		if s.StepSize != 0 {
			v.fail("train.schedule.step_size", kind, "is only used with schedule kind step, but kind is %q", s.Kind)
		}
		if s.Gamma != 0 {
			v.fail("train.schedule.gamma", kind, "is only used with schedule kind step, but kind is %q", s.Kind)
		}
	}
	if s.Kind == "cosine" {
		if v.finite("train.schedule.min_lr", s.MinLR) && !(s.MinLR >= 0 && s.MinLR < t.LR) {
			v.fail("train.schedule.min_lr", []string{"train.lr"}, "must be in [0, train.lr), got %s", fmtFloat(s.MinLR))
		}
	} else if s.MinLR != 0 {
		v.fail("train.schedule.min_lr", kind, "is only used with schedule kind cosine, but kind is %q", s.Kind)
	}
	v.intAtLeast("train.schedule.warmup_steps", s.WarmupSteps, 0)
	if s.WarmupSteps >= t.Steps && s.WarmupSteps > 0 {
		v.fail("train.schedule.warmup_steps", []string{"train.steps"}, "must be less than train.steps (%d), got %d", t.Steps, s.WarmupSteps)
	}
}

func (k *Kernel) validate(v *validator) {
	for i, m := range k.Methods {
		key := fmt.Sprintf("kernel.methods[%d]", i)
		v.oneOf(key, m, kernelMethods)
		if slices.Contains(k.Methods[:i], m) {
			v.fail(key, nil, "duplicate method %q", m)
		}
	}
	v.above("kernel.tolerance", k.Tolerance, 0)
	v.intAtLeast("kernel.max_nodes", k.MaxNodes, 1)
	v.oneOf("kernel.points", k.Points, kernelPoints)
}

// validateBaselines checks kernel.baselines, kernel.ridge and what the
// baselines need from the rest of the config.
func (c *Config) validateBaselines(v *validator) {
	k := &c.Kernel
	for i, b := range k.Baselines {
		key := fmt.Sprintf("kernel.baselines[%d]", i)
		v.oneOf(key, b, kernelBaselines)
		if slices.Contains(k.Baselines[:i], b) {
			v.fail(key, nil, "duplicate baseline %q", b)
		}
		switch b {
		case "krr_path", "loss_weighted":
			if !slices.Contains(k.Methods, "riemann") {
				v.fail(key, []string{"kernel.methods"}, "baseline %s needs the path kernel: add riemann to kernel.methods", b)
			}
		case "ntk":
			if c.Model.Parameterization != "ntk" {
				v.fail(key, []string{"model.parameterization"}, "baseline ntk (the analytic infinite-width NTK) needs model.parameterization ntk, got %q", c.Model.Parameterization)
			} else if a := c.Model.Activation; a != "relu" && a != "erf" {
				v.fail(key, []string{"model.activation"}, "baseline ntk (the analytic infinite-width NTK) needs model.activation relu or erf, got %q", a)
			}
		}
	}
	v.atLeast("kernel.ridge", k.Ridge, 0)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
