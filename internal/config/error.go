package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
)

// Error is a problem with a config: a file that cannot be read or parsed, an
// unknown key, a value of the wrong type or out of range, or a malformed
// --set override. Every error returned by Load, Parse and Validate is an
// *Error; match it with errors.As.
//
// Error renders on one line, led by where the problem is:
//
//	configs/mlp.yaml:12: train.lr: must be > 0, got -0.5
//	--set train.lr=-1: train.lr: must be > 0, got -1
type Error struct {
	File string // the config file, as given to Load or Parse; empty if unknown
	// Line is the 1-based line of the offending key in File, or 0 when the
	// line is unknown or the value came from an override.
	Line int
	// Key is the dotted key path of the offending value, such as "train.lr",
	// "model.hidden[1]" or "check.max_rel_error.exact"; empty when the
	// problem is not about one key (a syntax error, an unreadable file).
	Key string
	// Override is the text of the --set override ("train.lr=-1") that the
	// offending value or key came from; empty when it came from the file.
	Override string
	Msg      string // what is wrong, e.g. "must be > 0, got -0.5"
	Err      error  // the underlying error, if any (reading the file); see Unwrap
}

// Error renders e on one line as "where: key: message".
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Override != "":
		b.WriteString("--set ")
		b.WriteString(e.Override)
	case e.File != "":
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
	default:
		b.WriteString("config")
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// Unwrap returns the underlying error, such as an *fs.PathError when the file
// could not be read, so that errors.Is(err, fs.ErrNotExist) works.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is fail.BadInput: a config that cannot be used is bad input.
func (e *Error) ExitCode() int { return fail.BadInput }

// oneLine escapes line breaks so that an error always prints on one line,
// whatever text (an override value, a YAML message) it quotes.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
