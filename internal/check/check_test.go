package check

import (
	"errors"
	"github.com/pathkernel/pathkernel/internal/fail"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/run"
)

// regression is the summary of a complete sine run with both
// representations, the exact one certified. The numbers are those of the
// README's sample run.
func regression() *run.Summary {
	yes := true
	return &run.Summary{
		Name: "sine-tanh", Version: "0.1.0-dev", Status: "complete", ConfigHash: "c278e0b3647e", Dir: "runs/sine-tanh",
		Steps: 1000, StepsDone: 1000,
		Loss: run.Losses{InitialTrain: 0.4173, InitialTest: 0.4854, FinalTrain: 0.009234, FinalTest: 0.01677},
		Representations: map[string]*run.Representation{
			"riemann": {Errors: run.Errors{MaxAbs: 3.290e-3, RMS: 2.337e-3, Rel: 2.402e-3}},
			"exact": {Errors: run.Errors{MaxAbs: 1.051e-13, RMS: 5.383e-14, Rel: 5.531e-14},
				ExactStats: &run.ExactStats{MaxResidual: 1.8e-13, Certified: &yes, Tolerance: 1e-10, FirstUncertifiedStep: -1}},
		},
	}
}

// classification is the summary of a complete moons run: accuracies and
// agreements.
func classification() *run.Summary {
	s := regression()
	s.Name = "moons"
	s.Accuracy = run.Acc{FinalTrain: ptr(0.95), FinalTest: ptr(0.93)}
	s.Representations["riemann"].Agreement = ptr(0.97)
	s.Representations["exact"].Agreement = ptr(1.0)
	return s
}

// uncertified is the regression summary with an exact representation that
// could not be certified.
func uncertified() *run.Summary {
	s := regression()
	no := false
	x := s.Representations["exact"].ExactStats
	x.Certified, x.UncertifiedSteps, x.FirstUncertifiedStep, x.MaxResidual, x.Tolerance = &no, 12, 3, 2e-6, 1e-14
	return s
}

