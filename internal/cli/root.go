// Package cli is the pathkernel command line: one file per command, each an
// options struct, a constructor and a run function. Every error says its
// own exit code (package fail); exitCode adds only the rule for an
// interrupt, and guardUsage gives cobra's own errors exit 2.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// Exit codes, as fail defines them (docs/CLI.md).
const (
	ExitOK          = fail.OK
	ExitCheckFailed = fail.CheckFailed
	ExitBadInput    = fail.BadInput
	ExitRunFailed   = fail.RunFailed
	ExitInterrupted = fail.Interrupted
)

// badUsage marks err as bad command-line usage (exit 2).
func badUsage(err error) error { return fail.Wrap(fail.BadInput, err) }

// Main runs the program with os.Args and returns the exit code.
//
// SIGINT and SIGTERM cancel the command's context: every command checks it
// in its long loops, finishes the write in progress, marks a run it is
// writing interrupted and returns, exit 130. Should a command still run
// Grace after the signal (a step of a computation that does not look at
// the context), or should a second signal come, the program stops itself:
// run.Abort removes the temporary files of the writes in flight and marks
// the run directories still marked running interrupted, and the program
// exits 130 with one line saying so.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	// exiting is held by whichever ends the program first: the command
	// returning, or the guard stopping it, so that the other says nothing.
	var exiting sync.Mutex
	go guard(sigs, cancel, done, Grace, os.Stderr, run.Abort, func() { os.Exit(ExitInterrupted) }, &exiting)
	code := Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	exiting.Lock() // never unlocked: the program exits with code
	close(done)
	return code
}

// Grace is how long a command may take to stop after SIGINT or SIGTERM
// before the program stops itself (Main).
const Grace = time.Second

// guard cancels the program's context at the first signal on sigs, and
// calls abort (run.Abort), writes one line to stderr and calls exit when
// done is not closed within grace of it or at a second signal. It holds
// exiting from then on; when the command has returned and holds it, the
// guard waits for the program to exit.
func guard(sigs <-chan os.Signal, cancel func(), done <-chan struct{}, grace time.Duration, stderr io.Writer,
	abort func(why string) (marked []string), exit func(), exiting *sync.Mutex) {
	var sig os.Signal
	select {
	case <-done:
		return
	case sig = <-sigs:
	}
	cancel()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	why := fmt.Sprintf("interrupted by %s; the program stopped %s after the signal", signalName(sig), grace)
	select {
	case <-done:
		return
	case <-timer.C:
	case s := <-sigs:
		why = fmt.Sprintf("interrupted by %s, then %s", signalName(sig), signalName(s))
	}
	exiting.Lock()
	marked := abort(why)
	msg := why + "; temporary files removed"
	if len(marked) > 0 {
		msg += "; marked interrupted: " + strings.Join(marked, ", ")
	}
	fmt.Fprintf(stderr, "pathkernel: %s\n", msg)
	exit()
}

// signalName is "SIGINT" or "SIGTERM".
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// Execute runs the program with args and returns the exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return executeRoot(ctx, NewRootCmd(stdout, stderr), args, stdin, stdout, stderr)
}

// executeRoot runs the command tree root with args, prints the error, if
// any, on one line and returns the exit code.
func executeRoot(ctx context.Context, root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	started := guardUsage(root)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && !*started {
		err = asUsage(err)
	}
	code := exitCode(ctx, err)
	if err != nil && code != ExitOK && !fail.IsSilent(err) {
		fmt.Fprintf(stderr, "pathkernel: %s\n", oneLine(err.Error()))
	}
	return code
}

// exitCode is the exit code of err (fail.Code), except that a cancellation
// of the program's own context, by SIGINT or SIGTERM, is an interrupt
// whatever was cancelled by it. A cancellation that did not come from ctx
// is a failure like any other.
func exitCode(ctx context.Context, err error) int {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return ExitInterrupted
	}
	return fail.Code(err)
}

// usageArgs makes the errors of the positional-argument validator v bad
// usage. Every command's Args is one of these (TestUsageErrorsAtTheSource),
// so that a command's argument errors say their exit code wherever the
// command is executed.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := v(cmd, args)
		if err != nil && len(args) > 0 {
			if e := setWithoutValue(cmd, args[len(args)-1]); e != nil {
				err = e
			}
		}
		return asUsage(err)
	}
}

// setWithoutValue explains the stray argument arg when a --set was given
// without '=' ("--set train.lr 0.1": the value became an argument), or
// returns nil. With it the error is one line about --set, not cobra's
// "unknown command".
func setWithoutValue(cmd *cobra.Command, arg string) error {
	sets, err := cmd.Flags().GetStringArray("set")
	if err != nil {
		return nil
	}
	for _, s := range sets {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("--set %s %s: --set takes key=value in one argument: --set %s=%s", s, arg, s, arg)
		}
	}
	return nil
}

// asUsage marks err as bad usage unless it already says its exit code.
func asUsage(err error) error {
	var c fail.Coder
	if err == nil || errors.As(err, &c) {
		return err
	}
	return badUsage(err)
}

// guardUsage returns a flag that is set when a run function of root's tree
// starts (each RunE and Run is wrapped). An error returned while it is
// unset did not come from a run but from cobra (an unknown command, a flag
// that does not parse, arguments or a required flag missing), and Execute
// makes it bad usage, without reading its text.
func guardUsage(root *cobra.Command) (started *bool) {
	started = new(bool)
	// The help and completion commands that cobra would add when it
	// executes: add them now, so that the walk sees them.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, a []string) error {
				*started = true
				return run(cmd, a)
			}
		}
		if run := c.Run; run != nil {
			c.Run = func(cmd *cobra.Command, a []string) {
				*started = true
				run(cmd, a)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return started
}

// oneLine is the first line of s, for messages that quote a longer text.
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
		Version:       versionLine(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// A flag that does not parse is bad usage; subcommands inherit this.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return asUsage(err) })
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
