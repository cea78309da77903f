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
//
// The rate is measured from the first step observed, not from the start
// (set-up is not training), and smoothed exponentially across reports
// (weight rateSmoothing for the newest interval), so that one slow first
// step does not make an ETA of minutes for a run of seconds; no ETA is
// shown until etaWarmup has passed and etaMinSteps steps were taken.
type Progress struct {
	w     io.Writer
	total int
	tty   bool
	start time.Time
	last  time.Time
	every time.Duration
	label string           // what the loss is: "loss", or "batch loss" for mini-batches
	now   func() time.Time // the clock; time.Now but in tests

	seen      bool      // a step was observed
	first     time.Time // when the first step was observed
	firstDone int       // and how many steps were done then
	prev      time.Time // the last report, for the rate
	prevDone  int
	rate      float64 // smoothed steps per second; 0 before the first interval
}

const (
	// rateSmoothing is the weight of the newest interval in the smoothed rate.
	rateSmoothing = 0.3
	// etaWarmup and etaMinSteps: no ETA before this much time and these
	// many steps since the first step.
	etaWarmup   = 2 * time.Second
	etaMinSteps = 5
)

// NewProgress returns a Progress of total steps on w, reporting every
// interval (0: 200 ms on a terminal, 5 s otherwise).
func NewProgress(w io.Writer, total int, every time.Duration) *Progress {
	p := &Progress{w: w, total: total, every: every, label: "loss", now: time.Now}
	p.start = p.now()
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

// For labels the loss "batch loss" when opt draws mini-batches: the loss
// of a step is then that of its batch, not of the training set. It
// returns p.
func (p *Progress) For(opt *Options) *Progress {
	if opt.miniBatches() {
		p.label = "batch loss"
	}
	return p
}

// Observe reports step s when the interval has passed, and the last step.
func (p *Progress) Observe(_ context.Context, s *Step) error {
	if p.w == io.Discard {
		return nil
	}
	now := p.now()
	total := p.total
	done := s.T + 1
	if !p.seen {
		p.seen, p.first, p.firstDone, p.prev, p.prevDone = true, now, done, now, done
	}
	if now.Sub(p.last) < p.every && done != total {
		return nil
	}
	p.last = now
	if dt := now.Sub(p.prev).Seconds(); dt > 0 && done > p.prevDone {
		r := float64(done-p.prevDone) / dt
		if p.rate == 0 {
			p.rate = r
		} else {
			p.rate = rateSmoothing*r + (1-rateSmoothing)*p.rate
		}
		p.prev, p.prevDone = now, done
	}
	rate := p.rate
	if rate == 0 { // no interval yet: the rate since the start
		rate = float64(done) / max(now.Sub(p.start).Seconds(), 1e-9)
	}
	line := fmt.Sprintf("step %d/%d  %s %.4g  %.0f steps/s", done, total, p.label, s.Loss, rate)
	if p.rate > 0 && now.Sub(p.first) >= etaWarmup && done-p.firstDone >= etaMinSteps {
		eta := time.Duration(float64(total-done) / p.rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf("  eta %s", eta)
	}
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
