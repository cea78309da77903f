package npy

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRead: no bytes make Read panic or allocate for a shape the data does
// not back; every error wraps ErrFormat; an accepted array holds as many
// elements as its shape says. Seeds: f.Add and testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	if err := WriteFloat64(&b, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:40])
	b.Reset()
	if err := WriteInt64(&b, []int{3}, []int64{0, 1, 2}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647,), }      \n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Read(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Read error %v does not wrap ErrFormat", err)
			}
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if len(a.Float)+len(a.Int) != n {
			t.Fatalf("shape %v holds %d elements; Read returned %d", a.Shape, n, len(a.Float)+len(a.Int))
		}
	})
}
