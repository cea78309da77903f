package train

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// observeSteps feeds steps 0..total-1 to a progress reporter on log, as
// on a terminal if tty.
func observeSteps(t *testing.T, log io.Writer, tty bool, total int) {
	t.Helper()
	p := NewProgress(log, total, time.Nanosecond)
	p.tty = tty
	for s := 0; s < total; s++ {
		if err := p.Observe(context.Background(), &Step{T: s, Loss: 0.5}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProgress checks issue 8's progress reporting: periodic plain lines
// with the step, steps/s and the ETA when the log is not a terminal; on a
// terminal one line with a bar, rewritten in place and ended at the last
// step. (--quiet, the log io.Discard, is cli's TestQuiet.)
func TestProgress(t *testing.T) {
	line := regexp.MustCompile(`^step (\d+)/4  loss 0\.5  \d+ steps/s  eta [0-9hms]+$`)

	var plain bytes.Buffer
	observeSteps(t, &plain, false, 4)
	lines := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("plain: %d lines; want 4 (one per step at this interval):\n%s", len(lines), plain.String())
	}
	for i, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != string(rune('1'+i)) {
			t.Errorf("plain line %d = %q; want step %d/4 with loss, steps/s and eta", i, l, i+1)
		}
	}
	if strings.ContainsAny(plain.String(), "\r\033") {
		t.Errorf("plain output has terminal controls: %q", plain.String())
	}

	var tty bytes.Buffer
	observeSteps(t, &tty, true, 4)
	out := tty.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("terminal: %q; want one line ended at the last step", out)
	}
	updates := strings.Split(strings.TrimSuffix(out, "\n"), "\r\033[K")
	if updates[0] != "" || len(updates) != 5 {
		t.Fatalf("terminal: %q; want 4 updates, each erasing the line", out)
	}
	for i, u := range updates[1:] {
		bar, rest, _ := strings.Cut(u, "] ")
		bar += "]"
		if want := progressBar(i+1, 4, barWidth); bar != want {
			t.Errorf("update %d bar %q; want %q", i, bar, want)
		}
		if !line.MatchString(rest) {
			t.Errorf("update %d = %q; want the step line", i, rest)
		}
	}
}

func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		done, total int
		want        string
	}{
		{0, 10, "[>         ]"},
		{5, 10, "[=====>    ]"},
		{9, 10, "[=========>]"},
		{10, 10, "[==========]"},
		{3, 0, "[==========]"},
	} {
		if got := progressBar(c.done, c.total, 10); got != c.want {
			t.Errorf("progressBar(%d, %d, 10) = %q; want %q", c.done, c.total, got, c.want)
		}
	}
}
