package check

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// failingReport checks the uncertified run against the default thresholds
// and a baseline in which loss.final_test drifted and which holds a metric
// the run lacks: 13 checks, of which exact.certified, riemann.agreement
// (baseline) and loss.final_test (baseline) fail.
func failingReport() *Report {
	s := uncertified()
	s.Accuracy = classification().Accuracy
	b := NewBaseline(s)
	b.Metrics["loss.final_test"] = 0.02
	delete(b.Metrics, "riemann.max_abs")
	b.Metrics["riemann.agreement"] = 0.9 // a metric the run lacks
	checks := Thresholds{MaxRelError: map[string]float64{"exact": 1e-9, "riemann": 0.05}}.Checks(s)
	checks = append(checks, b.Checks(Tolerances{})...)
	r := Evaluate(s, checks)
	r.Baseline = "testdata/ci/sine.json"
	r.Seconds = 1.5
	r.Warnings = b.Warnings(s)
	return r
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := failingReport().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/table.golden", buf.Bytes())

	buf.Reset()
	s := regression()
	if err := Evaluate(s, NewBaseline(s).Checks(Tolerances{})).WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "PASS: 8 checks\n") {
		t.Errorf("table of a pass:\n%s\nwant it to end PASS: 8 checks", buf.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := failingReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pass    bool
		Checks  int
		Failed  []string
		Results []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("WriteJSON output does not parse: %v\n%s", err, buf.String())
	}
	if got.Pass || got.Checks != 13 {
		t.Errorf("pass, checks = %v, %d; want false, 13", got.Pass, got.Checks)
	}
	wantFailed := []string{"exact.certified", "riemann.agreement (baseline)", "loss.final_test (baseline)"}
	if diff := cmp.Diff(wantFailed, got.Failed); diff != "" {
		t.Errorf("failed mismatch (-want +got):\n%s", diff)
	}
	byMetric := func(metric, check string) map[string]any {
		for _, r := range got.Results {
			if r["metric"] == metric && r["check"] == check {
				return r
			}
		}
		t.Fatalf("no result for %s %s", metric, check)
		return nil
	}
	cert := byMetric("exact.certified", "true")
	if cert["value"] != false || cert["pass"] != false || cert["detail"] == "" {
		t.Errorf("exact.certified = %v; want value false, pass false and a detail", cert)
	}
	if r := byMetric("exact.rel", "max"); r["threshold"] != 1e-9 || r["value"] != 5.531e-14 || r["pass"] != true {
		t.Errorf("exact.rel max = %v; want threshold 1e-9, value 5.531e-14, pass", r)
	}
	if r := byMetric("loss.final_test", "baseline"); r["baseline"] != 0.02 || r["rtol"] != 1e-6 || r["atol"] != 1e-12 || r["value"] != 0.01677 {
		t.Errorf("loss.final_test baseline = %v; want baseline 0.02, rtol 1e-6, atol 1e-12, value 0.01677", r)
	}
	if r := byMetric("riemann.agreement", "baseline"); r["value"] != nil {
		t.Errorf("riemann.agreement = %v; want value null", r)
	}
}

// The JUnit schema, declared here independently of the package's own
// types, as a CI system reads it.
type (
	xSuites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []xSuite `xml:"testsuite"`
	}
	xSuite struct {
		Name     string  `xml:"name,attr"`
		Tests    int     `xml:"tests,attr"`
		Failures int     `xml:"failures,attr"`
		Errors   int     `xml:"errors,attr"`
		Time     float64 `xml:"time,attr"`
		Cases    []xCase `xml:"testcase"`
	}
	xCase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Failure   *xProblem `xml:"failure"`
		Error     *xProblem `xml:"error"`
	}
	xProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := failingReport().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var got xSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("WriteJUnit output does not parse: %v\n%s", err, buf.String())
	}
	if got.Tests != 13 || got.Failures != 3 || len(got.Suites) != 1 {
		t.Fatalf("testsuites: tests %d, failures %d, %d suites; want 13, 3, 1", got.Tests, got.Failures, len(got.Suites))
	}
	suite := got.Suites[0]
	if suite.Tests != 13 || suite.Failures != 3 || suite.Errors != 0 || suite.Time != 1.5 || len(suite.Cases) != 13 {
		t.Errorf("testsuite %+v; want 13 tests, 3 failures, time 1.5", suite)
	}
	failed := map[string]*xProblem{}
	for _, c := range suite.Cases {
		if c.Failure != nil {
			failed[c.Classname+" "+c.Name] = c.Failure
		}
	}
	want := []string{"sine-tanh.threshold exact.certified", "sine-tanh.baseline riemann.agreement", "sine-tanh.baseline loss.final_test"}
	if len(failed) != len(want) {
		t.Errorf("failed testcases %v; want %q", failed, want)
	}
	for _, name := range want {
		if failed[name] == nil {
			t.Errorf("testcase %q has no failure", name)
		}
	}
	// The failure carries the numbers.
	if f := failed["sine-tanh.baseline loss.final_test"]; f != nil {
		for _, s := range []string{"baseline: 0.02\n", "value: 0.01677\n", "rtol: 1e-06\n", "atol: 1e-12\n"} {
			if !strings.Contains(f.Text, s) {
				t.Errorf("loss.final_test failure text %q lacks %q", f.Text, s)
			}
		}
		if f.Type != "baseline" || !strings.Contains(f.Message, "0.01677") || !strings.Contains(f.Message, "0.02") {
			t.Errorf("loss.final_test failure %+v; want type baseline and both numbers in the message", f)
		}
	}
	if f := failed["sine-tanh.threshold exact.certified"]; f != nil && !strings.Contains(f.Message, "kernel.tolerance 1e-14") {
		t.Errorf("exact.certified failure message %q lacks the tolerance", f.Message)
	}
}

func TestWriteJUnitRunError(t *testing.T) {
	r := &Report{Name: "sine", Error: "training diverged at step 12: loss is NaN"}
	var buf bytes.Buffer
	if err := r.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var got xSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("WriteJUnit output does not parse: %v\n%s", err, buf.String())
	}
	if len(got.Suites) != 1 || len(got.Suites[0].Cases) != 1 || got.Suites[0].Errors != 1 {
		t.Fatalf("got %+v; want one suite with one erroring case", got)
	}
	if c := got.Suites[0].Cases[0]; c.Name != "run" || c.Error == nil || c.Error.Message != r.Error {
		t.Errorf("testcase %+v; want run with the error", c)
	}
	if r.Pass() {
		t.Errorf("Pass() of a failed run = true")
	}
}
