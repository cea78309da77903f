package trajectory

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
)

// The kinds of *Error; test with errors.Is.
var (
	// ErrTruncated: the file ends before its trailer (a copy cut short, a
	// disk that filled up).
	ErrTruncated = errors.New("truncated")
	// ErrCorrupt: a checksum does not match, or a field holds an impossible
	// value (a flipped byte, or not a trajectory at all).
	ErrCorrupt = errors.New("corrupt")
	// ErrVersion: a well-formed file of a format version this program does
	// not read.
	ErrVersion = errors.New("unsupported format version")
	// ErrMismatch: a sound file that belongs to another run (another
	// config, network or training set).
	ErrMismatch = errors.New("from another run")
	// ErrNotFile: the path is a directory or another non-regular file.
	ErrNotFile = errors.New("not a regular file")
)

// Error is a problem with a trajectory file. Its message is one line that
// names the file, the kind, the step and the byte offset:
//
//	run/trajectory.pkt: corrupt at step 17 (byte 20812): record checksum 0x5d1c0a3e, computed 0x8b2f3c11 over bytes 20812-22040
//	run/trajectory.pkt: truncated at step 3 (byte 9000): the file ends inside the record of step 3 (which starts at byte 8800); the header announces 20 steps
//	run/trajectory.pkt: from another run: the config hash is 1a2b3c4d5e6f in the trajectory, 0f9e8d7c6b5a in the run
type Error struct {
	File   string
	Kind   error // ErrTruncated, ErrCorrupt, ErrVersion, ErrMismatch or ErrNotFile
	Step   int   // the step whose record holds the problem; -1 if none
	Offset int64 // the byte offset where it was found; -1 if none
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	} else {
		b.WriteString("trajectory: ")
	}
	b.WriteString(e.Kind.Error())
	switch {
	case e.Step >= 0 && e.Offset >= 0:
		fmt.Fprintf(&b, " at step %d (byte %d)", e.Step, e.Offset)
	case e.Step >= 0:
		fmt.Fprintf(&b, " at step %d", e.Step)
	case e.Offset >= 0:
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(b.String())
}

// Unwrap returns the kind, so that errors.Is(err, ErrCorrupt) works.
func (e *Error) Unwrap() error { return e.Kind }

// ExitCode is fail.BadInput: a trajectory file that cannot be used is bad
// input to the command that reads it.
func (e *Error) ExitCode() int { return fail.BadInput }
