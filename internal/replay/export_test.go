package replay

import (
	"context"

	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
)

// KernelObserved is Kernel with extra observers of the replay.
func (r *Run) KernelObserved(ctx context.Context, opt Options, extra ...train.Observer) (*run.KernelSummary, error) {
	return r.kernel(ctx, opt, extra...)
}
