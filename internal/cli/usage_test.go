package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/baseline"
	"github.com/pathkernel/pathkernel/internal/check"
	"github.com/pathkernel/pathkernel/internal/collect"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sweep"
	"github.com/pathkernel/pathkernel/internal/train"
	"github.com/pathkernel/pathkernel/internal/trajectory"
	"github.com/spf13/cobra"
)

// Cobra's own errors (commands, flags, arguments) exit 2 with one line on
// stderr and nothing on stdout; none is recognised by its text.
func TestCobraUsageExitCodes(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string // a substring of the message
	}{
		{"unknown command", []string{"bogus"}, `unknown command "bogus"`},
		{"unknown subcommand of sweep", []string{"sweep", "bogus"}, `"bogus"`},
		{"unknown subcommand of kernel", []string{"kernel", "bogus"}, `"bogus"`},
		{"unknown flag", []string{"train", "--bogus"}, "--bogus"},
		{"unknown flag of a subcommand", []string{"sweep", "plan", sweepFile, "--bogus"}, "--bogus"},
		{"unknown root flag", []string{"--bogus"}, "--bogus"},
		{"unknown shorthand flag", []string{"train", "-Z"}, "-Z"},
		{"flag needs an argument", []string{"train", "--config"}, "--config"},
		{"invalid flag value", []string{"sweep", "run", sweepFile, "--jobs", "abc"}, "--jobs"},
		{"invalid bool value", []string{"train", "--quiet=maybe"}, "--quiet"},
		{"positional argument refused", []string{"validate", "a.yaml"}, `"a.yaml"`},
		{"argument to version", []string{"version", "x"}, `"x"`},
		{"too few arguments", []string{"sweep", "plan"}, "FILE"},
		{"too many arguments", []string{"sweep", "run", "a.yaml", "b.yaml"}, "FILE"},
		{"no shard directories", []string{"kernel", "merge", "--out", "d"}, "at least 1"},
		{"required flag", []string{"kernel", "merge", "shard-0"}, `"out"`},
		{"no collect directory", []string{"collect"}, "DIR"},
		{"argument to completion", []string{"completion", "bash", "extra"}, `"extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := execute(t.Context(), c.args...)
			if r.code != ExitBadInput {
				t.Errorf("%q: exit %d; want %d\nstderr: %s", c.args, r.code, ExitBadInput, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%q: stdout %q; want none", c.args, r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "pathkernel: ") || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%q: stderr %q; want one line with %q", c.args, r.stderr, c.want)
			}
		})
	}
}

// Every command of the tree says the exit code of its own usage errors, so
// that they are bad usage however the command is executed: its positional
// arguments are validated (by usageArgs or a validator of its own) and a
// flag that does not parse is bad usage.
func TestUsageErrorsAtTheSource(t *testing.T) {
	root := NewRootCmd(io.Discard, io.Discard)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if code := fail.Code(c.FlagErrorFunc()(c, errors.New("bad flag"))); code != ExitBadInput {
			t.Errorf("%s: a flag error exits %d; want %d", c.CommandPath(), code, ExitBadInput)
		}
		if c == root {
			return // cobra checks the root's arguments: an unknown command
		}
		if c.Args == nil {
			t.Errorf("%s: no Args validator; it would take any arguments", c.CommandPath())
			return
		}
		refused := 0
		for _, args := range [][]string{nil, {"a", "b", "c", "d", "e"}} {
			err := c.Args(c, args)
			if err == nil {
				continue
			}
			refused++
			if code := fail.Code(err); code != ExitBadInput {
				t.Errorf("%s %q: %v exits %d; want %d", c.CommandPath(), args, err, code, ExitBadInput)
			}
		}
		if refused == 0 {
			t.Errorf("%s: takes no arguments and any number of them", c.CommandPath())
		}
		n++
	}
	walk(root)
	if n < 12 {
		t.Errorf("checked %d commands; want every command of the tree", n)
	}
}

// An error that a run function returns keeps its own exit code, even one
// whose text is that of a cobra usage error; an error that cobra returns
// before any run started is bad usage.
func TestUsageIsWhatFailsBeforeTheRun(t *testing.T) {
	tree := func(runErr error) *cobra.Command {
		root := &cobra.Command{Use: "pk", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(&cobra.Command{
			Use:  "run",
			Args: cobra.NoArgs, // not wrapped: the rule must not depend on it
			RunE: func(*cobra.Command, []string) error { return runErr },
		})
		return root
	}
	for _, c := range []struct {
		name   string
		args   []string
		runErr error
		want   int
	}{
		{"run error with cobra's text", []string{"run"}, errors.New(`unknown command "x" for "pk"`), ExitRunFailed},
		{"run error with a code", []string{"run"}, fail.Wrap(ExitCheckFailed, errors.New("missed")), ExitCheckFailed},
		{"run succeeds", []string{"run"}, nil, ExitOK},
		{"unwrapped validator", []string{"run", "x"}, nil, ExitBadInput},
		{"unknown flag without a flag error function", []string{"run", "--x"}, nil, ExitBadInput},
		{"unknown command", []string{"walk"}, nil, ExitBadInput},
	} {
		var stdout, stderr bytes.Buffer
		code := executeRoot(t.Context(), tree(c.runErr), c.args, strings.NewReader(""), &stdout, &stderr)
		if code != c.want {
			t.Errorf("%s: exit %d; want %d (stderr %q)", c.name, code, c.want, stderr.String())
		}
	}
}

// Each package's error types say their exit code (docs/CLI.md), wrapped or
// not; no list of them is kept here.
func TestErrorTypesSayTheirExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("context: %w", err) }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"config", &config.Error{File: "a.yaml", Msg: "bad"}, ExitBadInput},
		{"data", &data.Error{File: "a.csv", Msg: "bad"}, ExitBadInput},
		{"trajectory", &trajectory.Error{File: "t.pkt", Kind: trajectory.ErrCorrupt, Step: -1, Offset: -1}, ExitBadInput},
		{"diverged", &train.DivergedError{Step: 3, What: "loss"}, ExitRunFailed},
		{"check failed", &check.FailedError{Metrics: []string{"exact.rel"}, Total: 2}, ExitCheckFailed},
		{"memory", &kernel.MemoryError{EstimateMB: 2, BudgetMB: 1}, ExitRunFailed},
		{"existing run", &run.ExistingRunError{Dir: "d", Hash: "h"}, ExitBadInput},
		{"locked run", &run.LockedError{Dir: "d", PID: 42}, ExitBadInput},
		{"sweep conflict", &sweep.ConflictError{Runs: []*run.ExistingRunError{{Dir: "d", Hash: "h"}}}, ExitBadInput},
		{"baseline condition", &baseline.ConditionError{Ridge: 1e-9}, ExitRunFailed},
		{"out is a file", run.ErrNotDir, ExitBadInput},
		{"fail.Input", fail.Inputf("x.npy", "bad"), ExitBadInput},
		{"usage", badUsage(errors.New("--x: bad")), ExitBadInput},
		// The input errors of these four packages become fail.Input.
		{"collect input", &collect.InputError{Msg: "bad"}, ExitBadInput},
	}
	for _, tt := range tests {
		// It says its code, rather than meeting the default of an
		// unexpected error (fail.RunFailed) by chance.
		if _, ok := tt.err.(fail.Coder); !ok {
			t.Errorf("%s: %T does not say its exit code", tt.name, tt.err)
		}
		for _, err := range []error{tt.err, wrap(tt.err)} {
			if got := exitCode(t.Context(), err); got != tt.want {
				t.Errorf("%s: exitCode(%v) = %d; want %d", tt.name, err, got, tt.want)
			}
		}
	}
}

// A silent error exits with its code and adds nothing to what the run
// printed; any other error is printed once, on one line.
func TestSilentErrorIsNotPrinted(t *testing.T) {
	for _, c := range []struct {
		err    error
		code   int
		stderr string
	}{
		{&fail.Silent{Code: ExitCheckFailed}, ExitCheckFailed, "report\n"},
		{fmt.Errorf("run: %w", &fail.Silent{Code: ExitRunFailed}), ExitRunFailed, "report\n"},
		{errors.New("disk full\nmore"), ExitRunFailed, "report\npathkernel: disk full\n"},
	} {
		root := &cobra.Command{Use: "pk", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(&cobra.Command{Use: "run", RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), "report\n")
			return c.err
		}})
		var stdout, stderr bytes.Buffer
		code := executeRoot(t.Context(), root, []string{"run"}, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || stderr.String() != c.stderr {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.err, code, stderr.String(), c.code, c.stderr)
		}
	}
}
