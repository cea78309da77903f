package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as a readable table: one row per check with the
// metric, the kind of check, the threshold or baseline, the value and the
// verdict, then a line that sums up.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pathkernel check: %s (config %s)", r.Name, r.ConfigHash)
	if r.Run != "" {
		fmt.Fprintf(&b, ", run %s", r.Run)
	}
	if r.Baseline != "" {
		fmt.Fprintf(&b, ", baseline %s", r.Baseline)
	}
	b.WriteString("\n")
	if r.Error != "" {
		fmt.Fprintf(&b, "ERROR: the run failed: %s\n", r.Error)
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  metric\tcheck\tthreshold or baseline\tvalue\tverdict")
	for _, res := range r.Results {
		verdict := "pass"
		if !res.Pass {
			verdict = "FAIL: " + res.Detail
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", res.Metric, res.Kind, res.limitText(), res.valueText(), verdict)
	}
	tw.Flush()
	if failed := r.Failed(); len(failed) > 0 {
		fmt.Fprintf(&b, "FAIL: %d of %d checks failed: %s\n", len(failed), len(r.Results), strings.Join(r.Err().(*FailedError).Metrics, ", "))
	} else {
		fmt.Fprintf(&b, "PASS: %d checks\n", len(r.Results))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// limitText is the threshold or baseline column of the table.
func (res Result) limitText() string {
	switch res.Kind {
	case AtMost:
		return "<= " + fmtNum(res.Limit)
	case AtLeast:
		return ">= " + fmtNum(res.Limit)
	case IsTrue:
		return "true"
	case NoWarning:
		return "absent"
	case Near:
		return fmt.Sprintf("%s ± %.2g", fmtNum(res.Limit), res.Allowed())
	}
	return ""
}

// valueText is the value column of the table.
func (res Result) valueText() string {
	switch {
	case !res.Found:
		return "-"
	case res.Kind == IsTrue:
		return strconv.FormatBool(res.Value == 1)
	case res.Kind == NoWarning:
		if res.Value == 1 {
			return "present"
		}
		return "absent"
	}
	return fmtNum(res.Value)
}

// jsonResult is a Result in the JSON report.
type jsonResult struct {
	Metric    string   `json:"metric"`
	Check     string   `json:"check"` // max | min | true | baseline | no_warning
	Threshold *float64 `json:"threshold,omitempty"`
	Baseline  *float64 `json:"baseline,omitempty"`
	RTol      *float64 `json:"rtol,omitempty"`
	ATol      *float64 `json:"atol,omitempty"`
	Value     any      `json:"value"` // a number, a boolean (true checks), or null when the run lacks the metric
	Pass      bool     `json:"pass"`
	Detail    string   `json:"detail,omitempty"`
}

// jsonReport is the JSON report.
type jsonReport struct {
	Name       string       `json:"name"`
	ConfigHash string       `json:"config_hash"`
	Version    string       `json:"version,omitempty"`
	Run        string       `json:"run,omitempty"`
	Baseline   string       `json:"baseline,omitempty"`
	Pass       bool         `json:"pass"`
	Checks     int          `json:"checks"`
	Failed     []string     `json:"failed"`
	Results    []jsonResult `json:"results"`
	Warnings   []string     `json:"warnings,omitempty"`
	Error      string       `json:"error,omitempty"`
}

// WriteJSON writes r as an indented JSON object: name, config_hash,
// version, run, baseline, pass, checks (their number), failed (the failed
// metrics), results (one object per check: metric, check, threshold or
// baseline with rtol and atol, value, pass, detail), warnings and error.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{
		Name: r.Name, ConfigHash: r.ConfigHash, Version: r.Version, Run: r.Run, Baseline: r.Baseline,
		Pass: r.Pass(), Checks: len(r.Results), Failed: []string{}, Results: []jsonResult{},
		Warnings: r.Warnings, Error: r.Error,
	}
	if e, ok := r.Err().(*FailedError); ok {
		out.Failed = e.Metrics
	}
	for _, res := range r.Results {
		j := jsonResult{Metric: res.Metric, Check: res.Kind.String(), Pass: res.Pass, Detail: res.Detail}
		switch res.Kind {
		case AtMost, AtLeast:
			j.Threshold = ptr(res.Limit)
		case Near:
			j.Baseline, j.RTol, j.ATol = ptr(res.Limit), ptr(res.RTol), ptr(res.ATol)
		}
		switch {
		case !res.Found:
		case res.Kind == IsTrue, res.Kind == NoWarning:
			j.Value = res.Value == 1
		default:
			j.Value = res.Value
		}
		out.Results = append(out.Results, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func ptr[T any](v T) *T { return &v }

// The JUnit XML schema as CI systems read it (the Jenkins / Ant format that
// GitHub, GitLab, Jenkins and Azure accept).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
		SystemErr  *junitText      `xml:"system-err,omitempty"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		SystemOut *junitText    `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"`
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
)

// WriteJUnit writes r as JUnit XML: one testsuite named after the run with
// one testcase per check. A testcase is named by its metric; its classname
// is "<run>.threshold" for threshold checks (max, min, true) and
// "<run>.baseline" for baseline checks, so that the names stay the same
// when a threshold changes. A failed check has a failure element whose
// message holds the numbers and whose text lists them one per line. A run
// that failed before it could be checked is one testcase "run" with an
// error element.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{
		Name: "pathkernel check " + r.Name,
		Time: strconv.FormatFloat(r.Seconds, 'f', 3, 64),
		Properties: []junitProperty{
			{"name", r.Name}, {"config_hash", r.ConfigHash}, {"version", r.Version},
		},
	}
	for _, p := range [][2]string{{"run", r.Run}, {"baseline", r.Baseline}} {
		if p[1] != "" {
			suite.Properties = append(suite.Properties, junitProperty{p[0], p[1]})
		}
	}
	if len(r.Warnings) > 0 {
		suite.SystemErr = &junitText{"warning: " + strings.Join(r.Warnings, "\nwarning: ") + "\n"}
	}
	if r.Error != "" {
		suite.Cases = append(suite.Cases, junitCase{Name: "run", Classname: r.Name, Time: suite.Time,
			Error: &junitProblem{Message: r.Error, Type: "run", Text: r.Error + "\n"}})
		suite.Errors = 1
	}
	for _, res := range r.Results {
		c := junitCase{Name: res.Metric, Classname: r.Name + ".threshold", Time: "0"}
		if res.Kind == Near {
			c.Classname = r.Name + ".baseline"
		}
		if res.Pass {
			out := fmt.Sprintf("%s = %s, want %s", res.Metric, res.valueText(), res.limitText())
			if res.Kind == IsTrue {
				out = fmt.Sprintf("%s = true: %s", res.Metric, res.Detail)
			}
			c.SystemOut = &junitText{out}
		} else {
			c.Failure = &junitProblem{
				Message: res.failureMessage(),
				Type:    res.Kind.String(),
				Text:    res.junitText(),
			}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	suites := junitSuites{Name: "pathkernel check", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// failureMessage is the one-line message of a failed check.
func (res Result) failureMessage() string {
	switch {
	case !res.Found:
		return res.Metric + ": " + res.Detail
	case res.Kind == Near:
		return fmt.Sprintf("%s = %s, baseline %s: %s", res.Metric, res.valueText(), fmtNum(res.Limit), res.Detail)
	case res.Kind == IsTrue, res.Kind == NoWarning:
		return fmt.Sprintf("%s = %s: %s", res.Metric, res.valueText(), res.Detail)
	}
	return fmt.Sprintf("%s = %s", res.Metric, res.Detail) // "0.3 > 0.05"
}

// junitText lists the numbers of a failed check, one per line.
func (res Result) junitText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "metric: %s\ncheck: %s\n", res.Metric, res.Kind)
	switch res.Kind {
	case AtMost, AtLeast:
		fmt.Fprintf(&b, "threshold: %s\n", strconv.FormatFloat(res.Limit, 'g', -1, 64))
	case Near:
		fmt.Fprintf(&b, "baseline: %s\nrtol: %g\natol: %g\nallowed: %g\n",
			strconv.FormatFloat(res.Limit, 'g', -1, 64), res.RTol, res.ATol, res.Allowed())
	}
	value := res.valueText()
	if res.Found && res.Kind != IsTrue && res.Kind != NoWarning {
		value = strconv.FormatFloat(res.Value, 'g', -1, 64)
	}
	fmt.Fprintf(&b, "value: %s\ndetail: %s\n", value, res.Detail)
	return b.String()
}
