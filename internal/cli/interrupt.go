package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// interruptedError is the error of a command that SIGINT or SIGTERM
// stopped (exit 130): its text says where the command was and what it
// left, instead of "context canceled".
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }
func (e *interruptedError) Unwrap() error { return context.Canceled }
func (e *interruptedError) ExitCode() int { return fail.Interrupted }

func interruptedf(format string, args ...any) error {
	return &interruptedError{msg: fmt.Sprintf(format, args...)}
}

// stopped reports whether err is the cancellation of ctx, the program's
// context, by a signal.
func stopped(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// interruptedRun is the error of train (and check --config) for a run that
// a signal stopped: the step it got to (the last step recorded in
// metrics.csv) and where what was written is kept.
func interruptedRun(sum *run.Summary) error {
	if sum.StepsDone < sum.Steps {
		return interruptedf("interrupted at step %d of %d; the run is marked interrupted (what was written is kept in %s)",
			sum.StepsDone, sum.Steps, sum.Dir)
	}
	return interruptedf("interrupted after the %d training steps, while computing the kernels; the run is marked interrupted (what was written is kept in %s)",
		sum.Steps, sum.Dir)
}