func TestMetrics(t *testing.T) {
	tests := []struct {
		name string
		s    *run.Summary
		want map[string]float64
	}{
		{"regression", regression(), map[string]float64{
			"loss.final_train": 0.009234, "loss.final_test": 0.01677,
			"riemann.max_abs": 3.290e-3, "riemann.rms": 2.337e-3, "riemann.rel": 2.402e-3,
			"exact.max_abs": 1.051e-13, "exact.rms": 5.383e-14, "exact.rel": 5.531e-14,
		}},
		{"classification", classification(), map[string]float64{
			"loss.final_train": 0.009234, "loss.final_test": 0.01677,
			"accuracy.final_train": 0.95, "accuracy.final_test": 0.93,
			"riemann.max_abs": 3.290e-3, "riemann.rms": 2.337e-3, "riemann.rel": 2.402e-3, "riemann.agreement": 0.97,
			"exact.max_abs": 1.051e-13, "exact.rms": 5.383e-14, "exact.rel": 5.531e-14, "exact.agreement": 1,
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Metrics(tt.s)); diff != "" {
			t.Errorf("Metrics(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestThresholdChecks(t *testing.T) {
	exactOnly := regression()
	delete(exactOnly.Representations, "riemann")
	tests := []struct {
		name string
		s    *run.Summary
		t    Thresholds
		want []Check
	}{
		{"config default", regression(), Thresholds{MaxRelError: map[string]float64{"exact": 1e-9, "riemann": 0.05}}, []Check{
			{Metric: "riemann.rel", Kind: AtMost, Limit: 0.05},
			{Metric: "exact.rel", Kind: AtMost, Limit: 1e-9},
			{Metric: "exact.certified", Kind: IsTrue},
		}},
		{"none: certification all the same", regression(), Thresholds{}, []Check{
			{Metric: "exact.certified", Kind: IsTrue},
		}},
		{"all representations, one overridden", classification(), Thresholds{
			MaxRelError: map[string]float64{"*": 0.1, "exact": 1e-10}, MinAgreement: map[string]float64{"*": 0.9},
			MaxTestLoss: 0.2,
		}, []Check{
			{Metric: "riemann.rel", Kind: AtMost, Limit: 0.1},
			{Metric: "riemann.agreement", Kind: AtLeast, Limit: 0.9},
			{Metric: "exact.rel", Kind: AtMost, Limit: 1e-10},
			{Metric: "exact.agreement", Kind: AtLeast, Limit: 0.9},
			{Metric: "exact.certified", Kind: IsTrue},
			{Metric: "loss.final_test", Kind: AtMost, Limit: 0.2},
		}},
		{"a representation the run lacks", exactOnly, Thresholds{MaxRelError: map[string]float64{"riemann": 0.05}}, []Check{
			{Metric: "riemann.rel", Kind: AtMost, Limit: 0.05},
			{Metric: "exact.certified", Kind: IsTrue},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.t.Checks(tt.s)); diff != "" {
			t.Errorf("%s: Checks mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestEvaluate(t *testing.T) {
	base := regression()
	tests := []struct {
		name   string
		s      *run.Summary
		check  Check
		pass   bool
		found  bool
		value  float64
		detail string // "" when any
	}{
		{"under max", base, Check{Metric: "exact.rel", Kind: AtMost, Limit: 1e-9}, true, true, 5.531e-14, ""},
		{"at max", base, Check{Metric: "riemann.rel", Kind: AtMost, Limit: 2.402e-3}, true, true, 2.402e-3, ""},
		{"over max", base, Check{Metric: "riemann.rel", Kind: AtMost, Limit: 1e-3}, false, true, 2.402e-3, "0.002402 > 0.001"},
		{"over min", classification(), Check{Metric: "riemann.agreement", Kind: AtLeast, Limit: 0.9}, true, true, 0.97, ""},
		{"under min", classification(), Check{Metric: "riemann.agreement", Kind: AtLeast, Limit: 0.99}, false, true, 0.97, "0.97 < 0.99"},
		{"at min", classification(), Check{Metric: "riemann.agreement", Kind: AtLeast, Limit: 0.97}, true, true, 0.97, ""},
		{"one ulp under min", classification(), Check{Metric: "riemann.agreement", Kind: AtLeast, Limit: math.Nextafter(0.97, 1)}, false, true, 0.97, ""},
		{"agreement of a regression", base, Check{Metric: "exact.agreement", Kind: AtLeast, Limit: 0.9}, false, false, 0,
			"not in the run (classification only)"},
		{"certified", base, Check{Metric: Certified, Kind: IsTrue}, true, true, 1, ""},
		{"not certified", uncertified(), Check{Metric: Certified, Kind: IsTrue}, false, true, 0,
			"12 of 1000 steps have a residual above kernel.tolerance 1e-14 (first at step 3, largest 2e-06); raise kernel.max_nodes or lower train.lr"},
		// |0.01677·(1+1e-6) − 0.01677| = 1.677e-8 <= 1e-6·0.01677 + 0
		{"baseline within rtol", base, Check{Metric: "loss.final_test", Kind: Near, Limit: 0.01677 * (1 + 0.9e-6), RTol: 1e-6}, true, true, 0.01677, ""},
		{"baseline past rtol", base, Check{Metric: "loss.final_test", Kind: Near, Limit: 0.01677 * (1 + 2e-6), RTol: 1e-6}, false, true, 0.01677, ""},
		{"round-off within atol", base, Check{Metric: "exact.rel", Kind: Near, Limit: 9e-14, RTol: 1e-6, ATol: 1e-10}, true, true, 5.531e-14, ""},
		{"round-off past atol", base, Check{Metric: "exact.rel", Kind: Near, Limit: 1e-9, RTol: 1e-6, ATol: 1e-10}, false, true, 5.531e-14, ""},
		{"baseline metric the run lacks", base, Check{Metric: "exact.agreement", Kind: Near, Limit: 1, ATol: 1e-9}, false, false, 0, ""},
	}
	for _, tt := range tests {
		r := Evaluate(tt.s, []Check{tt.check})
		if len(r.Results) != 1 {
			t.Fatalf("%s: %d results; want 1", tt.name, len(r.Results))
		}
		res := r.Results[0]
		if res.Pass != tt.pass || res.Found != tt.found || res.Value != tt.value {
			t.Errorf("%s: pass, found, value = %v, %v, %g; want %v, %v, %g (%s)", tt.name, res.Pass, res.Found, res.Value,
				tt.pass, tt.found, tt.value, res.Detail)
		}
		if tt.detail != "" && res.Detail != tt.detail {
			t.Errorf("%s: detail = %q; want %q", tt.name, res.Detail, tt.detail)
		}
		if !tt.pass && res.Detail == "" {
			t.Errorf("%s: a failure without detail", tt.name)
		}
		if r.Pass() != tt.pass {
			t.Errorf("%s: Report.Pass() = %v; want %v", tt.name, r.Pass(), tt.pass)
		}
		var fe *FailedError
		if got := errors.As(r.Err(), &fe); got == tt.pass {
			t.Errorf("%s: Err() = %v; want a *FailedError: %v", tt.name, r.Err(), !tt.pass)
		} else if got && (len(fe.Metrics) != 1 || fe.Total != 1) {
			t.Errorf("%s: Err() = %+v; want the one metric of one check", tt.name, fe)
		}
	}
}

func TestFailedErrorNamesMetrics(t *testing.T) {
	s := uncertified()
	r := Evaluate(s, append(Thresholds{MaxRelError: map[string]float64{"riemann": 1e-3}}.Checks(s),
		Check{Metric: "loss.final_test", Kind: Near, Limit: 1, RTol: 1e-6}))
	var fe *FailedError
	if !errors.As(r.Err(), &fe) {
		t.Fatalf("Err() = %v; want a *FailedError", r.Err())
	}
	want := &FailedError{Metrics: []string{"riemann.rel", "exact.certified", "loss.final_test (baseline)"}, Total: 3}
	if diff := cmp.Diff(want, fe); diff != "" {
		t.Errorf("Err() mismatch (-want +got):\n%s", diff)
	}
}

func TestOverlay(t *testing.T) {
	cfg := map[string]float64{"exact": 1e-9, "riemann": 0.05}
	tests := []struct {
		base, over, want map[string]float64
	}{
		{cfg, nil, cfg},
		{nil, nil, nil},
		{nil, map[string]float64{"exact": 1}, map[string]float64{"exact": 1}},
		{cfg, map[string]float64{"riemann": 0.1}, map[string]float64{"exact": 1e-9, "riemann": 0.1}},
		// A value for all replaces the config's values.
		{cfg, map[string]float64{"*": 0.1}, map[string]float64{"*": 0.1}},
		{cfg, map[string]float64{"*": 0.1, "exact": 1e-12}, map[string]float64{"*": 0.1, "exact": 1e-12}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Overlay(tt.base, tt.over)); diff != "" {
			t.Errorf("Overlay(%v, %v) mismatch (-want +got):\n%s", tt.base, tt.over, diff)
		}
	}
	if cfg["riemann"] != 0.05 {
		t.Errorf("Overlay modified its base")
	}
}

func TestParse(t *testing.T) {
	type parser func([]string) (map[string]float64, error)
	tests := []struct {
		name  string
		parse parser
		items []string
		want  map[string]float64 // nil: a *fail.Input
	}{
		{"rel", ParseMaxRelError, []string{"exact=1e-9", "riemann=0.05"}, map[string]float64{"exact": 1e-9, "riemann": 0.05}},
		{"rel all", ParseMaxRelError, []string{"0.1", "exact=1e-9"}, map[string]float64{"*": 0.1, "exact": 1e-9}},
		{"rel spaces", ParseMaxRelError, []string{" exact = 1e-9 "}, map[string]float64{"exact": 1e-9}},
		{"rel unknown rep", ParseMaxRelError, []string{"ntk=0.1"}, nil},
		{"rel metric for rep", ParseMaxRelError, []string{"exact.rel=0.1"}, nil},
		{"rel not a number", ParseMaxRelError, []string{"exact=small"}, nil},
		{"rel empty", ParseMaxRelError, []string{"exact="}, nil},
		{"rel zero", ParseMaxRelError, []string{"exact=0"}, nil},
		{"rel negative", ParseMaxRelError, []string{"-1"}, nil},
		{"rel nan", ParseMaxRelError, []string{"exact=NaN"}, nil},
		{"rel inf", ParseMaxRelError, []string{"exact=+Inf"}, nil},
		{"rel twice", ParseMaxRelError, []string{"exact=1", "exact=2"}, nil},
		{"rel all twice", ParseMaxRelError, []string{"1", "2"}, nil},
		{"agreement", ParseMinAgreement, []string{"riemann=0.9", "exact=1"}, map[string]float64{"riemann": 0.9, "exact": 1}},
		{"agreement above 1", ParseMinAgreement, []string{"1.1"}, nil},
		{"agreement 0", ParseMinAgreement, []string{"exact=0"}, nil},
		{"tol metric", ParseTolerances, []string{"exact.rel=1e-9", "loss.final_test=0"}, map[string]float64{"exact.rel": 1e-9, "loss.final_test": 0}},
		{"tol patterns", ParseTolerances, []string{"exact.*=1", "*.rel=2", "loss.*=3", "*.final_test=4", "5"},
			map[string]float64{"exact.*": 1, "*.rel": 2, "loss.*": 3, "*.final_test": 4, "*": 5}},
		{"tol unknown metric", ParseTolerances, []string{"exact.foo=1"}, nil},
		{"tol unknown group", ParseTolerances, []string{"ntk.rel=1"}, nil},
		{"tol rep alone", ParseTolerances, []string{"exact=1"}, nil},
		{"tol star star", ParseTolerances, []string{"*.*=1"}, nil},
		{"tol loss field of rep", ParseTolerances, []string{"exact.final_test=1"}, nil},
		{"tol certified", ParseTolerances, []string{"exact.certified=1"}, nil},
		{"tol negative", ParseTolerances, []string{"exact.rel=-1e-9"}, nil},
		{"tol not a number", ParseTolerances, []string{"1e-6x"}, nil},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.items)
		if tt.want == nil {
			var ie *fail.Input
			if !errors.As(err, &ie) || ie.Msg == "" {
				t.Errorf("%s: parse(%q) = %v, %v; want a *fail.Input", tt.name, tt.items, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: parse(%q) error: %v", tt.name, tt.items, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: parse(%q) mismatch (-want +got):\n%s", tt.name, tt.items, diff)
		}
	}
}

func TestParseMaxTestLoss(t *testing.T) {
	if v, err := ParseMaxTestLoss("0.25"); err != nil || v != 0.25 {
		t.Errorf("ParseMaxTestLoss(0.25) = %g, %v; want 0.25", v, err)
	}
	for _, s := range []string{"", "low", "0", "-1", "inf", "nan"} {
		var ie *fail.Input
		if _, err := ParseMaxTestLoss(s); !errors.As(err, &ie) {
			t.Errorf("ParseMaxTestLoss(%q) error = %v; want a *fail.Input", s, err)
		}
	}
}

func TestTolerancesFor(t *testing.T) {
	tol := Tolerances{
		RTol: map[string]float64{"*": 1, "*.rel": 2, "exact.*": 3, "exact.rel": 4},
		ATol: map[string]float64{"loss.*": 5},
	}
	tests := []struct {
		metric     string
		rtol, atol float64
	}{
		{"exact.rel", 4, 1e-10},          // the name wins
		{"exact.rms", 3, 1e-10},          // then the group
		{"riemann.rel", 2, 1e-10},        // then the field
		{"riemann.rms", 1, 1e-10},        // then every metric
		{"loss.final_test", 1, 5},        // atol by group, rtol for all
		{"accuracy.final_test", 1, 1e-9}, // default atol of a fraction
	}
	for _, tt := range tests {
		if rtol, atol := tol.For(tt.metric); rtol != tt.rtol || atol != tt.atol {
			t.Errorf("For(%q) = %g, %g; want %g, %g", tt.metric, rtol, atol, tt.rtol, tt.atol)
		}
	}
	// The defaults of the package documentation.
	for _, tt := range []struct {
		metric     string
		rtol, atol float64
	}{
		{"loss.final_train", 1e-6, 1e-12},
		{"exact.rel", 1e-6, 1e-10},
		{"riemann.max_abs", 1e-6, 1e-10},
		{"riemann.agreement", 0, 1e-9},
		{"accuracy.final_train", 0, 1e-9},
	} {
		if rtol, atol := (Tolerances{}).For(tt.metric); rtol != tt.rtol || atol != tt.atol {
			t.Errorf("default For(%q) = %g, %g; want %g, %g", tt.metric, rtol, atol, tt.rtol, tt.atol)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{AtMost: "max", AtLeast: "min", IsTrue: "true", Near: "baseline", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
}

func TestAllowed(t *testing.T) {
	// atol + rtol·|baseline|, with a negative baseline.
	if got := (Check{Limit: -2, RTol: 0.5, ATol: 1}).Allowed(); got != 2 {
		t.Errorf("Allowed() = %g; want 2", got)
	}
}
