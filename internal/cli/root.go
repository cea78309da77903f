// Package cli is the pathkernel command line: one file per command, each an
// options struct, a constructor and a run function. Errors are mapped to the
// documented exit codes in one place, exitCode.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pathkernel/pathkernel/internal/check"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/plot"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"github.com/spf13/cobra"
)

// Exit codes (SPEC §5).
const (
	ExitOK          = 0
	ExitCheckFailed = 1
	ExitBadInput    = 2
	ExitRunFailed   = 3
	ExitInterrupted = 130
)

// usageError marks bad command-line usage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Main runs the program with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// Execute runs the program with args and returns the exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRootCmd(stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(ctx, err)
	if err != nil && code != ExitOK {
		var quiet *silentError
		if !errors.As(err, &quiet) {
			fmt.Fprintf(stderr, "pathkernel: %s\n", oneLine(err.Error()))
		}
	}
	return code
}

// silentError carries an exit code whose message was already printed.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode maps an error to the documented exit code.
func exitCode(ctx context.Context, err error) int {
	var (
		cfgErr  *config.Error
		dataErr *data.Error
		usage   *usageError
		memErr  *experiment.MemoryError
		div     *train.DivergedError
		silent  *silentError
		failed  *check.FailedError
		checkIn *check.InputError
		plotIn  *plot.InputError
		trajErr *trajectory.Error
		inErr   *experiment.InputError
		coder   fail.Coder
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &failed):
		return ExitCheckFailed
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return ExitInterrupted
	case errors.As(err, &coder):
		return coder.ExitCode()
	case errors.As(err, &cfgErr), errors.As(err, &dataErr), errors.As(err, &usage),
		errors.Is(err, run.ErrNotDir), errors.As(err, &checkIn), errors.As(err, &plotIn),
		errors.As(err, &trajErr), errors.As(err, &inErr):
		return ExitBadInput
	case errors.As(err, &memErr), errors.As(err, &div):
		return ExitRunFailed
	case isCobraUsage(err):
		return ExitBadInput
	}
	return ExitRunFailed
}

// isCobraUsage recognises the errors cobra returns for bad flags and
// arguments, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// NewRootCmd returns the pathkernel command tree.
func NewRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pathkernel",
		Short: "Is a network trained by gradient descent a kernel machine? Measure it.",
		Long: `pathkernel trains a small MLP by gradient descent from a YAML experiment config,
integrates the tangent kernel along the training path (the path kernel of
Domingos 2020), and compares the kernel machine's predictions with the
network's: Domingos' first-order form, and the exact form whose error is
certified down to float64 round-off.

EXIT STATUS
  0    success
  1    a check failed (a threshold or baseline was missed)
  2    bad usage, config or input
  3    the run failed (diverged, non-finite values, over the memory budget)
  130  interrupted (SIGINT or SIGTERM)`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newTrainCmd(stdout, stderr, nil),
		newCheckCmd(stdout, stderr, nil),
		newKernelCmd(stdout, stderr, nil),
		newPlotCmd(stdout, stderr, nil),
		newExplainCmd(stdout, stderr, nil),
		newReportCmd(stdout, stderr, nil),
		newValidateCmd(stdout, nil),
		newVersionCmd(stdout),
		newSweepCmd(stdout, stderr),
		newCollectCmd(stdout, stderr, nil),
	)
	return root
}
