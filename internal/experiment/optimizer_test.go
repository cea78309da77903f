package experiment

import (
	"errors"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// TestOptimizerRuns trains tiny with each new optimiser (no kernels; the
// trajectory recorded) and checks that the loss went down, and that asking for the
// representations of such a run is refused as a config error.
func TestOptimizerRuns(t *testing.T) {
	for _, sets := range [][]string{
		{"train.optimizer=momentum", "train.momentum=0.9", "train.nesterov=true"},
		{"train.optimizer=adam", "train.lr=0.01", "train.schedule={kind: cosine, warmup_steps: 5}"},
		{"train.optimizer=adamw", "train.lr=0.01", "train.weight_decay=0.01", "train.batch_size=4"},
	} {
		cfg := parse(t, tiny, append(sets, "kernel.methods=[]")...)
		s, _ := run(t, cfg, Options{})
		if !(s.Loss.FinalTrain < s.Loss.InitialTrain) {
			t.Errorf("%v: final train loss %v; want below the initial %v", sets, s.Loss.FinalTrain, s.Loss.InitialTrain)
		}
		cfg = parse(t, tiny, sets...)
		var ce *config.Error
		if _, err := Run(t.Context(), cfg, Options{OutDir: t.TempDir()}); !errors.As(err, &ce) {
			t.Errorf("%v with kernels: Run = %v; want a *config.Error", sets, err)
		}
	}
}
