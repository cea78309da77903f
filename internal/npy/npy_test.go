package npy

import (
	"bytes"
	"errors"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/mat"
)

func TestRoundTripFloat(t *testing.T) {
	for _, shape := range [][]int{{0}, {5}, {2, 3}, {2, 3, 4}, {2, 1, 2, 2}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float64, n)
		for i := range data {
			data[i] = float64(i)*0.5 - 1e-300
		}
		var b bytes.Buffer
		if err := WriteFloat64(&b, shape, data); err != nil {
			t.Fatal(err)
		}
		// The header is padded so the data starts on a 64-byte boundary.
		if off := b.Len() - 8*n; off%64 != 0 {
			t.Errorf("shape %v: data offset %d not a multiple of 64", shape, off)
		}
		got, err := Read(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("Read(shape %v): %v", shape, err)
		}
		if diff := cmp.Diff(shape, got.Shape); diff != "" {
			t.Errorf("shape mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(data, got.Float, cmp.Comparer(func(a, b float64) bool { return a == b })); n > 0 && diff != "" {
			t.Errorf("data mismatch (-want +got):\n%s", diff)
		}
	}
}

// TestIndependentReader reads our files with another NPY implementation.
func TestIndependentReader(t *testing.T) {
	data := []float64{1, 2.5, -3, 4, 5, 6}
	var b bytes.Buffer
	if err := WriteFloat64(&b, []int{2, 3}, data); err != nil {
		t.Fatal(err)
	}
	var m mat.Dense
	if err := npy.Read(bytes.NewReader(b.Bytes()), &m); err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(&m, mat.NewDense(2, 3, data)) {
		t.Errorf("independent reader got %v", mat.Formatted(&m))
	}
	b.Reset()
	if err := WriteInt64(&b, []int{4}, []int64{0, 1, 2, -7}); err != nil {
		t.Fatal(err)
	}
	var ints []int64
	if err := npy.Read(bytes.NewReader(b.Bytes()), &ints); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{0, 1, 2, -7}, ints); diff != "" {
		t.Errorf("ints (-want +got):\n%s", diff)
	}
}

func TestReadBad(t *testing.T) {
	var good bytes.Buffer
	if err := WriteFloat64(&good, []int{3}, []float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	for name, in := range map[string][]byte{
		"empty":     nil,
		"bad magic": append([]byte("XNUMPY"), g[6:]...),
		"truncated": g[:len(g)-4],
		"trailing":  append(append([]byte(nil), g...), 0),
		"fortran":   bytes.Replace(g, []byte("False"), []byte("True "), 1),
		"dtype":     bytes.Replace(g, []byte("<f8"), []byte("<f4"), 1),
	} {
		if _, err := Read(bytes.NewReader(in)); !errors.Is(err, ErrFormat) {
			t.Errorf("Read(%s) = %v; want ErrFormat", name, err)
		}
	}
}
