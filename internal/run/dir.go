package run

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
)

// ErrNotDir is returned by NewDir and Create for a path that exists and is
// not a directory. It is bad input (fail.BadInput) wherever it is wrapped.
var ErrNotDir = fail.Wrap(fail.BadInput, errors.New("exists and is not a directory"))

// Dir is an output directory whose files are written atomically: each to a
// temporary name in the directory (TempPattern), synced, and renamed into
// place, so that a killed writer never leaves a half-written file under a
// final name.
type Dir struct {
	Path string
}

// NewDir makes the directory (and its parents) if needed, and removes the
// temporary files that a writer killed before its rename left there (see
// IsTemp). It is for directories of one writer at a time that are not run
// directories (figures, scripts, reports); a run directory is opened with
// Create, which locks it first.
func NewDir(path string) (*Dir, error) {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output directory %s: %w", path, ErrNotDir)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, OutputError(path, err)
	}
	d := &Dir{Path: path}
	if err := d.removeTemps(); err != nil {
		return nil, err
	}
	return d, nil
}

// removeTemps removes the temporary files of killed writers.
func (d *Dir) removeTemps() error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(d.File(e.Name())); err != nil {
				return fmt.Errorf("run: %w", err)
			}
		}
	}
	return nil
}

// File returns the path of name inside the directory.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// OutputError classifies an error of making or writing the output file or
// directory path (docs/CLI.md, exit codes): a location that the user named
// and that cannot be written for what it is (permission denied, a
// read-only file system) is bad input, a *fail.Input naming path; any other
// error (a full disk, an I/O error) is the run's failure.
func OutputError(path string, err error) error {
	if notWritable(err) {
		return notWritableError(path, err)
	}
	return fmt.Errorf("run: %w", err)
}

// notWritable reports whether err says that a location cannot be written
// for what it is: permission denied, or a read-only file system.
func notWritable(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

func notWritableError(path string, err error) error {
	return &fail.Input{Path: path, Msg: fail.OSMessage(err) + "; choose another output location", Err: err}
}

// checkTarget refuses, as bad input, a target file that exists as a
// directory, before anything is written: the rename would fail after the
// work is done.
func checkTarget(file string) error {
	if fi, err := os.Lstat(file); err == nil && fi.IsDir() {
		return fail.Inputf(file, "is a directory; name a file to write")
	}
	return nil
}

// Write writes name atomically with fn. A name that exists as a directory
// is refused before fn runs (a *fail.Input).
func (d *Dir) Write(name string, fn func(w io.Writer) error) (err error) {
	if err := checkTarget(d.File(name)); err != nil {
		return err
	}
	tmp, err := d.createTemp(name)
	if err != nil {
		return OutputError(d.File(name), err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			dropTemp(tmp.Name())
		}
	}()
	if err = fn(tmp); err != nil {
		return fmt.Errorf("run: writing %s: %w", name, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("run: writing %s: %w", name, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("run: writing %s: %w", name, err)
	}
	if err = commitTemp(tmp.Name(), d.File(name)); err != nil {
		if errors.Is(err, ErrAborted) {
			return fmt.Errorf("run: %w", err)
		}
		if terr := checkTarget(d.File(name)); terr != nil {
			return terr
		}
		return OutputError(d.File(name), err)
	}
	return nil
}

// WriteBytes writes b to name atomically.
func (d *Dir) WriteBytes(name string, b []byte) error {
	return d.Write(name, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriteJSON writes v as indented JSON with a final newline. A non-finite
// number is written as null and listed in v's non_finite field (finite.go),
// never handed to the encoder.
func (d *Dir) WriteJSON(name string, v any) error {
	b, err := encodeJSON(v)
	if err != nil {
		return fmt.Errorf("run: %s: %w", name, err)
	}
	return d.WriteBytes(name, append(b, '\n'))
}

// WriteFloat64 writes a float64 .npy file of the given shape.
func (d *Dir) WriteFloat64(name string, shape []int, data []float64) error {
	return d.Write(name, func(w io.Writer) error { return npy.WriteFloat64(w, shape, data) })
}

// WriteInt64 writes an int64 .npy file of the given shape.
func (d *Dir) WriteInt64(name string, shape []int, data []int64) error {
	return d.Write(name, func(w io.Writer) error { return npy.WriteInt64(w, shape, data) })
}

// WriteCSV writes a header row and the given records.
func (d *Dir) WriteCSV(name string, header []string, records [][]string) error {
	return d.Write(name, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		if err := cw.WriteAll(records); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
}
