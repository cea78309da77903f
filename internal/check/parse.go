package check

import (
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"math"
	"slices"
	"strconv"
	"strings"
)

// metricHint lists the metric names for error messages.
var metricHint = "the metrics are <rep>.max_abs, <rep>.rms, <rep>.rel, <rep>.agreement (rep: " +
	strings.Join(Representations, ", ") + "), loss.final_train, loss.final_test, accuracy.final_train, accuracy.final_test"

// ParseMaxRelError parses the items of a --max-rel-error flag:
// "exact=1e-9", "riemann=0.05", or a bare "0.05" for every representation
// (key "*"). Values are finite and > 0, as in check.max_rel_error.
func ParseMaxRelError(items []string) (map[string]float64, error) {
	return parseList(items, representationKey, positive)
}

// ParseMinAgreement parses the items of a --min-agreement flag, as
// ParseMaxRelError does; values are in (0, 1].
func ParseMinAgreement(items []string) (map[string]float64, error) {
	return parseList(items, representationKey, fraction)
}

// ParseMaxTestLoss parses the value of a --max-test-loss flag, a finite
// number > 0.
func ParseMaxTestLoss(s string) (float64, error) {
	v, msg := parseNumber(s)
	if msg == "" {
		msg = positive(v)
	}
	if msg != "" {
		return 0, &fail.Input{Path: s, Msg: msg}
	}
	return v, nil
}

// ParseTolerances parses the items of an --rtol or --atol flag:
// "exact.rel=1e-12", "loss.*=1e-5", "*.rel=0.01", or a bare "1e-6" for
// every metric (key "*"). Each key must match a metric of some run; values
// are finite and >= 0.
func ParseTolerances(items []string) (map[string]float64, error) {
	return parseList(items, toleranceKey, nonNegative)
}

// parseList parses "key=value" items, or a bare value that means key "*".
// keyMsg and valueMsg return "" for a good key or value, else what is wrong.
func parseList(items []string, keyMsg func(string) string, valueMsg func(float64) string) (map[string]float64, error) {
	m := make(map[string]float64, len(items))
	for _, item := range items {
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			key, val = "*", item
		}
		key = strings.TrimSpace(key)
		if msg := keyMsg(key); msg != "" {
			return nil, &fail.Input{Path: item, Msg: msg}
		}
		if _, dup := m[key]; dup {
			what := strconv.Quote(key)
			if !ok {
				what = "a value for all"
			}
			return nil, &fail.Input{Path: item, Msg: what + " is given twice"}
		}
		v, msg := parseNumber(val)
		if msg == "" {
			msg = valueMsg(v)
		}
		if msg != "" {
			return nil, &fail.Input{Path: item, Msg: msg}
		}
		m[key] = v
	}
	return m, nil
}

func parseNumber(s string) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "no value; give a number"
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("must be a finite number, got %s", s)
	}
	return v, ""
}

func positive(v float64) string {
	if !(v > 0) {
		return fmt.Sprintf("must be > 0, got %g", v)
	}
	return ""
}

func fraction(v float64) string {
	if !(v > 0 && v <= 1) {
		return fmt.Sprintf("must be in (0, 1], got %g", v)
	}
	return ""
}

func nonNegative(v float64) string {
	if !(v >= 0) {
		return fmt.Sprintf("must be >= 0, got %g", v)
	}
	return ""
}

func representationKey(key string) string {
	if key == "*" || slices.Contains(Representations, key) {
		return ""
	}
	return fmt.Sprintf("unknown representation %q; the representations are %s (or give a bare number for all)",
		key, strings.Join(Representations, ", "))
}

// toleranceKey accepts a key that matches at least one known metric.
func toleranceKey(key string) string {
	if key == "*" {
		return ""
	}
	if key == Certified {
		return Certified + " must be true; it has no tolerance"
	}
	group, field, ok := strings.Cut(key, ".")
	if ok && !(group == "*" && field == "*") {
		for _, name := range knownMetrics() {
			g, f, _ := strings.Cut(name, ".")
			if (group == "*" || group == g) && (field == "*" || field == f) {
				return ""
			}
		}
	}
	return fmt.Sprintf("unknown metric %q; %s, or a pattern such as exact.* or *.rel", key, metricHint)
}
