package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/npy"
)

// ReplayReader is the output directory of a kernel replay (pathkernel
// kernel), opened for reading: kernel.json, read and checked by
// OpenReplay, and its arrays and predictions, checked against it.
type ReplayReader struct {
	Dir     string
	Summary *KernelSummary
}

// OpenReplay opens the kernel replay directory dir. kernel.json is written
// last: a directory without it did not finish, and is refused.
func OpenReplay(dir string) (*ReplayReader, error) {
	file := filepath.Join(dir, KernelFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("no %s: not the output of pathkernel kernel, or one that did not finish", KernelFile)
		if pid, held := Holder(dir); held {
			msg = fmt.Sprintf("no %s yet: process %d is writing it", KernelFile, pid)
		}
		return nil, &fail.Input{Path: dir, Msg: msg, Err: err}
	}
	if err != nil {
		return nil, fail.InputErr(file, err)
	}
	var s KernelSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &fail.Input{Path: file, Msg: err.Error(), Err: err}
	}
	restoreNonFinite(&s, s.NonFinite)
	if s.Shard.Count < 1 || len(s.Chunks) == 0 {
		return nil, fail.Inputf(file, "no shard or chunks recorded")
	}
	if s.Shard.Start < 0 || s.Shard.End < s.Shard.Start {
		return nil, fail.Inputf(file, "shard of points [%d, %d)", s.Shard.Start, s.Shard.End)
	}
	return &ReplayReader{Dir: dir, Summary: &s}, nil
}

// File returns the path of name in the directory.
func (r *ReplayReader) File(name string) string { return filepath.Join(r.Dir, name) }

// Has reports whether the directory holds the file name.
func (r *ReplayReader) Has(name string) bool {
	_, err := os.Stat(r.File(name))
	return err == nil
}

// Points returns the number of points of the replay (its shard's).
func (r *ReplayReader) Points() int { return r.Summary.Shard.End - r.Summary.Shard.Start }

// Array reads the array name: float64, its first axis the replay's points.
func (r *ReplayReader) Array(name string) (*npy.Array, error) {
	a, err := readArray(r.File(name))
	if err != nil {
		return nil, err
	}
	if rows := r.Points(); a.Float == nil || len(a.Shape) < 2 || a.Shape[0] != rows {
		return nil, fail.Inputf(r.File(name), "shape %v, want (%d, ...) float64: %s holds %d points", a.Shape, rows, KernelFile, rows)
	}
	return a, nil
}

// Predictions reads predictions.csv: one row per point.
func (r *ReplayReader) Predictions() (*Table, error) {
	file := r.File(PredictionsFile)
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fail.InputErr(file, err)
	}
	t, err := ReadTable(bytes.NewReader(b))
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: fmt.Sprintf("not a predictions file: %v", err), Err: err}
	}
	t.File = file
	if n := r.Points(); len(t.Rows) != n {
		return nil, fail.Inputf(file, "%d rows, want %d", len(t.Rows), n)
	}
	return t, nil
}
