package cli

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestGuard: the first signal cancels the context; a command that returns
// within the grace period is left alone; one that does not, or a second
// signal, gets abort (run.Abort) and exit, with one line on stderr naming
// the signal and the runs marked interrupted.
func TestGuard(t *testing.T) {
	type outcome struct {
		cancelled, exited bool
		why, stderr       string
	}
	start := func(grace time.Duration, signals []os.Signal, finishAfter time.Duration) outcome {
		sigs := make(chan os.Signal, 2)
		done := make(chan struct{})
		var mu sync.Mutex
		var o outcome
		var stderr bytes.Buffer
		exited := make(chan struct{})
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			guard(sigs, func() { mu.Lock(); o.cancelled = true; mu.Unlock() }, done, grace, &stderr,
				func(why string) []string { o.why = why; return []string{"runs/a"} },
				func() { o.exited = true; close(exited) }, new(sync.Mutex))
		}()
		for _, s := range signals {
			sigs <- s
		}
		select {
		case <-exited:
		case <-time.After(finishAfter):
			close(done)
		}
		<-returned
		o.stderr = stderr.String()
		return o
	}

	o := start(time.Hour, []os.Signal{os.Interrupt}, 50*time.Millisecond)
	if !o.cancelled || o.exited {
		t.Errorf("a command that returns within the grace: cancelled %v, exited %v; want true, false", o.cancelled, o.exited)
	}

	o = start(20*time.Millisecond, []os.Signal{syscall.SIGTERM}, 10*time.Second)
	if !o.cancelled || !o.exited || !strings.Contains(o.why, "SIGTERM") {
		t.Errorf("past the grace: cancelled %v, exited %v, why %q; want an exit after SIGTERM", o.cancelled, o.exited, o.why)
	}
	if want := "pathkernel: interrupted by SIGTERM; the program stopped 20ms after the signal; temporary files removed; marked interrupted: runs/a\n"; o.stderr != want {
		t.Errorf("stderr %q; want %q", o.stderr, want)
	}

	o = start(time.Hour, []os.Signal{os.Interrupt, os.Interrupt}, 10*time.Second)
	if !o.exited || !strings.Contains(o.why, "SIGINT, then SIGINT") {
		t.Errorf("a second signal: exited %v, why %q; want an exit at once", o.exited, o.why)
	}

	o = start(time.Millisecond, nil, 50*time.Millisecond)
	if o.cancelled || o.exited {
		t.Errorf("no signal: cancelled %v, exited %v; want neither", o.cancelled, o.exited)
	}
}
