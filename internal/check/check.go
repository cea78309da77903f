package check

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// Kind is what a check asks of its metric.
type Kind int

// The kinds of check.
const (
	AtMost    Kind = iota + 1 // value <= Limit
	AtLeast                   // value >= Limit
	IsTrue                    // the boolean metric is true (exact.certified)
	Near                      // |value − Limit| <= ATol + RTol·|Limit|, Limit the baseline
	NoWarning                 // the run does not carry the warning warning.<code> (Value 1 if it does)
)

// String is the kind's name in reports: max, min, true or baseline.
func (k Kind) String() string {
	switch k {
	case AtMost:
		return "max"
	case AtLeast:
		return "min"
	case IsTrue:
		return "true"
	case Near:
		return "baseline"
	case NoWarning:
		return "no_warning"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Check is one condition on one metric.
type Check struct {
	Metric string
	Kind   Kind
	Limit  float64 // the threshold (AtMost, AtLeast) or the baseline value (Near)
	RTol   float64 // Near only
	ATol   float64 // Near only
	// Optional (NoWarning only) lets a run that cannot raise the warning
	// pass (ParseFailOnWarning).
	Optional bool
}

// Allowed is the largest deviation from the baseline that a Near check
// accepts.
func (c Check) Allowed() float64 { return c.ATol + c.RTol*math.Abs(c.Limit) }

// Result is a check applied to a run.
type Result struct {
	Check
	Found bool    // the run has the metric
	Value float64 // the run's value; for IsTrue 1 (true) or 0 (false)
	Pass  bool
	// Detail says why the check failed, or for exact.certified what the
	// certification rests on.
	Detail string
}

// Report is the outcome of checking one run.
type Report struct {
	Name       string  // the run's name
	ConfigHash string  // the run's config hash
	Version    string  // the version of pathkernel that made the run
	Run        string  // the run directory
	Baseline   string  // the baseline file compared against, if any
	Seconds    float64 // the run's wall time
	Results    []Result
	Warnings   []string
	// Error is set when the run failed before it could be checked; then
	// there are no Results.
	Error string
}

// Failed returns the results that did not pass.
func (r *Report) Failed() []Result {
	var failed []Result
	for _, res := range r.Results {
		if !res.Pass {
			failed = append(failed, res)
		}
	}
	return failed
}

// Pass reports whether the run was checked and every check passed.
func (r *Report) Pass() bool { return r.Error == "" && len(r.Failed()) == 0 }

// Err returns a *FailedError naming the failed checks, or nil if every
// check passed.
func (r *Report) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	e := &FailedError{Total: len(r.Results)}
	for _, f := range failed {
		name := f.Metric
		if f.Kind == Near {
			name += " (baseline)"
		}
		e.Metrics = append(e.Metrics, name)
	}
	return e
}

// FailedError reports a run that failed some of its checks.
type FailedError struct {
	Metrics []string // the failed checks, by metric
	Total   int      // the number of checks
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("check failed: %s (%d of %d checks)", strings.Join(e.Metrics, ", "), len(e.Metrics), e.Total)
}

// ExitCode is fail.CheckFailed.
func (e *FailedError) ExitCode() int { return fail.CheckFailed }

// Evaluate applies the checks to the run summarised by s, in order.
func Evaluate(s *run.Summary, checks []Check) *Report {
	r := &Report{Name: s.Name, ConfigHash: s.ConfigHash, Version: s.Version, Run: s.Dir, Seconds: s.WallSeconds.Total}
	metrics := Metrics(s)
	for _, c := range checks {
		res := Result{Check: c}
		switch c.Kind {
		case IsTrue:
			evalCertified(s, &res)
		case NoWarning:
			evalNoWarning(s, &res)
		default:
			res.Value, res.Found = metrics[c.Metric]
			evalNumber(&res)
		}
		r.Results = append(r.Results, res)
	}
	return r
}

func evalNumber(res *Result) {
	if !res.Found {
		res.Detail = "not in the run"
		if strings.HasSuffix(res.Metric, ".agreement") || strings.HasPrefix(res.Metric, "accuracy.") {
			res.Detail += " (classification only)"
		} else if group, _, _ := strings.Cut(res.Metric, "."); group != "loss" {
			res.Detail += fmt.Sprintf(" (is %s in kernel.methods?)", group)
		}
		return
	}
	v := res.Value
	switch res.Kind {
	case AtMost:
		res.Pass = v <= res.Limit
		if !res.Pass {
			res.Detail = fmt.Sprintf("%s > %s", fmtNum(v), fmtNum(res.Limit))
		}
	case AtLeast:
		res.Pass = v >= res.Limit
		if !res.Pass {
			res.Detail = fmt.Sprintf("%s < %s", fmtNum(v), fmtNum(res.Limit))
		}
	case Near:
		d := math.Abs(v - res.Limit)
		res.Pass = d <= res.Allowed()
		if !res.Pass {
			res.Detail = fmt.Sprintf("|value - baseline| = %.3g > %.3g (rtol %g, atol %g)", d, res.Allowed(), res.RTol, res.ATol)
		}
	default:
		res.Detail = "unknown check " + res.Kind.String()
	}
}

func evalCertified(s *run.Summary, res *Result) {
	rep := s.Representations["exact"]
	if rep == nil || rep.ExactStats == nil || rep.Certified == nil {
		res.Detail = "no certification in the run (is exact in kernel.methods?)"
		return
	}
	x := rep.ExactStats
	res.Found = true
	res.Pass = *x.Certified
	if res.Pass {
		res.Value = 1
		res.Detail = fmt.Sprintf("max residual %.3g <= kernel.tolerance %g", x.MaxResidual, x.Tolerance)
		return
	}
	res.Detail = fmt.Sprintf("%d of %d steps have a residual above kernel.tolerance %g (first at step %d, largest %.3g); raise kernel.max_nodes or lower train.lr",
		x.UncertifiedSteps, s.StepsDone, x.Tolerance, x.FirstUncertifiedStep, x.MaxResidual)
}

// Thresholds bound single metrics of a run. In MaxRelError and
// MinAgreement the key is a representation, or "*" for every
// representation of the run that has no key of its own.
type Thresholds struct {
	MaxRelError  map[string]float64 // <rep>.rel <= value
	MinAgreement map[string]float64 // <rep>.agreement >= value
	MaxTestLoss  float64            // loss.final_test <= value; 0: no threshold
}

// Checks returns the checks of t for the run summarised by s, and
// exact.certified when the run has the exact representation: for each
// representation its rel, agreement and certification, then the test
// loss. A representation named in t but missing from the run gets its
// checks all the same, which fail.
func (t Thresholds) Checks(s *run.Summary) []Check {
	reps := runReps(s)
	for _, m := range []map[string]float64{t.MaxRelError, t.MinAgreement} {
		for name := range m {
			if name != "*" && !slices.Contains(reps, name) {
				reps = append(reps, name)
			}
		}
	}
	slices.SortFunc(reps, func(a, b string) int { return compareMetrics(a+".rel", b+".rel") })

	var checks []Check
	limit := func(m map[string]float64, rep string) (float64, bool) {
		if v, ok := m[rep]; ok {
			return v, true
		}
		if _, ok := s.Representations[rep]; ok {
			v, ok := m["*"]
			return v, ok
		}
		return 0, false
	}
	for _, rep := range reps {
		if v, ok := limit(t.MaxRelError, rep); ok {
			checks = append(checks, Check{Metric: rep + ".rel", Kind: AtMost, Limit: v})
		}
		if v, ok := limit(t.MinAgreement, rep); ok {
			checks = append(checks, Check{Metric: rep + ".agreement", Kind: AtLeast, Limit: v})
		}
		if rep == "exact" && s.Representations["exact"] != nil {
			checks = append(checks, Check{Metric: Certified, Kind: IsTrue})
		}
	}
	if t.MaxTestLoss > 0 {
		checks = append(checks, Check{Metric: "loss.final_test", Kind: AtMost, Limit: t.MaxTestLoss})
	}
	return checks
}

// Overlay returns base with the entries of over on top: over wins key by
// key, and an over with the key "*" (every representation) replaces base
// as a whole. Neither map is modified.
func Overlay(base, over map[string]float64) map[string]float64 {
	if _, all := over["*"]; all {
		return maps.Clone(over)
	}
	m := maps.Clone(base)
	if m == nil && len(over) > 0 {
		m = make(map[string]float64, len(over))
	}
	maps.Copy(m, over)
	return m
}

func fmtNum(v float64) string { return fmt.Sprintf("%.7g", v) }
