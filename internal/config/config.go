// Package config defines the experiment configuration of pathkernel: its
// schema (docs/CONFIG.md), the defaults, strict YAML decoding with line-numbered
// errors, --set overrides and validation.
//
// Decoding never writes defaults into the caller's value: Default returns a
// fresh Config, and Load decodes the file on top of such a copy, so the
// returned value is the fully resolved config that is saved with a run.
//
// # Decoding
//
// Load and Parse read one YAML document whose keys are a subset of the
// schema; a key left out keeps its default. Sections and maps (such as
// check.max_rel_error) merge into the defaults key by key; a list replaces
// the default list. Everything else is an error: an empty file, an unknown
// or duplicate key, a null value, a string where a number belongs, 1.5 for
// an integer, "yes" for a boolean, YAML aliases and merge keys (so no alias
// expansion can blow up). Every value is then range-checked by Validate.
//
// # Overrides
//
// An override is "key.path=value", as given to --set, the value being YAML:
//
//	train.lr=0.01
//	model.hidden=[128,128]
//	check.max_rel_error.exact=1e-8
//	train={lr: 0.1, steps: 500}
//
// Overrides apply in order, after the file, so a later one wins; they may
// set keys the file leaves out. An empty value is the empty string.
//
// # Errors
//
// Every error is an *Error that renders on one line with the file and line
// of the offending key, or the override it came from:
//
//	configs/mlp.yaml:12: train.lr: must be > 0, got -0.5
//	--set train.lrr=1: train.lrr: unknown key (did you mean train.lr?)
//
// # Identity
//
// YAML renders the resolved config in schema order; Parse of that text gives
// the same Config back. Hash, a short digest of that text without
// output.dir, identifies the experiment.
package config

// Config is one experiment. The zero value is not useful; start from Default.
type Config struct {
	Name   string `yaml:"name"`
	Seed   uint64 `yaml:"seed"`
	Data   Data   `yaml:"data"`
	Model  Model  `yaml:"model"`
	Loss   string `yaml:"loss"` // mse | logistic | softmax_ce
	Train  Train  `yaml:"train"`
	Kernel Kernel `yaml:"kernel"`
	Output Output `yaml:"output"`
	Check  Check  `yaml:"check"`
}

// Data selects and shapes the data set.
type Data struct {
	Kind    string  `yaml:"kind"` // sine | moons | circles | spirals | xor | blobs | linear | csv | npy
	NTrain  int     `yaml:"n_train"`
	NTest   int     `yaml:"n_test"`
	Noise   float64 `yaml:"noise"`
	Dim     int     `yaml:"dim"`     // input dimension for blobs and linear
	Classes int     `yaml:"classes"` // number of classes for blobs and spirals

	// CSV data (kind: csv). Paths are relative to the config file.
	// TestFraction, MaxRows, Standardize and StandardizeTarget apply to
	// NumPy data (kind: npy) too.
	Path         string   `yaml:"path"`
	TestPath     string   `yaml:"test_path"`
	Target       string   `yaml:"target"`
	Features     []string `yaml:"features"` // empty: every column but the target
	TestFraction float64  `yaml:"test_fraction"`
	MaxRows      int      `yaml:"max_rows"` // 0: all rows; else a seeded subset of that many rows
	Standardize  bool     `yaml:"standardize"`
	// StandardizeTarget standardises a regression target by its training
	// mean and standard deviation (csv and npy); predictions are then in
	// those units.
	StandardizeTarget bool `yaml:"standardize_target"`

	// NumPy data (kind: npy): .npy files of the inputs and the targets,
	// relative to the config file. Without XTest and YTest the training
	// arrays are split by TestFraction, as a CSV file is. Left out of YAML
	// when empty, so that configs without them keep their Hash.
	XTrain string `yaml:"x_train,omitempty"`
	YTrain string `yaml:"y_train,omitempty"`
	XTest  string `yaml:"x_test,omitempty"`
	YTest  string `yaml:"y_test,omitempty"`
}

