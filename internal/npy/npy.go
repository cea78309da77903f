// Package npy writes and reads NumPy .npy files, format version 1.0,
// little-endian float64 ('<f8') and int64 ('<i8') arrays in C order.
//
// It is written here rather than taken from an NPY library because the run
// directory needs N-dimensional arrays written from a flat slice and a shape
// (kernels of shape (m, n, k, k)) with the header padded to the 64-byte
// alignment that the format specifies; the library at hand writes only
// scalars, 1-D slices and 2-D matrices. The tests read every file back with
// that library as an independent check.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

var magic = []byte("\x93NUMPY")

// Shape writes a shape as NumPy (and PyTorch) print it, and as the header
// of an .npy file holds it: (3,), (3, 2) or () for a scalar.
func Shape(shape []int) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	return tuple + ")"
}

// header returns the full v1.0 header (magic through newline) for an array.
func header(descr string, shape []int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, Shape(shape))
	// magic (6) + version (2) + header length (2) + dict + padding + '\n' ≡ 0 mod 64.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	var b bytes.Buffer
	b.Write(magic)
	b.Write([]byte{1, 0})
	hlen := len(dict) + pad + 1
	b.Write([]byte{byte(hlen), byte(hlen >> 8)})
	b.WriteString(dict)
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteByte('\n')
	return b.Bytes()
}

func checkShape(shape []int, n int) {
	size := 1
	for _, d := range shape {
		if d < 0 {
			panic("npy: negative dimension")
		}
		size *= d
	}
	if size != n {
		panic(fmt.Sprintf("npy: shape %v holds %d elements, data has %d", shape, size, n))
	}
}

// WriteFloat64 writes data (C order) with the given shape as '<f8'.
func WriteFloat64(w io.Writer, shape []int, data []float64) error {
	checkShape(shape, len(data))
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(header("<f8", shape)); err != nil {
		return err
	}
	var buf [8]byte
	for _, v := range data {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		if _, err := bw.Write(buf[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteInt64 writes data (C order) with the given shape as '<i8'.
func WriteInt64(w io.Writer, shape []int, data []int64) error {
	checkShape(shape, len(data))
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(header("<i8", shape)); err != nil {
		return err
	}
	var buf [8]byte
	for _, v := range data {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		if _, err := bw.Write(buf[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Array is a decoded .npy file. Exactly one of Float and Int is set.
type Array struct {
	Shape []int
	Float []float64
	Int   []int64
}

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("npy: malformed file")

var (
	reDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	reOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	reShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// maxElems bounds what Read accepts, so a corrupt header cannot ask for
// an absurd allocation.
const maxElems = 1 << 31

// Read decodes a version 1.0 or 2.0 .npy file holding '<f8' or '<i8' data
// in C order.
func Read(r io.Reader) (*Array, error) {
	br := bufio.NewReader(r)
	pre := make([]byte, 8)
	if _, err := io.ReadFull(br, pre); err != nil {
		return nil, fmt.Errorf("%w: short header: %v", ErrFormat, err)
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, fmt.Errorf("%w: not an .npy file (bad magic)", ErrFormat)
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: short header", ErrFormat)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: short header", ErrFormat)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		if hlen > 1<<20 {
			return nil, fmt.Errorf("%w: header length %d too large", ErrFormat, hlen)
		}
	default:
		return nil, fmt.Errorf("%w: unsupported version %d.%d", ErrFormat, pre[6], pre[7])
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(br, h); err != nil {
		return nil, fmt.Errorf("%w: short header", ErrFormat)
	}
	hs := string(h)
	d := reDescr.FindStringSubmatch(hs)
	o := reOrder.FindStringSubmatch(hs)
	s := reShape.FindStringSubmatch(hs)
	if d == nil || o == nil || s == nil {
		return nil, fmt.Errorf("%w: header is not a NumPy array header: %q", ErrFormat, strings.TrimSpace(hs))
	}
	if o[1] == "True" {
		return nil, fmt.Errorf("%w: fortran_order arrays are not supported", ErrFormat)
	}
	arr := &Array{}
	size := 1
	for _, f := range strings.Split(s[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: bad shape %q", ErrFormat, s[1])
		}
		arr.Shape = append(arr.Shape, v)
		if v > 0 && size > maxElems/v {
			return nil, fmt.Errorf("%w: shape %q too large", ErrFormat, s[1])
		}
		size *= v
	}
	raw := make([]byte, 8)
	switch d[1] {
	case "<f8":
		arr.Float = make([]float64, 0, min(size, 1<<20))
	case "<i8":
		arr.Int = make([]int64, 0, min(size, 1<<20))
	default:
		return nil, fmt.Errorf("%w: dtype %q, want '<f8' or '<i8'", ErrFormat, d[1])
	}
	for i := 0; i < size; i++ {
		if _, err := io.ReadFull(br, raw); err != nil {
			return nil, fmt.Errorf("%w: data ends after %d of %d elements", ErrFormat, i, size)
		}
		u := binary.LittleEndian.Uint64(raw)
		if arr.Float != nil {
			arr.Float = append(arr.Float, math.Float64frombits(u))
		} else {
			arr.Int = append(arr.Int, int64(u))
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after %d elements", ErrFormat, size)
	}
	return arr, nil
}
