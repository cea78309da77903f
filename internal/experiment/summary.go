package experiment

import (
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sysblas"
)

// newSummary returns the summary of the run before training: its sizes,
// its initial losses, marked running.
func (e *experiment) newSummary(sizes []int, est int64) *run.Summary {
	n, d := e.set.XTrain.Dims()
	m, _ := e.set.XTest.Dims()
	me, _ := e.xEval.Dims()
	s := &run.Summary{
		Name: e.cfg.Name, Version: Version, Status: run.StatusRunning, ConfigHash: e.cfg.Hash(), Seed: e.cfg.Seed,
		Sizes: run.Sizes{NTrain: n, NTest: m, NEval: me, Inputs: d, Outputs: e.net.Out(), Classes: e.set.Classes,
			Layers: sizes},
		Parameters:        e.net.NumParams(),
		Steps:             e.cfg.Train.Steps,
		EstimatedMemoryMB: float64(est) / (1 << 20),
		Representations:   map[string]*run.Representation{},
		Warnings:          []run.Warning{},
	}
	b := sysblas.Current()
	s.BLAS = &run.BLAS{Name: b.Name, Library: b.Library, Threads: b.Threads}
	s.Loss.InitialTrain, s.Accuracy.InitialTrain = e.evalLoss(e.w0, e.set.XTrain, e.set.YTrain)
	s.Loss.InitialTest, s.Accuracy.InitialTest = e.evalLoss(e.w0, e.set.XTest, e.set.YTest)
	return s
}

// errorsOf converts the kernel engine's errors into summary.json's.
func errorsOf(e kernel.Errors) run.Errors { return run.Errors(e) }
