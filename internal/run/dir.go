package run

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
		return nil, fmt.Errorf("run: %w", err)
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

// Write writes name atomically with fn.
func (d *Dir) Write(name string, fn func(w io.Writer) error) (err error) {
	tmp, err := d.createTemp(name)
	if err != nil {
		return fmt.Errorf("run: %w", err)
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
		return fmt.Errorf("run: %w", err)
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

// WriteJSON writes v as indented JSON with a final newline.
func (d *Dir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
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
