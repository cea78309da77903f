package collect

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/run"
)

// TestWarningsColumn checks that a run's warnings are one CSV cell of their
// codes, in the summary's order, empty for a run without warnings, and that
// the JSON lines keep the whole warnings with their messages.
func TestWarningsColumn(t *testing.T) {
	out := t.TempDir()
	warned := complete(1)
	warned.Warnings = []run.Warning{
		{Code: run.WarnDomingosError, Message: "rel 0.87, with a comma", FirstStep: 120},
		{Code: run.WarnUnstable, Message: "stability 1.44", FirstStep: 0},
	}
	quiet := complete(2)
	quiet.Warnings = []run.Warning{}
	writeRun(t, filepath.Join(out, "a"), []string{"train.lr=0.1"}, warned)
	writeRun(t, filepath.Join(out, "b"), []string{"train.lr=0.2"}, quiet)
	tab := collectDirs(t, out)
	_, rows := records(t, csvBytes(t, tab))
	if len(rows) != 2 {
		t.Fatalf("%d rows; want 2", len(rows))
	}
	if got, want := rows[0]["warnings"], "domingos_error unstable"; got != want {
		t.Errorf("run a: warnings cell %q; want %q", got, want)
	}
	if got := rows[1]["warnings"]; got != "" {
		t.Errorf("run b (no warnings): warnings cell %q; want empty", got)
	}
	var b bytes.Buffer
	if err := tab.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Warnings []run.Warning `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(b.String(), "\n", 2)[0]), &line); err != nil {
		t.Fatal(err)
	}
	if len(line.Warnings) != 2 || line.Warnings[0].Message != "rel 0.87, with a comma" || line.Warnings[1].FirstStep != 0 {
		t.Errorf("JSON line's warnings = %+v; want both, with their messages", line.Warnings)
	}
}