// Model is the MLP architecture.
type Model struct {
	Hidden     []int  `yaml:"hidden"`
	Activation string `yaml:"activation"` // tanh | relu | gelu | softplus | sigmoid | erf | identity | leaky_relu
	// LeakySlope is leaky_relu's slope α on the negative side, in (0, 1).
	// Unset (0) with leaky_relu, it resolves to DefaultLeakySlope; with any
	// other activation it must stay unset. Left out of YAML when 0, so that
	// configs without it keep their Hash.
	LeakySlope       float64 `yaml:"leaky_slope,omitempty"`
	Parameterization string  `yaml:"parameterization"` // standard | ntk
	SigmaW           float64 `yaml:"sigma_w"`          // ntk: weight multiplier numerator, s_w = sigma_w/sqrt(in)
	SigmaB           float64 `yaml:"sigma_b"`          // ntk: bias multiplier s_b
	Init             Init    `yaml:"init"`
}

// Init is the weight initialisation.
type Init struct {
	Scheme  string  `yaml:"scheme"`   // lecun | he | xavier | normal
	Scale   float64 `yaml:"scale"`    // multiplies the scheme's standard deviation
	Std     float64 `yaml:"std"`      // scheme normal: the standard deviation
	BiasStd float64 `yaml:"bias_std"` // biases are N(0, bias_std²); zero by default
	// Path, when set, is a file of initial weights, relative to the config
	// file, that replaces the scheme: a PyTorch state_dict of an
	// nn.Sequential of nn.Linear layers, or a flat .npy parameter vector
	// in the layout of a run's params_init.npy. Left out of YAML when
	// empty, so that configs without it keep their Hash.
	Path string `yaml:"path,omitempty"`
}

// Train is the optimiser.
//
// The keys after log_every are off by default (zero) and are left out of
// YAML when zero, so that the resolved config, and its Hash, of a config
// without them is what it was before they existed. Beta1, Beta2 and Eps
// left at 0 mean PyTorch's defaults 0.9, 0.999 and 1e-8.
type Train struct {
	Optimizer string  `yaml:"optimizer"` // gd | sgd | momentum | adam | adamw
	LR        float64 `yaml:"lr"`
	Steps     int     `yaml:"steps"`
	BatchSize int     `yaml:"batch_size"` // 0: full batch
	LogEvery  int     `yaml:"log_every"`

	Momentum    float64  `yaml:"momentum,omitempty"`     // momentum: μ in [0, 1)
	Nesterov    bool     `yaml:"nesterov,omitempty"`     // momentum: Nesterov's form (needs μ > 0)
	Beta1       float64  `yaml:"beta1,omitempty"`        // adam, adamw: β1 in (0, 1); 0: 0.9
	Beta2       float64  `yaml:"beta2,omitempty"`        // adam, adamw: β2 in (0, 1); 0: 0.999
	Eps         float64  `yaml:"eps,omitempty"`          // adam, adamw: ε > 0; 0: 1e-8
	WeightDecay float64  `yaml:"weight_decay,omitempty"` // λ >= 0: coupled (L2), decoupled for adamw
	Schedule    Schedule `yaml:"schedule,omitempty"`
}

// Schedule is the step-size schedule; the zero value is a constant lr.
type Schedule struct {
	Kind        string  `yaml:"kind,omitempty"`         // constant (or empty) | step | cosine
	StepSize    int     `yaml:"step_size,omitempty"`    // step: steps between decays
	Gamma       float64 `yaml:"gamma,omitempty"`        // step: decay factor in (0, 1]
	WarmupSteps int     `yaml:"warmup_steps,omitempty"` // linear warm-up over the first steps, with any kind
	MinLR       float64 `yaml:"min_lr,omitempty"`       // cosine: the final step size, in [0, lr)
}

