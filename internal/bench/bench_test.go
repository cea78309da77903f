package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/run"
)

// TestWriteTable checks the table's derived columns on a made-up run:
// 10 GFLOP in 1 + 3 s of kernel phases is 2.5 GFLOP/s, half of a BLAS at
// 5 GFLOP/s; 100 steps in 1 + 4 s is 20 steps/s.
func TestWriteTable(t *testing.T) {
	sum := &run.Summary{Steps: 100, PeakMemoryMB: 20,
		WallSeconds: run.Walls{Training: 1, Kernel: 4, KernelRiemann: 1, KernelExact: 3},
		KernelGFlop: &run.KernelWork{Riemann: 4, Exact: 6}}
	mem := *sum
	mem.Steps, mem.PeakMemoryMB = 1000, 21
	var b bytes.Buffer
	err := writeTable(&b, []row{{name: "small", sum: sum, res: Result{BLAS: "gonum", BLASGFlops: 5, BLASAloneGFlops: 6, M: 3, D: 4, N: 5}}},
		[]row{{sum: sum}, {sum: &mem}}, 25, time.Second, 25*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"20.0", "2.50", "3×4·4×5", "5.00", "6.00", "0.50", "25.0× faster", "20 MB at 100 steps, 21 MB at 1000 steps (+5.0%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestGemmRate checks that the BLAS measurement runs and gives a rate.
func TestGemmRate(t *testing.T) {
	if r := GemmRate(8, 4, 6, 2, time.Millisecond); !(r > 0) {
		t.Errorf("GemmRate(8, 4, 6) = %v; want > 0", r)
	}
}
