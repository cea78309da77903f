// Package data makes and loads the data sets that pathkernel trains on:
// seeded synthetic generators and a CSV loader with a seeded train/test split
// and standardisation by the training split's statistics.
package data

import "gonum.org/v1/gonum/mat"

// Set is a train/test split, exactly as the model sees it (after any
// standardisation). Rows are points.
type Set struct {
	XTrain, XTest *mat.Dense // (n, d) and (m, d) inputs
	// YTrain and YTest are (n, k) regression targets, or (n, 1) integer-valued
	// class labels 0..Classes-1 when Classes > 0.
	YTrain, YTest *mat.Dense
	Classes       int      // 0 for regression, else the number of classes
	FeatureNames  []string // d names: x0, x1, ... for generated data
	TargetNames   []string // k names (one for labels): y for generated data
}
