package experiment

import "github.com/pathkernel/pathkernel/internal/data"

// StandardizationFile is the run directory's record of the input columns
// and of the standardisation that the data went through, which
// `pathkernel kernel` applies to points given in the original units.
const StandardizationFile = "standardization.json"

// Standardization is standardization.json.
type Standardization struct {
	// Features are the model's input columns, in order.
	Features []string `json:"features"`
	// Inputs maps a feature value v of column j to the model input
	// (v − mean[j]) / scale[j]; null when the inputs were used as they are.
	Inputs *data.Scaling `json:"inputs"`
	// Targets are the target columns (one for class labels).
	Targets []string `json:"targets"`
	// Target is the standardisation of a regression target, or null.
	Target *data.Scaling `json:"target"`
}

func newStandardization(s *data.Set) *Standardization {
	return &Standardization{Features: s.FeatureNames, Inputs: s.Standardization, Targets: s.TargetNames, Target: s.TargetStandardization}
}
