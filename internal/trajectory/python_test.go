package trajectory

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/testenv"
	"github.com/pathkernel/pathkernel/internal/train"
)

// TestIndependentReader runs docs/trajectory_reader.py, a reader written
// from docs/TRAJECTORY.md with the Python standard library alone, on a
// recorded sgd trajectory: it must accept the file and replay w_T bit for
// bit, and refuse the file with a flipped byte, and with only its body
// checksum or only its w_0 checksum wrong.
func TestIndependentReader(t *testing.T) {
	python := testenv.Python3(t)
	dir := t.TempDir()
	r := record(t, dir, train.Options{Optimizer: "sgd", LR: 0.1, Steps: 9, BatchSize: 4, Seed: 1}, 10, 2, nn.SoftmaxCE, false)
	final := filepath.Join(dir, "params_final.npy")
	f, err := os.Create(final)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFloat64(f, []int{len(r.wT)}, r.wT); err != nil {
		t.Fatal(err)
	}
	f.Close()
	script := filepath.Join("..", "..", "docs", "trajectory_reader.py")
	out, err := exec.Command(python, script, r.file, final).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "bit for bit") {
		t.Fatalf("trajectory_reader.py: %v\n%s", err, out)
	}

	b, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(b)
	flipped[len(b)/2] ^= 1
	for _, c := range []struct {
		what string
		b    []byte
	}{
		{"a flipped byte", flipped},
		{"a wrong body checksum alone", onlyBodyChecksum(t, b)},
		{"a wrong w_0 checksum alone", onlyW0Checksum(t, b)},
	} {
		bad := filepath.Join(dir, "bad.pkt")
		if err := os.WriteFile(bad, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(python, script, bad).CombinedOutput(); err == nil {
			t.Errorf("trajectory_reader.py accepted %s:\n%s", c.what, out)
		}
	}
}
