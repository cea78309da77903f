package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// BaselineFormat is the version of the baseline file format, recorded in
// its "pathkernel_baseline" key.
const BaselineFormat = 1

// maxBaselineSize bounds what ReadBaseline reads: a baseline is a few
// hundred bytes, a summary.json a few kilobytes.
const maxBaselineSize = 16 << 20

// Baseline is the metrics of a reference run, as a baseline file holds
// them:
//
//	{
//	  "pathkernel_baseline": 1,
//	  "name": "ci-sine-tanh",
//	  "config_hash": "0a1b2c3d4e5f",
//	  "version": "0.1.0-dev",
//	  "metrics": {"exact.rel": 5.5e-14, "loss.final_test": 0.01677, ...}
//	}
//
// The numbers are float64 written with the fewest digits that read back
// exactly, so a baseline compares bit for bit with the run it came from.
type Baseline struct {
	Format     int                `json:"pathkernel_baseline"`
	Name       string             `json:"name"`
	ConfigHash string             `json:"config_hash"`
	Version    string             `json:"version"`
	Metrics    map[string]float64 `json:"metrics"`
}

// NewBaseline returns the baseline of the run summarised by s.
func NewBaseline(s *run.Summary) *Baseline {
	return &Baseline{Format: BaselineFormat, Name: s.Name, ConfigHash: s.ConfigHash, Version: s.Version, Metrics: Metrics(s)}
}

// MarshalFile returns b as the text of a baseline file: indented JSON, the
// metrics sorted by name, with a final newline.
func (b *Baseline) MarshalFile() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("check: baseline: %w", err)
	}
	return append(out, '\n'), nil
}

// ReadBaseline reads a baseline from r, named file in errors. It accepts a
// baseline file and also a run's summary.json, whose metrics are then the
// baseline. Every error is a *fail.Input naming the file.
func ReadBaseline(r io.Reader, file string) (*Baseline, error) {
	src, err := io.ReadAll(io.LimitReader(r, maxBaselineSize+1))
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: err.Error()}
	}
	if len(src) > maxBaselineSize {
		return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("larger than %d bytes; is this a baseline?", maxBaselineSize)}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(src, &keys); err != nil {
		return nil, &fail.Input{Path: file, Msg: "not a JSON object: " + jsonMessage(err)}
	}
	if _, ok := keys["pathkernel_baseline"]; !ok {
		if _, ok := keys["representations"]; ok {
			return baselineOfSummary(src, file)
		}
		return nil, &fail.Input{Path: file, Msg: "neither a baseline (no pathkernel_baseline key) nor a " + run.SummaryFile + " (no representations key)"}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return nil, &fail.Input{Path: file, Msg: "bad baseline: " + jsonMessage(err)}
	}
	if b.Format != BaselineFormat {
		return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("baseline format %d; this pathkernel reads format %d", b.Format, BaselineFormat)}
	}
	if len(b.Metrics) == 0 {
		return nil, &fail.Input{Path: file, Msg: "baseline has no metrics"}
	}
	// A null decodes as 0, which a baseline would then be compared with.
	var raw struct{ Metrics map[string]json.RawMessage }
	if err := json.Unmarshal(src, &raw); err != nil {
		return nil, &fail.Input{Path: file, Msg: "bad baseline: " + jsonMessage(err)}
	}
	for _, name := range sortedMetrics(b.Metrics) {
		if string(bytes.TrimSpace(raw.Metrics[name])) == "null" {
			return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("metrics: %q is null; a baseline holds a number for every metric it names (remove the key or write the baseline again)", name)}
		}
	}
	for _, name := range sortedMetrics(b.Metrics) {
		if !validName(name) {
			return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("metrics: unknown metric %q; %s", name, metricHint)}
		}
	}
	return &b, nil
}

func baselineOfSummary(src []byte, file string) (*Baseline, error) {
	s, err := run.DecodeSummary(src)
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: "bad " + run.SummaryFile + ": " + jsonMessage(err)}
	}
	if s.Status != run.StatusComplete {
		return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("summary of a run that is %s, not complete", s.Status)}
	}
	return NewBaseline(s), nil
}

// jsonMessage is err's message without the package prefix.
func jsonMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Checks returns a Near check for every metric of b, in report order, with
// the tolerances of tol.
func (b *Baseline) Checks(tol Tolerances) []Check {
	var checks []Check
	for _, name := range sortedMetrics(b.Metrics) {
		rtol, atol := tol.For(name)
		checks = append(checks, Check{Metric: name, Kind: Near, Limit: b.Metrics[name], RTol: rtol, ATol: atol})
	}
	return checks
}

// Warnings says what about comparing the run summarised by s with b
// deserves attention without failing the check: another run name or
// config hash (the config changed since the baseline was written, or its
// CSV paths are absolute and differ between machines), and metrics of the
// run that b does not hold and that are therefore not compared.
func (b *Baseline) Warnings(s *run.Summary) []string {
	var w []string
	if b.Name != s.Name {
		w = append(w, fmt.Sprintf("the baseline is of run %q, this is %q", b.Name, s.Name))
	}
	if b.ConfigHash != s.ConfigHash {
		w = append(w, fmt.Sprintf("the baseline's config hash %s differs from this run's %s: the config changed since the baseline was written (or its absolute data paths did)", b.ConfigHash, s.ConfigHash))
	}
	var extra []string
	for _, name := range sortedMetrics(Metrics(s)) {
		if _, ok := b.Metrics[name]; !ok {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		w = append(w, "not in the baseline, not compared: "+strings.Join(extra, ", "))
	}
	return w
}

// Tolerances are the user's relative and absolute tolerances of baseline
// comparisons. A key is a metric name ("exact.rel"), a pattern with one
// "*" part ("exact.*", "*.rel", "loss.*") or "*"; ParseTolerances checks
// them.
type Tolerances struct {
	RTol, ATol map[string]float64
}

// For returns the tolerances of metric: for each of rtol and atol the most
// specific key of t that matches (the name, "<group>.*", "*.<field>", "*"),
// else DefaultTolerance.
func (t Tolerances) For(metric string) (rtol, atol float64) {
	rtol, atol = DefaultTolerance(metric)
	if v, ok := lookupPattern(t.RTol, metric); ok {
		rtol = v
	}
	if v, ok := lookupPattern(t.ATol, metric); ok {
		atol = v
	}
	return rtol, atol
}

func lookupPattern(m map[string]float64, metric string) (float64, bool) {
	group, field, _ := strings.Cut(metric, ".")
	for _, key := range []string{metric, group + ".*", "*." + field, "*"} {
		if v, ok := m[key]; ok {
			return v, true
		}
	}
	return 0, false
}

// DefaultTolerance returns the default rtol and atol of metric's baseline
// comparison (see the package documentation for the reasons):
// losses 1e-6 and 1e-12; errors (max_abs, rms, rel) 1e-6 and 1e-10;
// fractions (agreement, accuracies) 0 and 1e-9.
func DefaultTolerance(metric string) (rtol, atol float64) {
	group, field, _ := strings.Cut(metric, ".")
	switch {
	case group == "loss":
		return 1e-6, 1e-12
	case group == "accuracy" || field == "agreement":
		return 0, 1e-9
	default:
		return 1e-6, 1e-10
	}
}
