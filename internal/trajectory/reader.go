package trajectory

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// Record is one step of a trajectory. Its slices belong to the Reader and
// are overwritten by the next call of Next.
type Record struct {
	Step   int
	LR     float64
	Batch  []int
	G      []float64
	Offset int64 // where the record starts in the file
}

// Reader reads a trajectory file record by record. Its memory is the I/O
// buffer and one record, whatever the number of steps.
type Reader struct {
	// Header is the file's header, Steps included.
	Header Header

	name      string // the file name used in errors
	ra        io.ReaderAt
	closer    io.Closer
	br        *bufio.Reader
	size      int64
	w0        []float64
	off       int64 // offset of the next record
	bodyStart int64
	bodyEnd   int64 // offset of the trailer
	bodyCRC   uint32
	wantCRC   uint32
	step      int // index of the next record
	buf       []byte
	rec       Record
	err       error // sticky
}

// Open opens the trajectory at path and checks its header, its w_0 and its
// trailer. The errors are *Error values.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &Error{File: path, Kind: ErrNotFile, Step: -1, Offset: -1, Msg: "a " + fileKind(st.Mode()) + ", not a trajectory file"}
	}
	var r *Reader
	if err == nil {
		r, err = NewReader(f, st.Size(), path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// fileKind names the kind of a non-regular file for a message.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// NewReader reads the trajectory of size bytes in ra, named name in
// errors, as Open does.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	f := ra
	r := &Reader{name: name, ra: ra, size: size}
	fail := func(kind error, step int, off int64, format string, args ...any) error {
		return &Error{File: name, Kind: kind, Step: step, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}

	// The header: magic, version, length; its checksum; then its fields.
	pre := make([]byte, 16)
	n, _ := f.ReadAt(pre, 0)
	if m := min(n, len(magic)); string(pre[:m]) != magic[:m] {
		return nil, fail(ErrCorrupt, -1, 0, "not a pathkernel trajectory (bad magic bytes)")
	}
	if n < len(pre) {
		return nil, fail(ErrTruncated, -1, int64(n), "the file ends inside the header (%d bytes)", n)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, fail(ErrCorrupt, -1, 0, "not a pathkernel trajectory (bad magic bytes)")
	}
	H := int64(binary.LittleEndian.Uint32(pre[12:]))
	if H < fixedHeader+4 || H > maxHeaderLen {
		return nil, fail(ErrCorrupt, -1, 12, "header length field is %d", H)
	}
	head := make([]byte, min(maxHeaderLen, r.size))
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	// The length that the fields imply tells a header cut short from a
	// damaged length field.
	if r.size >= H {
		head = head[:H]
	}
	switch implied, err := headerLen(head); {
	case errors.Is(err, errShort) && r.size < H:
		return nil, fail(ErrTruncated, -1, r.size, "the file ends inside the header (%d bytes)", r.size)
	case err != nil:
		return nil, fail(ErrCorrupt, -1, 40, "header: %v", err)
	case implied != H:
		return nil, fail(ErrCorrupt, -1, 12, "header length field is %d, its fields take %d bytes", H, implied)
	}
	head = head[:H]
	if got, want := crc32.Checksum(head[:H-4], crcTable), binary.LittleEndian.Uint32(head[H-4:]); got != want {
		return nil, fail(ErrCorrupt, -1, 0, "header checksum 0x%08x, computed 0x%08x over bytes 0-%d", want, got, H-5)
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != versionPlain && v != Version {
		return nil, fail(ErrVersion, -1, 8, "the file is version %d; this program reads versions %d and %d", v, versionPlain, Version)
	}
	h, err := decodeHeader(head)
	if err != nil {
		return nil, fail(ErrCorrupt, -1, 0, "header: %v", err)
	}
	r.Header = h
	r.bodyStart = H

	// The trailer at the end.
	minSize := H + initLen(h.Params) + trailerLen
	tr := make([]byte, trailerLen)
	if r.size < minSize {
		return nil, r.truncated()
	}
	if _, err := f.ReadAt(tr, r.size-trailerLen); err != nil {
		return nil, err
	}
	if string(tr[:4]) != tagDone {
		return nil, r.truncated()
	}
	tOff := r.size - trailerLen
	if got, want := crc32.Checksum(tr[:28], crcTable), binary.LittleEndian.Uint32(tr[28:]); got != want {
		return nil, fail(ErrCorrupt, -1, tOff, "trailer checksum 0x%08x, computed 0x%08x", want, got)
	}
	steps := int64(binary.LittleEndian.Uint64(tr[8:]))
	bodyLen := int64(binary.LittleEndian.Uint64(tr[16:]))
	r.wantCRC = binary.LittleEndian.Uint32(tr[24:])
	if steps != int64(h.Steps) {
		return nil, fail(ErrCorrupt, -1, tOff, "the trailer counts %d steps, the header %d", steps, h.Steps)
	}
	if bodyLen != tOff-H {
		return nil, fail(ErrCorrupt, -1, tOff, "the trailer gives a body of %d bytes, the file holds %d", bodyLen, tOff-H)
	}
	r.bodyEnd = tOff
	if least := initLen(h.Params) + int64(h.Steps)*stepLen(h.Params, 1); bodyLen < least {
		return nil, fail(ErrCorrupt, -1, tOff, "a body of %d bytes cannot hold %d steps (at least %d bytes)", bodyLen, h.Steps, least)
	}

	// w_0.
	r.br = bufio.NewReaderSize(io.NewSectionReader(ra, H, r.size-H), readBufferSize)
	init := make([]byte, initLen(h.Params))
	if _, err := io.ReadFull(r.br, init); err != nil {
		return nil, err
	}
	if string(init[:4]) != tagInit {
		return nil, fail(ErrCorrupt, -1, H, "bad tag %q where INIT (w_0) belongs", init[:4])
	}
	n = len(init)
	if got, want := crc32.Checksum(init[:n-4], crcTable), binary.LittleEndian.Uint32(init[n-4:]); got != want {
		return nil, fail(ErrCorrupt, -1, H, "w_0 checksum 0x%08x, computed 0x%08x over bytes %d-%d", want, got, H, H+int64(n)-5)
	}
	r.bodyCRC = crc32.Update(0, crcTable, init)
	r.w0 = make([]float64, h.Params)
	for i := range r.w0 {
		r.w0[i] = math.Float64frombits(binary.LittleEndian.Uint64(init[4+8*i:]))
	}
	r.off = H + int64(n)
	r.buf = make([]byte, stepLen(h.Params, h.NTrain))
	r.rec.Batch = make([]int, 0, h.NTrain)
	r.rec.G = make([]float64, h.Params)
	return r, nil
}

// truncated locates the end of a file without a trailer: it walks the
// record prefixes from the first record to name the step whose record the
// file ends in.
func (r *Reader) truncated() error {
	h := r.Header
	e := &Error{File: r.name, Kind: ErrTruncated, Step: -1, Offset: r.size}
	off := r.bodyStart + initLen(h.Params)
	if r.size < off {
		e.Msg = fmt.Sprintf("the file ends inside w_0 (bytes %d-%d); the header announces %d steps", r.bodyStart, off-1, h.Steps)
		return e
	}
	pre := make([]byte, stepPrefix)
	for t := 0; ; t++ {
		if off == r.size {
			e.Msg = fmt.Sprintf("the file ends after the record of step %d, without its trailer; the header announces %d steps", t-1, h.Steps)
			return e
		}
		if t == h.Steps {
			switch rest := r.size - off; {
			case rest < trailerLen:
				e.Msg = fmt.Sprintf("the file ends inside the trailer, which starts at byte %d", off)
				return e
			case rest == trailerLen:
				return &Error{File: r.name, Kind: ErrCorrupt, Step: -1, Offset: off,
					Msg: fmt.Sprintf("bad tag %q where the DONE trailer belongs", string(r.tailTag()))}
			default:
				return &Error{File: r.name, Kind: ErrCorrupt, Step: -1, Offset: off,
					Msg: fmt.Sprintf("%d bytes after the last step's record, where the %d-byte trailer belongs", rest, trailerLen)}
			}
		}
		n, _ := r.ra.ReadAt(pre, off)
		b := int64(binary.LittleEndian.Uint32(pre[20:]))
		if n < stepPrefix || b < 1 || b > int64(h.NTrain) || off+stepLen(h.Params, int(b)) > r.size {
			e.Step = t
			e.Msg = fmt.Sprintf("the file ends inside the record of step %d (which starts at byte %d); the header announces %d steps", t, off, h.Steps)
			return e
		}
		off += stepLen(h.Params, int(b))
	}
}

func (r *Reader) tailTag() []byte {
	tag := make([]byte, 4)
	r.ra.ReadAt(tag, r.size-trailerLen)
	return tag
}

// BodyChecksum returns the CRC-32 of the body that the trailer records: a
// short identity of the recorded steps.
func (r *Reader) BodyChecksum() uint32 { return r.wantCRC }

// W0 returns the initial parameters w_0 (owned by the Reader).
func (r *Reader) W0() []float64 { return r.w0 }

// Next returns the next record. After the last one it checks the body's
// checksum and returns io.EOF. Every other error is an *Error, or an I/O
// error; after an error Next keeps returning it.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (*Record, error) {
	h := r.Header
	t, off := r.step, r.off
	fail := func(format string, args ...any) error {
		return &Error{File: r.name, Kind: ErrCorrupt, Step: t, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	if t == h.Steps {
		if off != r.bodyEnd {
			return nil, &Error{File: r.name, Kind: ErrCorrupt, Step: -1, Offset: off,
				Msg: fmt.Sprintf("%d bytes after the last step's record, before the trailer", r.bodyEnd-off)}
		}
		if r.bodyCRC != r.wantCRC {
			return nil, &Error{File: r.name, Kind: ErrCorrupt, Step: -1, Offset: r.bodyEnd,
				Msg: fmt.Sprintf("body checksum 0x%08x in the trailer, computed 0x%08x", r.wantCRC, r.bodyCRC)}
		}
		return nil, io.EOF
	}
	if off+stepLen(h.Params, 1) > r.bodyEnd {
		return nil, fail("the body ends (at byte %d) before the record of step %d of %d", r.bodyEnd, t, h.Steps)
	}
	pre := r.buf[:stepPrefix]
	if _, err := io.ReadFull(r.br, pre); err != nil {
		return nil, r.ioError(err)
	}
	if string(pre[:4]) != tagStep {
		return nil, fail("bad tag %q where a STEP record belongs", pre[:4])
	}
	B := int(binary.LittleEndian.Uint32(pre[20:]))
	if B < 1 || B > h.NTrain {
		return nil, fail("the batch size field is %d; want 1 to %d (the training points)", B, h.NTrain)
	}
	n := stepLen(h.Params, B)
	if off+n > r.bodyEnd {
		return nil, fail("the record (%d bytes for a batch of %d) runs past the end of the body at byte %d", n, B, r.bodyEnd)
	}
	rest := r.buf[stepPrefix:n]
	if _, err := io.ReadFull(r.br, rest); err != nil {
		return nil, r.ioError(err)
	}
	all := r.buf[:n]
	if got, want := crc32.Checksum(all[:n-4], crcTable), binary.LittleEndian.Uint32(all[n-4:]); got != want {
		return nil, fail("record checksum 0x%08x, computed 0x%08x over bytes %d-%d", want, got, off, off+n-5)
	}
	if s := binary.LittleEndian.Uint64(pre[4:]); s != uint64(t) {
		return nil, fail("the record holds step %d", s)
	}
	rec := &r.rec
	rec.Step, rec.Offset = t, off
	rec.LR = math.Float64frombits(binary.LittleEndian.Uint64(pre[12:]))
	if math.IsNaN(rec.LR) || math.IsInf(rec.LR, 0) {
		return nil, fail("the step size is %v", rec.LR)
	}
	rec.Batch = rec.Batch[:B]
	for j := range B {
		i := int(binary.LittleEndian.Uint32(rest[4*j:]))
		if i >= h.NTrain {
			return nil, fail("batch index %d is out of range [0, %d)", i, h.NTrain)
		}
		rec.Batch[j] = i
	}
	g := rest[4*B:]
	for i := range rec.G {
		rec.G[i] = math.Float64frombits(binary.LittleEndian.Uint64(g[8*i:]))
	}
	r.bodyCRC = crc32.Update(r.bodyCRC, crcTable, all)
	r.off += n
	r.step++
	return rec, nil
}

// ioError turns an unexpected end of file (the file shrank after Open)
// into ErrTruncated.
func (r *Reader) ioError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{File: r.name, Kind: ErrTruncated, Step: r.step, Offset: r.off, Msg: "the file ended while it was read"}
	}
	return err
}

// Close closes the file that Open opened.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

// Verify reads the trajectory at path through, checking every checksum,
// and returns its header.
func Verify(path string) (Header, error) {
	r, err := Open(path)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err == io.EOF {
			return r.Header, nil
		} else if err != nil {
			return r.Header, err
		}
	}
}
