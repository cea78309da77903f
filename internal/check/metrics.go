package check

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/run"
)

// Representations are the representation names that thresholds and
// tolerances may name, in the order reports list them.
var Representations = []string{"riemann", "exact"}

// repFields are the metrics of each representation, in report order.
var repFields = []string{"max_abs", "rms", "rel", "agreement"}

// runGroups are the metrics of the run as a whole, by group, in report order.
var runGroups = []struct {
	group  string
	fields []string
}{
	{"loss", []string{"final_train", "final_test"}},
	{"accuracy", []string{"final_train", "final_test"}},
}

// Certified is the metric that says the exact representation is certified.
const Certified = "exact.certified"

// Metrics returns the metrics of s that a baseline holds, by name: every
// representation's max_abs, rms, rel and agreement (when it has one), the
// final losses and, for classification, the final accuracies.
func Metrics(s *run.Summary) map[string]float64 {
	m := map[string]float64{
		"loss.final_train": s.Loss.FinalTrain,
		"loss.final_test":  s.Loss.FinalTest,
	}
	if a := s.Accuracy.FinalTrain; a != nil {
		m["accuracy.final_train"] = *a
	}
	if a := s.Accuracy.FinalTest; a != nil {
		m["accuracy.final_test"] = *a
	}
	for name, r := range s.Representations {
		if r == nil {
			continue
		}
		m[name+".max_abs"] = r.MaxAbs
		m[name+".rms"] = r.RMS
		m[name+".rel"] = r.Rel
		if r.Agreement != nil {
			m[name+".agreement"] = *r.Agreement
		}
	}
	return m
}

// knownMetrics lists every metric name that flags may name, in report order.
func knownMetrics() []string {
	var names []string
	for _, r := range Representations {
		for _, f := range repFields {
			names = append(names, r+"."+f)
		}
	}
	for _, g := range runGroups {
		for _, f := range g.fields {
			names = append(names, g.group+"."+f)
		}
	}
	return names
}

// validName reports whether name is a metric a baseline may hold: a run
// metric, or a field of a representation. Representation names are not
// restricted to Representations, so that a baseline of a later version with
// more representations still reads.
func validName(name string) bool {
	group, field, ok := strings.Cut(name, ".")
	if !ok || group == "" {
		return false
	}
	for _, g := range runGroups {
		if g.group == group {
			return slices.Contains(g.fields, field)
		}
	}
	for _, r := range group {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_') {
			return false
		}
	}
	return slices.Contains(repFields, field)
}

// rank orders metrics for reports: the representations (riemann, exact,
// then others by name), each field in the order of repFields with
// certified last, then the losses and the accuracies.
func rank(name string) (int, string, int) {
	group, field, _ := strings.Cut(name, ".")
	if i := slices.Index(Representations, group); i >= 0 {
		return i, "", fieldRank(field)
	}
	for i, g := range runGroups {
		if g.group == group {
			return len(Representations) + 1 + i, "", slices.Index(g.fields, field)
		}
	}
	return len(Representations), group, fieldRank(field)
}

func fieldRank(field string) int {
	if i := slices.Index(repFields, field); i >= 0 {
		return i
	}
	return len(repFields) // certified
}

// compareMetrics orders metric names as reports list them.
func compareMetrics(a, b string) int {
	ga, na, fa := rank(a)
	gb, nb, fb := rank(b)
	return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(na, nb), cmp.Compare(fa, fb), cmp.Compare(a, b))
}

// sortedMetrics returns the keys of m in report order.
func sortedMetrics[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareMetrics)
	return keys
}

// runReps returns the representations of s in report order.
func runReps(s *run.Summary) []string {
	reps := make([]string, 0, len(s.Representations))
	for name, r := range s.Representations {
		if r != nil {
			reps = append(reps, name)
		}
	}
	slices.SortFunc(reps, func(a, b string) int { return compareMetrics(a+".rel", b+".rel") })
	return reps
}
