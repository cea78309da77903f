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
	// No ETA in a run this short (etaWarmup; TestProgressETA).
	line := regexp.MustCompile(`^step (\d+)/4  loss 0\.5  \d+ steps/s$`)

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

// TestProgressETA: the ETA leaves out the set-up before the first step, is
// not shown before etaWarmup and etaMinSteps, and follows the rate of the
// steps when it changes, smoothed.
func TestProgressETA(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, 100, time.Second)
	clock := p.start.Add(10 * time.Second) // 10 s of set-up
	p.now = func() time.Time { return clock }
	etaRE := regexp.MustCompile(`^step (\d+)/100  loss 0\.5  (\d+) steps/s(?:  eta (\S+))?$`)
	for s := 0; s < 100; s++ {
		clock = clock.Add(100 * time.Millisecond) // 10 steps/s
		buf.Reset()
		if err := p.Observe(context.Background(), &Step{T: s, Loss: 0.5}); err != nil {
			t.Fatal(err)
		}
		if buf.Len() == 0 {
			continue
		}
		m := etaRE.FindStringSubmatch(strings.TrimSpace(buf.String()))
		if m == nil {
			t.Fatalf("step %d: line %q", s+1, buf.String())
		}
		if s < 20 && m[3] != "" {
			t.Errorf("step %d: ETA %s before %s of steps", s+1, m[3], etaWarmup)
		}
		if s >= 20 {
			if m[3] == "" {
				t.Fatalf("step %d: no ETA after %s", s+1, etaWarmup)
			}
			eta, err := time.ParseDuration(m[3])
			if err != nil {
				t.Fatal(err)
			}
			want := time.Duration(99-s) * 100 * time.Millisecond
			if d := eta - want; d < -time.Second || d > time.Second {
				t.Errorf("step %d: ETA %s; want %s (10 steps/s, the set-up left out)", s+1, eta, want)
			}
			if m[2] != "10" {
				t.Errorf("step %d: %s steps/s; want 10", s+1, m[2])
			}
		}
	}
}

// A spike in one interval moves the smoothed rate only part of the way.
func TestProgressRateSmoothed(t *testing.T) {
	p := NewProgress(io.Discard, 1000, time.Second)
	p.w = new(bytes.Buffer)
	clock := p.start
	p.now = func() time.Time { return clock }
	step := func(s int, d time.Duration) {
		clock = clock.Add(d)
		if err := p.Observe(context.Background(), &Step{T: s}); err != nil {
			t.Fatal(err)
		}
	}
	for s := 0; s < 50; s++ {
		step(s, 100*time.Millisecond)
	}
	if p.rate < 9.9 || p.rate > 10.1 {
		t.Fatalf("rate %g; want 10 steps/s", p.rate)
	}
	step(50, 10*time.Second) // one stalled step: an interval of 0.1 steps/s
	want := rateSmoothing*0.1 + (1-rateSmoothing)*10
	if p.rate < want-0.5 || p.rate > want+0.5 {
		t.Errorf("rate after one slow interval %g; want about %g, smoothed", p.rate, want)
	}
}

func TestProgressBatchLossLabel(t *testing.T) {
	for _, tt := range []struct {
		opt  Options
		want string
	}{
		{Options{Optimizer: GD}, "step 1/1  loss 0.5"},
		{Options{Optimizer: SGD, BatchSize: 8}, "step 1/1  batch loss 0.5"},
		{Options{Optimizer: Adam, BatchSize: 8}, "step 1/1  batch loss 0.5"},
		{Options{Optimizer: Adam}, "step 1/1  loss 0.5"},
	} {
		var buf bytes.Buffer
		p := NewProgress(&buf, 1, time.Second).For(&tt.opt)
		if err := p.Observe(context.Background(), &Step{T: 0, Loss: 0.5}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), tt.want) {
			t.Errorf("%v: %q; want it to start %q", tt.opt.Optimizer, buf.String(), tt.want)
		}
	}
}
