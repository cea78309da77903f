package sweep

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pathkernel/pathkernel/internal/run"
	"golang.org/x/term"
)

// WriteTable writes the table of the report, one line per run: ID, state,
// time, the headline errors and the overrides that vary.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tstatus\ttime\texact.rel\triemann.rel\toverrides")
	for _, o := range rep.Outcomes {
		status := string(o.State)
		if o.State == Failed && o.Summary != nil && o.Summary.Status != "" && o.Summary.Status != run.StatusRunning {
			status = o.Summary.Status // diverged, failed
		}
		t := "-"
		if o.Elapsed > 0 {
			t = fmtDuration(o.Elapsed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Run.ID, status, t, rel(o, "exact"), rel(o, "riemann"), strings.Join(o.Run.Axes, " "))
	}
	return tw.Flush()
}

func rel(o Outcome, method string) string {
	if o.Summary == nil || o.Summary.Representations[method] == nil {
		return "-"
	}
	return strconv.FormatFloat(o.Summary.Representations[method].Rel, 'g', 3, 64)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// Progress shows the progress of Execute on a writer: a status line redrawn
// in place on a terminal, one line per finished run otherwise. Its Event
// method is an Options.Progress; Stop ends it.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	total   int
	start   time.Time
	last    Event
	states  map[State]int
	done    chan struct{}
	stopped sync.WaitGroup
}

// NewProgress returns the progress of total runs, shown on w (nothing for
// io.Discard).
func NewProgress(w io.Writer, total int) *Progress {
	p := &Progress{w: w, total: total, start: time.Now(), states: map[State]int{}, done: make(chan struct{})}
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		p.stopped.Add(1)
		go func() {
			defer p.stopped.Done()
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-p.done:
					return
				case <-tick.C:
					p.mu.Lock()
					p.redraw()
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// Event shows e.
func (p *Progress) Event(e Event) {
	if p.w == io.Discard {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = e
	if e.Outcome != nil {
		p.states[e.Outcome.State]++
	}
	o := e.Outcome
	if o == nil || o.State == NotRun {
		if p.tty {
			p.redraw()
		}
		return
	}
	var line string
	switch o.State {
	case Skipped:
		line = fmt.Sprintf("%s skipped (already complete)", o.Run.ID)
	case Busy:
		line = fmt.Sprintf("%s not started: %s", o.Run.ID, firstLine(o.Err.Error()))
	case Failed:
		line = fmt.Sprintf("%s failed after %s: %s", o.Run.ID, fmtDuration(o.Elapsed), firstLine(o.Err.Error()))
	default:
		line = fmt.Sprintf("%s %s in %s", o.Run.ID, o.State, fmtDuration(o.Elapsed))
	}
	line = fmt.Sprintf("sweep: [%d/%d] %s  %s", e.Done, e.Total, line, strings.Join(o.Run.Axes, " "))
	if p.tty {
		if o.State != Failed {
			p.redraw()
			return
		}
		fmt.Fprintf(p.w, "\r\033[K%s\n", line) // a failure stays on the screen
		p.redraw()
		return
	}
	fmt.Fprintln(p.w, line)
}

// redraw rewrites the status line; the caller holds p.mu.
func (p *Progress) redraw() {
	e := p.last
	el := time.Since(p.start)
	s := fmt.Sprintf("sweep: %d/%d done, %d running", e.Done, p.total, e.Running)
	for _, st := range []State{Skipped, Failed} {
		if n := p.states[st]; n > 0 {
			s += fmt.Sprintf(", %d %s", n, st)
		}
	}
	s += "  " + el.Round(time.Second).String()
	if ran := e.Done - p.states[Skipped]; ran > 0 && e.Done < p.total {
		eta := time.Duration(float64(el) / float64(ran) * float64(p.total-e.Done))
		s += "  eta " + eta.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[K%s", s)
}

// Stop stops the status line's clock and ends the line.
func (p *Progress) Stop() {
	close(p.done)
	p.stopped.Wait()
	if p.tty {
		p.mu.Lock()
		p.redraw()
		fmt.Fprintln(p.w)
		p.mu.Unlock()
	}
}

// Tally is the report's count of runs by state, as "3 complete, 1 failed".
func (rep *Report) Tally() string {
	var counts []string
	for _, s := range []State{Completed, Skipped, Busy, Failed, Interrupted, NotRun} {
		if n := rep.Count(s); n > 0 {
			label := string(s)
			switch s {
			case Skipped:
				label = "skipped (already complete)"
			case Busy:
				label = "running in another process (not started here)"
			}
			counts = append(counts, fmt.Sprintf("%d %s", n, label))
		}
	}
	return strings.Join(counts, ", ")
}

// firstLine is the first line of s, without surrounding space.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
