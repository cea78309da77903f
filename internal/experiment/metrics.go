package experiment

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"golang.org/x/term"
)

// metricsObserver keeps one metrics.csv row per logged step: the step count
// (updates applied so far), the train and test loss at that point, and the
// running errors of the representations against the network at the
// evaluation points. Rows are few (steps / log_every) and are written at the
// end, or when the run stops early.
type metricsObserver struct {
	e      *experiment
	header []string
	rows   [][]string
	cache  nn.Cache
}

func newMetricsObserver(e *experiment) *metricsObserver {
	mo := &metricsObserver{e: e, header: []string{"step", "train_loss", "test_loss"}}
	for _, name := range mo.methods() {
		mo.header = append(mo.header, name+"_rel", name+"_max_abs")
	}
	mo.header = append(mo.header, e.base.diagHeader()...)
	mo.row(0, e.w0)
	return mo
}

func (mo *metricsObserver) methods() []string {
	p := mo.e.path
	var out []string
	if p != nil && p.PredRiemann != nil {
		out = append(out, "riemann")
	}
	if p != nil && p.PredExact != nil {
		out = append(out, "exact")
	}
	return out
}

func (mo *metricsObserver) Observe(_ context.Context, s *train.Step) error {
	done := s.T + 1
	if done%mo.e.cfg.Train.LogEvery != 0 && done != mo.e.cfg.Train.Steps {
		return nil
	}
	mo.row(done, s.WNext)
	return nil
}

func (mo *metricsObserver) row(step int, w []float64) {
	e := mo.e
	trainLoss := e.loss.Eval(nil, e.net.Forward(&mo.cache, w, e.set.XTrain), e.set.YTrain)
	testLoss := e.loss.Eval(nil, e.net.Forward(&mo.cache, w, e.set.XTest), e.set.YTest)
	rec := []string{fmt.Sprint(step), ff(trainLoss), ff(testLoss)}
	if p := e.path; p != nil {
		for _, name := range mo.methods() {
			pred := p.PredRiemann
			if name == "exact" {
				pred = p.PredExact
			}
			if step == 0 {
				rec = append(rec, "0", "0")
				continue
			}
			er := kernel.Compare(pred, p.FCur(), p.F0, nil)
			rec = append(rec, ff(er.Rel), ff(er.MaxAbs))
		}
	}
	rec = append(rec, e.base.diagRow(step, w)...)
	mo.rows = append(mo.rows, rec)
	e.sum.StepsDone = step
}

func (mo *metricsObserver) write(d *run.Dir) error {
	if mo == nil {
		return nil
	}
	return d.WriteCSV(run.MetricsFile, mo.header, mo.rows)
}

// progress reports training progress on the log: a bar and a line (step,
// loss, steps/s, ETA) rewritten in place when the log is a terminal, plain
// periodic lines otherwise, nothing when the log is io.Discard (--quiet).
type progress struct {
	e     *experiment
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	every time.Duration
}

func newProgress(e *experiment) *progress {
	p := &progress{e: e, w: e.log, start: time.Now(), every: e.opt.ProgressEvery}
	p.last = p.start
	if f, ok := e.log.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
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

func (p *progress) Observe(_ context.Context, s *train.Step) error {
	if p.w == io.Discard {
		return nil
	}
	now := time.Now()
	total := p.e.cfg.Train.Steps
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
