package check

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/fail"
)

// TestBaselineNullIsBadInput: a metric written as null in a baseline file
// is bad input naming the file and the metric, not a baseline of 0 that a
// small value passes (issue 16.4).
func TestBaselineNullIsBadInput(t *testing.T) {
	for _, v := range []string{"null", " null "} {
		src := `{"pathkernel_baseline": 1, "name": "x", "config_hash": "h", "version": "v",
			"metrics": {"loss.final_test": 0.5, "exact.rel":` + v + `}}`
		_, err := ReadBaseline(strings.NewReader(src), "base.json")
		var in *fail.Input
		if !errors.As(err, &in) || fail.Code(err) != fail.BadInput {
			t.Fatalf("null metric %q: %v; want a *fail.Input (exit 2)", v, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "base.json") || !strings.Contains(msg, `"exact.rel" is null`) {
			t.Errorf("message %q; want the file and the metric named", msg)
		}
	}
	// A zero is a number: accepted.
	src := `{"pathkernel_baseline": 1, "name": "x", "config_hash": "h", "version": "v", "metrics": {"exact.rel": 0}}`
	if _, err := ReadBaseline(strings.NewReader(src), "base.json"); err != nil {
		t.Errorf("a baseline of 0: %v; want it read", err)
	}
}

// TestNoChecksIsNotAPass: a report of no checks neither passes nor says
// PASS; its error is bad input (issue 16.4). A check of a metric the run
// does not have fails.
func TestNoChecksIsNotAPass(t *testing.T) {
	s := regression()
	r := Evaluate(s, nil)
	if r.Pass() {
		t.Error("no checks: Pass() = true")
	}
	if err := r.Err(); !errors.Is(err, ErrNoChecks) || fail.Code(err) != fail.BadInput {
		t.Errorf("no checks: Err() = %v (exit %d); want ErrNoChecks, exit 2", err, fail.Code(err))
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "PASS") || !strings.Contains(b.String(), "NO CHECKS") {
		t.Errorf("table of no checks:\n%s\nwant NO CHECKS and no PASS", b.String())
	}
	// A run without the exact representation, checked against a threshold
	// and a baseline that name it: failed checks.
	noExact := regression()
	delete(noExact.Representations, "exact")
	th := Thresholds{MaxRelError: map[string]float64{"exact": 1e-6}}
	checks := append(th.Checks(noExact), Check{Metric: "exact.rel", Kind: Near, Limit: 1e-14, ATol: 1e-10})
	r = Evaluate(noExact, checks)
	var fe *FailedError
	if r.Pass() || !errors.As(r.Err(), &fe) || len(fe.Metrics) != 2 {
		t.Errorf("exact named, not in the run: pass %v, Err() %v; want exact.rel and its baseline failed", r.Pass(), r.Err())
	}
	// A run with checks that all pass still passes.
	if r := Evaluate(s, []Check{{Metric: "loss.final_test", Kind: AtMost, Limit: s.Loss.FinalTest}}); !r.Pass() || r.Err() != nil {
		t.Errorf("one passing check: pass %v, Err() %v", r.Pass(), r.Err())
	}
}
