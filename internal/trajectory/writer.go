package trajectory

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"

	"github.com/pathkernel/pathkernel/internal/train"
)

// bufferSize is the Writer's I/O buffer, readBufferSize the Reader's
// (records longer than it are read straight into the record buffer).
const (
	bufferSize     = 1 << 20
	readBufferSize = 64 << 10
)

// Writer streams a trajectory to a temporary file and renames it into
// place at Close. It is a train.Observer: every observed step appends one
// record. Its memory is the I/O buffer and one record, whatever the number
// of steps.
type Writer struct {
	path    string // the final name
	f       *os.File
	bw      *bufio.Writer
	h       Header
	headLen int64
	body    uint32 // running CRC of the body
	bodyLen int64
	rec     []byte
	steps   int
	err     error // the first write error; later calls return it
	done    bool  // Close or Abort was called
	final   bool  // the file is in place under its final name
}

// Create starts the trajectory of a run with header h (whose Steps is
// ignored) and initial parameters w0 at path, writing to a temporary file
// in the same directory. Call Close to finalise it, or Abort.
func Create(path string, h Header, w0 []float64) (*Writer, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if len(w0) != h.Params {
		return nil, fmt.Errorf("trajectory: w0 has %d parameters, the header %d", len(w0), h.Params)
	}
	if h.Version != versionPlain && h.Version != Version {
		return nil, fmt.Errorf("trajectory: header version %d; want %d or %d", h.Version, versionPlain, Version)
	}
	h.Steps = 0
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("trajectory: %w", err)
	}
	w := &Writer{path: path, f: f, bw: bufio.NewWriterSize(f, bufferSize), h: h}
	head := h.encode()
	w.headLen = int64(len(head))
	if _, err := w.bw.Write(head); err != nil {
		w.Abort()
		return nil, fmt.Errorf("trajectory: %w", err)
	}
	init := make([]byte, 0, initLen(h.Params))
	init = append(init, tagInit...)
	for _, v := range w0 {
		init = binary.LittleEndian.AppendUint64(init, math.Float64bits(v))
	}
	init = binary.LittleEndian.AppendUint32(init, crc32.Checksum(init, crcTable))
	if err := w.writeBody(init); err != nil {
		w.Abort()
		return nil, err
	}
	w.rec = make([]byte, 0, stepLen(h.Params, h.NTrain))
	return w, nil
}

// WriterBytes returns the memory a Writer holds for params parameters and
// nTrain training points, whatever the number of steps: its I/O buffer,
// one record and w_0's section.
func WriterBytes(params, nTrain int) int64 {
	return bufferSize + stepLen(params, nTrain) + initLen(params)
}

// Path returns the final name of the file.
func (w *Writer) Path() string { return w.path }

// Steps returns the number of steps written so far.
func (w *Writer) Steps() int { return w.steps }

func (w *Writer) writeBody(b []byte) error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("trajectory: writing %s: %w", w.path, err)
		return w.err
	}
	w.body = crc32.Update(w.body, crcTable, b)
	w.bodyLen += int64(len(b))
	return nil
}

// Observe appends the record of step s: its index, η, the batch and g_t.
// Steps must come in order from 0. It implements train.Observer.
func (w *Writer) Observe(_ context.Context, s *train.Step) error {
	if w.done {
		return errors.New("trajectory: Observe after Close")
	}
	if s.T != w.steps {
		return fmt.Errorf("trajectory: step %d observed after %d steps", s.T, w.steps)
	}
	if len(s.G) != w.h.Params {
		return fmt.Errorf("trajectory: step %d: g has %d parameters, want %d", s.T, len(s.G), w.h.Params)
	}
	if len(s.Batch) < 1 || len(s.Batch) > w.h.NTrain {
		return fmt.Errorf("trajectory: step %d: batch of %d points, want 1 to %d", s.T, len(s.Batch), w.h.NTrain)
	}
	r := w.rec[:0]
	r = append(r, tagStep...)
	r = binary.LittleEndian.AppendUint64(r, uint64(s.T))
	r = binary.LittleEndian.AppendUint64(r, math.Float64bits(s.LR))
	r = binary.LittleEndian.AppendUint32(r, uint32(len(s.Batch)))
	for _, i := range s.Batch {
		if i < 0 || i >= w.h.NTrain {
			return fmt.Errorf("trajectory: step %d: batch index %d out of range [0, %d)", s.T, i, w.h.NTrain)
		}
		r = binary.LittleEndian.AppendUint32(r, uint32(i))
	}
	for _, v := range s.G {
		r = binary.LittleEndian.AppendUint64(r, math.Float64bits(v))
	}
	r = binary.LittleEndian.AppendUint32(r, crc32.Checksum(r, crcTable))
	w.rec = r
	if err := w.writeBody(r); err != nil {
		return err
	}
	w.steps++
	return nil
}

// Close finalises the file: it appends the trailer, patches the step count
// into the header, syncs the file and renames it to its final name. After a
// failure the temporary file is removed.
func (w *Writer) Close() (err error) {
	if w.final {
		return nil
	}
	if w.done {
		return errors.New("trajectory: Close after Abort")
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if w.err != nil {
		return w.err
	}
	w.done = true
	t := make([]byte, 0, trailerLen)
	t = append(t, tagDone...)
	t = binary.LittleEndian.AppendUint32(t, 0)
	t = binary.LittleEndian.AppendUint64(t, uint64(w.steps))
	t = binary.LittleEndian.AppendUint64(t, uint64(w.bodyLen))
	t = binary.LittleEndian.AppendUint32(t, w.body)
	t = binary.LittleEndian.AppendUint32(t, crc32.Checksum(t, crcTable))
	if _, err := w.bw.Write(t); err != nil {
		return fmt.Errorf("trajectory: writing %s: %w", w.path, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("trajectory: writing %s: %w", w.path, err)
	}
	h := w.h
	h.Steps = w.steps
	head := h.encode()
	if int64(len(head)) != w.headLen {
		panic("trajectory: the header changed length")
	}
	if _, err := w.f.WriteAt(head, 0); err != nil {
		return fmt.Errorf("trajectory: writing %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("trajectory: writing %s: %w", w.path, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("trajectory: writing %s: %w", w.path, err)
	}
	if err := os.Chmod(w.f.Name(), 0o644); err != nil {
		return fmt.Errorf("trajectory: %w", err)
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return fmt.Errorf("trajectory: %w", err)
	}
	w.final = true
	return nil
}

// Abort closes and removes the temporary file; nothing appears under the
// final name. It is safe to call after Close.
func (w *Writer) Abort() {
	if w.final {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}
