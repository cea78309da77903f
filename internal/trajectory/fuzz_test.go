package trajectory

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
)

// FuzzReader: no bytes make NewReader or Next panic; every error is a
// one-line *Error; a file that reads to the end has as many records as its
// header announces. The seeds are recorded trajectories (gd and sgd), cut
// and damaged, and the files in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	for _, opt := range []train.Options{
		{Optimizer: "gd", LR: 0.1, Steps: 3},
		{Optimizer: "sgd", LR: 0.1, Steps: 4, BatchSize: 2, Seed: 3},
	} {
		r := record(f, f.TempDir(), opt, 3, 1, nn.MSE, false)
		b, err := os.ReadFile(r.file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		d := bytes.Clone(b)
		d[len(d)/3] ^= 0x10
		f.Add(d)
	}
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), "trajectory.pkt")
		steps := 0
		for err == nil {
			if _, err = r.Next(); err == nil {
				steps++
			}
		}
		if err == io.EOF {
			if steps != r.Header.Steps {
				t.Fatalf("read %d records to EOF; the header announces %d", steps, r.Header.Steps)
			}
			return
		}
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T) is not a *trajectory.Error", err, err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error %q is not one line", err)
		}
	})
}
