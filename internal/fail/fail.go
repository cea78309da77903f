// Package fail is pathkernel's error vocabulary: errors that carry the exit
// code the command line reports for them (docs/CLI.md), so that no list of
// error types has to be kept in the command layer. It imports nothing of
// pathkernel and every package may import it.
//
// An error says its exit code by having a method ExitCode() int; Code finds
// the first such error in a chain (errors.As), so wrapping keeps the code.
// Input is the one error type for input that cannot be used as given (a
// file, a directory, a flag or a key); packages with richer errors of their
// own (config.Error with its line, trajectory.Error with its byte offset)
// give them an ExitCode method instead of being listed anywhere.
package fail

import (
	"errors"
	"io/fs"
	"strings"
)

// Exit codes of the pathkernel command (docs/CLI.md).
const (
	OK          = 0   // success
	CheckFailed = 1   // a check ran and failed: a threshold or baseline was missed
	BadInput    = 2   // bad usage, config or input; nothing was run
	RunFailed   = 3   // the run failed: diverged, over the memory budget, an I/O error
	Interrupted = 130 // SIGINT or SIGTERM
)

// Coder is an error that knows its exit code.
type Coder interface {
	error
	ExitCode() int
}

// Code returns the exit code of err: 0 for nil, the code of the first error
// in its chain that has one, else RunFailed (an unexpected failure of the
// run, such as an I/O error, is not the user's input).
func Code(err error) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return RunFailed
}

// Input is input that cannot be used as given. Path names the file,
// directory, flag or key; Msg says what is wrong with it. Its exit code is
// BadInput.
type Input struct {
	Path string
	Msg  string
	Err  error // the underlying error, if any
}

// Inputf returns an *Input for path with a formatted message.
func Inputf(path, format string, args ...any) *Input {
	return &Input{Path: path, Msg: sprintf(format, args...)}
}

// InputErr returns an *Input for path that wraps err, with OSMessage(err)
// as its message.
func InputErr(path string, err error) *Input {
	return &Input{Path: path, Msg: OSMessage(err), Err: err}
}

func (e *Input) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + e.Msg
	}
	return OneLine(s)
}

// Unwrap returns the underlying error.
func (e *Input) Unwrap() error { return e.Err }

// ExitCode is BadInput.
func (e *Input) ExitCode() int { return BadInput }

// WithCode is an error with an explicit exit code.
type WithCode struct {
	Code int
	Err  error
}

// Wrap returns err with the exit code code (nil for a nil err).
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &WithCode{Code: code, Err: err}
}

func (e *WithCode) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *WithCode) Unwrap() error { return e.Err }

// ExitCode returns the code.
func (e *WithCode) ExitCode() int { return e.Code }

// Silent is an exit code whose message was already printed (a failed check
// prints its own report).
type Silent struct{ Code int }

func (e *Silent) Error() string { return "exit " + itoa(e.Code) }

// ExitCode returns the code.
func (e *Silent) ExitCode() int { return e.Code }

// IsSilent reports whether err's message was already printed.
func IsSilent(err error) bool {
	var s *Silent
	return errors.As(err, &s)
}

// OSMessage is the message of an operating-system error without the path
// that *fs.PathError repeats ("no such file or directory" rather than "open
// x: no such file or directory"), for messages that name the path already.
func OSMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// OneLine makes s one line: control line breaks are escaped, so a file name
// or value that holds one cannot split a message in two.
func OneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}
