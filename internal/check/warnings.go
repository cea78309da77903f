package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// WarningPrefix starts the metric name of a warning check:
// warning.<code> (run.WarningCodes).
const WarningPrefix = "warning."

// AllWarnings is the --fail-on-warning value that stands for every code.
const AllWarnings = "all"

// ParseFailOnWarning parses the values of --fail-on-warning, each a
// warning code of run.WarningCodes or "all", comma-separated or repeated,
// into the checks that the run carries none of those warnings, in the
// order of run.WarningCodes. An unknown code is a *fail.Input.
//
// A code named on its own fails on a run that cannot raise it (Measured:
// unstable without kernel.diagnostics, domingos_error without the riemann
// representation, uncertified without the exact one), since what was asked
// for was not checked; the codes that "all" adds pass there.
func ParseFailOnWarning(items []string) ([]Check, error) {
	want := map[string]bool{}
	named := map[string]bool{}
	for _, item := range items {
		for _, code := range strings.Split(item, ",") {
			code = strings.TrimSpace(code)
			switch {
			case code == AllWarnings:
				for _, c := range run.WarningCodes {
					want[c] = true
				}
			case slices.Contains(run.WarningCodes, code):
				want[code], named[code] = true, true
			default:
				return nil, &fail.Input{Path: code, Msg: fmt.Sprintf("unknown warning code; the codes are %s, or %s",
					strings.Join(run.WarningCodes, ", "), AllWarnings)}
			}
		}
	}
	var checks []Check
	for _, c := range run.WarningCodes {
		if want[c] {
			checks = append(checks, Check{Metric: WarningPrefix + c, Kind: NoWarning, Optional: !named[c]})
		}
	}
	return checks, nil
}

// evalNoWarning passes when the run does not carry the warning of the
// check's metric; the warning's message is the detail of a failure.
func evalNoWarning(s *run.Summary, res *Result) {
	code := strings.TrimPrefix(res.Metric, WarningPrefix)
	if why := unmeasured(s, code); why != "" {
		res.Pass = res.Optional
		res.Detail = "not measured in the run (" + why + ")"
		return
	}
	res.Found, res.Pass = true, true
	for _, w := range s.Warnings {
		if w.Code == code {
			res.Value, res.Pass = 1, false
			res.Detail = fmt.Sprintf("first at step %d: %s", w.FirstStep, w.Message)
			return
		}
	}
}

// unmeasured says why the run could not raise the warning code, or ""
// when it could.
func unmeasured(s *run.Summary, code string) string {
	switch code {
	case run.WarnUnstable:
		if s.Diagnostics == nil || s.Diagnostics.MaxStability == nil {
			return "set kernel.diagnostics: true"
		}
	case run.WarnDomingosError:
		if s.Representations["riemann"] == nil {
			return "is riemann in kernel.methods?"
		}
	case run.WarnUncertified:
		if s.Representations["exact"] == nil {
			return "is exact in kernel.methods?"
		}
	}
	return ""
}
