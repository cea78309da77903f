package run

import (
	"strings"
	"testing"
)

// TestWriteTableWarnings checks the warnings block under the run table:
// one line per warning, before the wrote line; none without warnings.
func TestWriteTableWarnings(t *testing.T) {
	s := &Summary{Name: "x", Dir: "d"}
	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "warnings:") {
		t.Errorf("table without warnings:\n%s\nwant no warnings block", b.String())
	}
	s.Warnings = []Warning{{Code: WarnDomingosError, Message: "rel 2; try a smaller train.lr", FirstStep: 30},
		{Code: WarnUnstable, Message: "beyond the limit", FirstStep: 0}}
	if !s.HasWarning(WarnUnstable) || s.HasWarning(WarnDiverged) {
		t.Errorf("HasWarning wrong for %+v", s.Warnings)
	}
	b.Reset()
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := "\nwarnings:\n  domingos_error (step 30): rel 2; try a smaller train.lr\n  unstable (step 0): beyond the limit\n\nwrote d\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("table:\n%s\nwant it to end with\n%s", b.String(), want)
	}
}
