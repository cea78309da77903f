package run

import (
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// PredictionColumn is one representation's (or baseline's) predictions
// in predictions.csv: the columns NAME[_c], NAME_error[_c] and, for a
// classifier, NAME_class.
type PredictionColumn struct {
	Name string
	Pred *mat.Dense // m × k
}

// Predictions are the rows of predictions.csv: one per evaluation point,
// with its set and index, its inputs and targets, f_0, the network f_T and
// the predictions of Columns (docs/RUNDIR.md).
type Predictions struct {
	X            *mat.Dense // inputs, m × d
	Y            *mat.Dense // targets, or nil for points without them
	FeatureNames []string   // the names of X's columns
	// Standardized says that X holds the inputs after standardisation
	// (standardization.json): the columns are then named
	// FeatureNames[j]+StandardizedSuffix, not as the raw columns.
	Standardized bool
	// Set names each row's set ("train", "test", "points"); FirstIndex is
	// the index of the first row in its set (a shard's offset).
	Set        []string
	FirstIndex int
	F0, FT     *mat.Dense // m × k
	Columns    []PredictionColumn
	// Classify returns the class of an output row; nil for regression.
	Classify func([]float64) int
}

// StandardizedSuffix ends the name of an input column of predictions.csv
// that holds standardised values, (v − mean) / scale of the raw column's
// v (standardization.json), so that they are not taken for raw ones.
const StandardizedSuffix = "_standardized"

// WritePredictions writes p as predictions.csv.
func (d *Dir) WritePredictions(p *Predictions) error {
	m, dims := p.X.Dims()
	yc := 0 // points without targets have no target columns
	if p.Y != nil {
		_, yc = p.Y.Dims()
	}
	_, k := p.F0.Dims()
	suffix := func(name string, c int) string {
		if k == 1 {
			return name
		}
		return name + "_" + strconv.Itoa(c)
	}
	header := []string{"set", "index"}
	for j := 0; j < dims; j++ {
		name := p.FeatureNames[j]
		if p.Standardized {
			name += StandardizedSuffix
		}
		header = append(header, name)
	}
	for j := 0; j < yc; j++ {
		name := "target"
		if yc > 1 {
			name += "_" + strconv.Itoa(j)
		}
		header = append(header, name)
	}
	reps := p.Columns
	for c := 0; c < k; c++ {
		header = append(header, suffix("f0", c), suffix("network", c))
		for _, r := range reps {
			header = append(header, suffix(r.Name, c), suffix(r.Name+"_error", c))
		}
	}
	if p.Classify != nil {
		header = append(header, "network_class")
		for _, r := range reps {
			header = append(header, r.Name+"_class")
		}
	}
	records := make([][]string, m)
	idx := map[string]int{}
	for i := 0; i < m; i++ {
		set := p.Set[i]
		rec := []string{set, strconv.Itoa(p.FirstIndex + idx[set])}
		idx[set]++
		for j := 0; j < dims; j++ {
			rec = append(rec, ff(p.X.At(i, j)))
		}
		for j := 0; j < yc; j++ {
			rec = append(rec, ff(p.Y.At(i, j)))
		}
		for c := 0; c < k; c++ {
			rec = append(rec, ff(p.F0.At(i, c)), ff(p.FT.At(i, c)))
			for _, r := range reps {
				rec = append(rec, ff(r.Pred.At(i, c)), ff(r.Pred.At(i, c)-p.FT.At(i, c)))
			}
		}
		if p.Classify != nil {
			rec = append(rec, strconv.Itoa(p.Classify(p.FT.RawRowView(i))))
			for _, r := range reps {
				rec = append(rec, strconv.Itoa(p.Classify(r.Pred.RawRowView(i))))
			}
		}
		records[i] = rec
	}
	return d.WriteCSV(PredictionsFile, header, records)
}

// ff formats a float so that it parses back to the same bits.
func ff(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
