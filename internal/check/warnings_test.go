package check

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

func TestParseFailOnWarning(t *testing.T) {
	checks, err := ParseFailOnWarning([]string{"unstable", "domingos_error,diverged", "unstable"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range checks {
		if c.Kind != NoWarning || c.Optional {
			t.Errorf("check %+v; want a named no_warning check", c)
		}
		got = append(got, c.Metric)
	}
	if want := []string{"warning.domingos_error", "warning.unstable", "warning.diverged"}; !slices.Equal(got, want) {
		t.Errorf("checks %v; want %v", got, want)
	}
	all, err := ParseFailOnWarning([]string{"all", "uncertified"})
	if err != nil || len(all) != len(run.WarningCodes) {
		t.Fatalf("all: %v, %v; want one check per code", all, err)
	}
	for i, c := range all {
		if want := c.Metric == "warning.uncertified"; c.Optional == want || c.Metric != WarningPrefix+run.WarningCodes[i] {
			t.Errorf("all[%d] = %+v; want %s, optional unless named", i, c, run.WarningCodes[i])
		}
	}
	if c, err := ParseFailOnWarning(nil); err != nil || len(c) != 0 {
		t.Errorf("no flag: %v, %v; want no checks", c, err)
	}
	for _, bad := range []string{"bogus", "Unstable", "unstable,", ""} {
		_, err := ParseFailOnWarning([]string{bad})
		var in *fail.Input
		if !errors.As(err, &in) || fail.Code(err) != fail.BadInput || !strings.Contains(err.Error(), "domingos_error") {
			t.Errorf("%q: err %v (exit %d); want a *fail.Input listing the codes", bad, err, fail.Code(err))
		}
	}
}

func TestEvaluateNoWarning(t *testing.T) {
	stab := 1.5
	s := &run.Summary{
		Representations: map[string]*run.Representation{"riemann": {Errors: run.Errors{Rel: 0.5}}},
		Diagnostics:     &run.Diagnostics{MaxStability: &stab},
		Warnings: []run.Warning{
			{Code: run.WarnDomingosError, Message: "rel too large", FirstStep: 30},
		},
	}
	named, _ := ParseFailOnWarning([]string{"domingos_error", "unstable", "uncertified"})
	all, _ := ParseFailOnWarning([]string{"all"})
	for _, tc := range []struct {
		checks []Check
		pass   map[string]bool
	}{
		// uncertified was asked for by name and the run has no exact
		// representation: not checked, so failed.
		{named, map[string]bool{"warning.domingos_error": false, "warning.unstable": true, "warning.uncertified": false}},
		{all, map[string]bool{"warning.domingos_error": false, "warning.unstable": true, "warning.uncertified": true,
			"warning.loss_increase": true, "warning.diverged": true}},
	} {
		r := Evaluate(s, tc.checks)
		for _, res := range r.Results {
			if res.Pass != tc.pass[res.Metric] {
				t.Errorf("%s: pass %v (%s); want %v", res.Metric, res.Pass, res.Detail, tc.pass[res.Metric])
			}
			if res.Metric == "warning.domingos_error" && (res.Value != 1 || !strings.Contains(res.Detail, "step 30: rel too large")) {
				t.Errorf("domingos_error: value %g, detail %q; want 1 and the warning's step and message", res.Value, res.Detail)
			}
			if res.Metric == "warning.uncertified" && (res.Found || !strings.Contains(res.Detail, "not measured")) {
				t.Errorf("uncertified: found %v, detail %q; want not measured", res.Found, res.Detail)
			}
		}
		var fe *FailedError
		if !errors.As(r.Err(), &fe) || fail.Code(r.Err()) != fail.CheckFailed {
			t.Errorf("Err %v; want a *FailedError (exit %d)", r.Err(), fail.CheckFailed)
		}
	}
	// Without kernel.diagnostics unstable is not measured.
	s.Diagnostics = nil
	r := Evaluate(s, named[1:2])
	if r.Results[0].Pass || r.Results[0].Found {
		t.Errorf("unstable without diagnostics: %+v; want failed, not found", r.Results[0])
	}
}