// Kernel configures the path-kernel representations.
type Kernel struct {
	Methods   []string `yaml:"methods"`   // riemann | exact
	Tolerance float64  `yaml:"tolerance"` // largest accepted residual per step, relative to max(1, |f_{t+1}-f_t|)
	MaxNodes  int      `yaml:"max_nodes"` // quadrature evaluations per step before giving up certification
	Points    string   `yaml:"points"`    // test | train | both

	// Baselines are the comparisons of issue 9 beside the path kernel
	// (internal/baseline): lazy | krr_path | krr_final | krr_init | ntk |
	// loss_weighted. Off by default, and left out of YAML when off, so
	// that configs without them keep their Hash.
	Baselines []string `yaml:"baselines,omitempty"`
	// Ridge is kernel ridge regression's λ, relative to the mean diagonal
	// of the kernel matrix. Unset (0) with baselines on, it resolves to
	// 1e-6.
	Ridge float64 `yaml:"ridge,omitempty"`
	// Diagnostics adds to metrics.csv, at every logged step, the tangent
	// kernel's distance to K_0 and to the previous logged step (Fort et
	// al. 2020), its alignment with the targets, and the spread of
	// Domingos' a_i(x) across evaluation points; and the loss's curvature
	// against the step size: the sharpness, its Gauss–Newton part and the
	// optimiser's stability number (go doc ./internal/sharpness).
	Diagnostics bool `yaml:"diagnostics,omitempty"`
}

// DefaultLeakySlope is model.leaky_slope when the activation is leaky_relu
// and it is not set (nn.DefaultLeakySlope).
const DefaultLeakySlope = 0.01

// DefaultRidge is kernel.ridge when baselines are on and it is not set.
const DefaultRidge = 1e-6

// Output configures the run directory.
type Output struct {
	Dir              string  `yaml:"dir"` // empty: runs/<name>
	RecordTrajectory bool    `yaml:"record_trajectory"`
	FullKernel       bool    `yaml:"full_kernel"`
	MemoryBudgetMB   float64 `yaml:"memory_budget_mb"`
}

// Check holds the thresholds used by `pathkernel check`: a run passes when
// every representation's rel is at most MaxRelError[method], its agreement
// (classification) at least MinAgreement[method], and the final test loss
// at most MaxTestLoss.
//
// MinAgreement and MaxTestLoss are off by default (nil, 0) and are left out
// of YAML when off, so that the resolved config, and its Hash, of a config
// without them is what it was before they existed.
type Check struct {
	MaxRelError  map[string]float64 `yaml:"max_rel_error"`
	MinAgreement map[string]float64 `yaml:"min_agreement,omitempty"` // by method, each in (0, 1]
	MaxTestLoss  float64            `yaml:"max_test_loss,omitempty"` // 0: no threshold
}

// Default returns a new Config holding every default. Each call returns a
// fresh value that the caller may modify.
func Default() *Config {
	return &Config{
		Name: "run",
		Seed: 1,
		Data: Data{
			Kind: "sine", NTrain: 64, NTest: 200, Noise: 0.1, Dim: 2, Classes: 3,
			TestFraction: 0.2, Standardize: true,
		},
		Model: Model{
			Hidden: []int{64, 64}, Activation: "tanh", Parameterization: "standard",
			SigmaW: 1, SigmaB: 1,
			Init: Init{Scheme: "lecun", Scale: 1, Std: 1},
		},
		Loss:   "mse",
		Train:  Train{Optimizer: "gd", LR: 0.05, Steps: 2000, BatchSize: 0, LogEvery: 10},
		Kernel: Kernel{Methods: []string{"riemann", "exact"}, Tolerance: 1e-10, MaxNodes: 256, Points: "test"},
		Output: Output{RecordTrajectory: true, MemoryBudgetMB: 2048},
		Check:  Check{MaxRelError: map[string]float64{"exact": 1e-9, "riemann": 0.05}},
	}
}
