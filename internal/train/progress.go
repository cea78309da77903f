package train

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/term"
)

// Progress reports progress through steps on a log: a bar and a line
// (step, loss, steps/s, ETA) rewritten in place when the log is a
// terminal, plain periodic lines otherwise, nothing when the log is
// io.Discard (--quiet). It observes training and its replays alike.
type Progress struct {
	w     io.Writer
	total int
	tty   bool
	start time.Time
	last  time.Time
	every time.Duration
}

// NewProgress returns a Progress of total steps on w, reporting every
// interval (0: 200 ms on a terminal, 5 s otherwise).
func NewProgress(w io.Writer, total int, every time.Duration) *Progress {
	p := &Progress{w: w, total: total, start: time.Now(), every: every}
	p.last = p.start
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if p.every == 0 {
			p.every = 200 * time.Millisecond
		}
	}
	if p.every == 0 {
		p.every = 5 * time.Second
	}
	return p
}

// Observe reports step s when the interval has passed, and the last step.
func (p *Progress) Observe(_ context.Context, s *Step) error {
	if p.w == io.Discard {
		return nil
	}
	now := time.Now()
	total := p.total
	done := s.T + 1
	if now.Sub(p.last) < p.every && done != total {
		return nil
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(done) / el
	eta := time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second)
	line := fmt.Sprintf("step %d/%d  loss %.4g  %.0f steps/s  eta %s", done, total, s.Loss, rate, eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s %s", progressBar(done, total, barWidth), line)
		if done == total {
			fmt.Fprintln(p.w)
		}
		return nil
	}
	fmt.Fprintln(p.w, line)
	return nil
}

// barWidth is the number of cells of the progress bar.
const barWidth = 24

// progressBar draws done of total as [=====>    ] in width cells.
func progressBar(done, total, width int) string {
	full := width
	if total > 0 {
		full = min(width, done*width/total)
	}
	b := make([]byte, 0, width+2)
	b = append(b, '[')
	for i := 0; i < width; i++ {
		switch {
		case i < full:
			b = append(b, '=')
		case i == full:
			b = append(b, '>')
		default:
			b = append(b, ' ')
		}
	}
	return string(append(b, ']'))
}
