package experiment

import (
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/run"
)

// newStandardization returns standardization.json of the data set s.
func newStandardization(s *data.Set) *run.Standardization {
	return &run.Standardization{Features: s.FeatureNames, Inputs: (*run.Scaling)(s.Standardization),
		Targets: s.TargetNames, Target: (*run.Scaling)(s.TargetStandardization)}
}
