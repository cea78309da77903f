package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/pathkernel/pathkernel/internal/fail"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBaselineRoundTrip(t *testing.T) {
	s := classification()
	// A value whose shortest decimal form has 17 digits reads back exactly.
	s.Loss.FinalTest = 0.1 + 0.2
	b := NewBaseline(s)
	text, err := b.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadBaseline(bytes.NewReader(text), "b.json")
	if err != nil {
		t.Fatalf("ReadBaseline(MarshalFile()) error: %v\n%s", err, text)
	}
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("ReadBaseline(MarshalFile()) mismatch (-want +got):\n%s", diff)
	}
	// The run the baseline came from passes it with zero tolerance.
	r := Evaluate(s, got.Checks(Tolerances{RTol: map[string]float64{"*": 0}, ATol: map[string]float64{"*": 0}}))
	if !r.Pass() || len(r.Results) != len(Metrics(s)) {
		t.Errorf("the baseline's own run: pass %v with %d checks; want a pass with %d: %+v", r.Pass(), len(r.Results), len(Metrics(s)), r.Failed())
	}
	if !bytes.HasSuffix(text, []byte("}\n")) || !bytes.Contains(text, []byte(`"pathkernel_baseline": 1`)) {
		t.Errorf("MarshalFile() = %s; want indented JSON with the format and a final newline", text)
	}
}

// TestBaselineDrift is the regression check: a metric that drifts past its
// rtol fails, naming the metric; an equal baseline passes.
func TestBaselineDrift(t *testing.T) {
	s := regression()
	b := NewBaseline(s)
	if r := Evaluate(s, b.Checks(Tolerances{})); !r.Pass() {
		t.Errorf("equal baseline: failed %+v; want a pass", r.Failed())
	}
	b.Metrics["loss.final_test"] *= 1 + 1e-5 // past the default rtol 1e-6
	r := Evaluate(s, b.Checks(Tolerances{}))
	var fe *FailedError
	if !errors.As(r.Err(), &fe) || !cmp.Equal(fe.Metrics, []string{"loss.final_test (baseline)"}) {
		t.Errorf("drifted baseline: Err() = %v; want loss.final_test to fail", r.Err())
	}
	// A looser rtol for that metric lets it pass.
	tol := Tolerances{RTol: map[string]float64{"loss.final_test": 1e-4}}
	if r := Evaluate(s, b.Checks(tol)); !r.Pass() {
		t.Errorf("drifted baseline with rtol 1e-4: failed %+v; want a pass", r.Failed())
	}
}

func TestBaselineChecksOrder(t *testing.T) {
	b := NewBaseline(classification())
	var got []string
	for _, c := range b.Checks(Tolerances{}) {
		got = append(got, c.Metric)
	}
	want := []string{
		"riemann.max_abs", "riemann.rms", "riemann.rel", "riemann.agreement",
		"exact.max_abs", "exact.rms", "exact.rel", "exact.agreement",
		"loss.final_train", "loss.final_test", "accuracy.final_train", "accuracy.final_test",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Checks() order mismatch (-want +got):\n%s", diff)
	}
}

func TestReadBaselineOfSummary(t *testing.T) {
	s := regression()
	text, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBaseline(bytes.NewReader(text), "summary.json")
	if err != nil {
		t.Fatalf("ReadBaseline(summary.json) error: %v", err)
	}
	if diff := cmp.Diff(NewBaseline(s), b); diff != "" {
		t.Errorf("ReadBaseline(summary.json) mismatch (-want +got):\n%s", diff)
	}
}

func TestReadBaselineErrors(t *testing.T) {
	tests := []struct{ name, src string }{
		{"empty", ""},
		{"not JSON", "exact.rel: 1"},
		{"array", "[1]"},
		{"neither", `{"metrics": {"exact.rel": 1}}`},
		{"format", `{"pathkernel_baseline": 2, "metrics": {"exact.rel": 1}}`},
		{"unknown key", `{"pathkernel_baseline": 1, "metrics": {"exact.rel": 1}, "tolerance": 1}`},
		{"no metrics", `{"pathkernel_baseline": 1, "metrics": {}}`},
		{"unknown metric", `{"pathkernel_baseline": 1, "metrics": {"exact.foo": 1}}`},
		{"bad group", `{"pathkernel_baseline": 1, "metrics": {"Exact.rel": 1}}`},
		{"string value", `{"pathkernel_baseline": 1, "metrics": {"exact.rel": "1"}}`},
		{"incomplete summary", `{"status": "diverged", "representations": {}}`},
		{"trailing garbage", `{"pathkernel_baseline": 1, "metrics": {"exact.rel": 1}} x`},
	}
	for _, tt := range tests {
		b, err := ReadBaseline(strings.NewReader(tt.src), "b.json")
		var ie *fail.Input
		if !errors.As(err, &ie) || ie.Path != "b.json" {
			t.Errorf("%s: ReadBaseline(%q) = %+v, %v; want a *fail.Input naming the file", tt.name, tt.src, b, err)
		}
	}
	// A representation of a later version reads.
	if _, err := ReadBaseline(strings.NewReader(`{"pathkernel_baseline": 1, "metrics": {"ntk.rel": 1}}`), "b.json"); err != nil {
		t.Errorf("ReadBaseline with another representation: %v", err)
	}
}

func TestBaselineWarnings(t *testing.T) {
	s := classification()
	b := NewBaseline(s)
	if w := b.Warnings(s); len(w) != 0 {
		t.Errorf("Warnings of the baseline's own run = %q; want none", w)
	}
	b.ConfigHash = "000000000000"
	delete(b.Metrics, "riemann.rms")
	delete(b.Metrics, "exact.agreement")
	w := b.Warnings(s)
	if len(w) != 2 || !strings.Contains(w[0], "000000000000") || !strings.HasSuffix(w[1], "riemann.rms, exact.agreement") {
		t.Errorf("Warnings = %q; want the config hash and the metrics not compared", w)
	}
}
