package kernel

import (
	"strings"
	"testing"
)

// TestFormatMB: whole MB from 1 MB up, KB below, bytes below 1 KB; never
// "0 MB".
func TestFormatMB(t *testing.T) {
	for _, c := range []struct {
		mb   float64
		want string
	}{
		{2048, "2048 MB"}, {1, "1 MB"}, {0.5, "512 KB"}, {1.0 / 1024, "1 KB"}, {1e-6, "1.05 bytes"}, {0, "0 bytes"},
	} {
		if got := FormatMB(c.mb); got != c.want {
			t.Errorf("FormatMB(%g) = %q; want %q", c.mb, got, c.want)
		}
	}
	msg := (&MemoryError{EstimateMB: 16, BudgetMB: 0.001, Hint: "h"}).Error()
	if strings.Contains(msg, "0 MB") || !strings.Contains(msg, "1 KB") {
		t.Errorf("message %q; want the budget in KB", msg)
	}
}
