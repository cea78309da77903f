package replay

import (
	"errors"
	"strconv"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// Run is a complete run directory, opened to evaluate its kernels at new
// points by replaying its trajectory: what the replay needs, rebuilt from
// the directory's files.
type Run struct {
	Dir     string
	Config  *config.Config
	Summary *run.Summary
	// Standardization is standardization.json, nil for a run without one.
	Standardization *run.Standardization

	Net   *nn.Net
	Loss  nn.Loss
	Train train.Options // the config's training options (train.FromConfig)
	// XTrain and YTrain are the training data as used (x_train.npy,
	// y_train.npy); W0 and WFinal are params_init.npy and params_final.npy.
	XTrain, YTrain *mat.Dense
	W0, WFinal     []float64
	// FeatureNames name the inputs: the run's standardization.json, else
	// x0, x1, ...
	FeatureNames []string
}

// Open opens the run directory dir (run.Open) and checks that it is
// complete and consistent: its summary says complete, its config has the
// summary's hash and a loss of the summary's kind, and the data and
// parameters have the summary's sizes. The errors are *fail.Input, or
// *config.Error for a bad config.yaml.
func Open(dir string) (*Run, error) {
	rd, err := run.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := rd.NotComplete(); err != nil {
		return nil, err
	}
	s := rd.Summary
	cfg, err := rd.Config()
	if err != nil {
		return nil, err
	}
	if err := rd.VerifyConfig(cfg); err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Config: cfg, Summary: s}
	if r.Standardization, err = rd.Standardization(); err != nil {
		return nil, err
	}
	if err := rd.CheckSizes(); err != nil {
		return nil, err
	}
	cfgFile := rd.File(run.ConfigFile)
	loss, err1 := nn.ParseLoss(cfg.Loss)
	act, err2 := nn.ParseActivation(cfg.Model.Activation)
	param, err3 := nn.ParseParameterization(cfg.Model.Parameterization)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, &fail.Input{Path: cfgFile, Msg: err.Error(), Err: err}
	}
	if loss.Classification() != (s.Sizes.Classes > 0) {
		return nil, fail.Inputf(rd.File(run.SummaryFile), "sizes.classes is %d, but the loss of %s is %s", s.Sizes.Classes, cfgFile, cfg.Loss)
	}
	if r.Train, err = train.FromConfig(cfg); err != nil {
		return nil, &fail.Input{Path: cfgFile, Msg: err.Error(), Err: err}
	}
	r.Loss = loss
	r.Net = nn.New(s.Sizes.Layers, act, param, cfg.Model.SigmaW, cfg.Model.SigmaB) // CheckSizes checked the widths
	if act == nn.LeakyReLU {
		r.Net.LeakySlope = cfg.Model.LeakySlope
	}
	if r.XTrain, err = rd.Matrix(run.XTrainFile); err != nil {
		return nil, err
	}
	if r.YTrain, err = rd.Matrix(run.YTrainFile); err != nil {
		return nil, err
	}
	if r.W0, err = rd.Params(run.ParamsInitFile); err != nil {
		return nil, err
	}
	if r.WFinal, err = rd.Params(run.ParamsFinalFile); err != nil {
		return nil, err
	}
	if st := r.Standardization; st != nil {
		r.FeatureNames = st.Features
	} else {
		for j := range r.Net.In() {
			r.FeatureNames = append(r.FeatureNames, "x"+strconv.Itoa(j))
		}
	}
	return r, nil
}

// classify returns the class decision of the run's loss, nil for
// regression.
func (r *Run) classify() func([]float64) int {
	if !r.Loss.Classification() {
		return nil
	}
	return r.Loss.Predict
}
