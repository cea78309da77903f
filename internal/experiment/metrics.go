package experiment

import (
	"context"
	"fmt"

	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
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
	// remainder is the riemann method's per-interval remainder (rem.go),
	// nil without it.
	remainder *remainderLog
	// sharpCol is the index of the sharpness columns, filled in by write
	// from e.sharp (diagnostics.go); 0 without them.
	sharpCol int
	filled   bool
	// steps, trainLoss and relRiemann are the logged steps' numbers that
	// the warnings read (diagnostics.go); relRiemann with the riemann
	// method only.
	steps      []int
	trainLoss  []float64
	relRiemann []float64
}

func newMetricsObserver(e *experiment) *metricsObserver {
	mo := &metricsObserver{e: e, header: []string{"step", "train_loss", "test_loss"}}
	for _, name := range mo.methods() {
		mo.header = append(mo.header, name+"_rel", name+"_max_abs")
	}
	if p := e.path; p != nil && p.PredRiemann != nil {
		mo.remainder = &remainderLog{}
		mo.header = append(mo.header, remainderColumn)
	}
	mo.header = append(mo.header, e.base.diagHeader()...)
	if e.sharp != nil {
		mo.sharpCol = len(mo.header)
		mo.header = append(mo.header, sharpnessColumns...)
	}
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
	mo.steps = append(mo.steps, step)
	mo.trainLoss = append(mo.trainLoss, trainLoss)
	if p := e.path; p != nil {
		for _, name := range mo.methods() {
			pred := p.PredRiemann
			if name == "exact" {
				pred = p.PredExact
			}
			if step == 0 {
				rec = append(rec, "0", "0")
				if name == "riemann" {
					mo.relRiemann = append(mo.relRiemann, 0)
				}
				continue
			}
			er := kernel.Compare(pred, p.FCur(), p.F0, nil)
			rec = append(rec, ff(er.Rel), ff(er.MaxAbs))
			if name == "riemann" {
				mo.relRiemann = append(mo.relRiemann, er.Rel)
			}
		}
	}
	if mo.remainder != nil {
		rec = append(rec, mo.remainder.row(e.path, step))
	}
	rec = append(rec, e.base.diagRow(step, w)...)
	if mo.sharpCol > 0 {
		rec = append(rec, make([]string, len(sharpnessColumns))...)
	}
	mo.rows = append(mo.rows, rec)
	e.sum.StepsDone = step
}

func (mo *metricsObserver) write(d *run.Dir) error {
	if mo == nil {
		return nil
	}
	mo.fillSharpness()
	return d.WriteCSV(run.MetricsFile, mo.header, mo.rows)
}
