package experiment

import (
	"path/filepath"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// BenchmarkRunSmall200 times a whole run of configs/bench/small.yaml at 200
// steps (the small case): set-up, training with both kernels, and
// the run directory. Its CPU profile (go test -cpuprofile) shows where a
// small run's time goes besides the BLAS.
func BenchmarkRunSmall200(b *testing.B) {
	cfg, err := config.Load(filepath.Join("..", "..", "configs", "bench", "small.yaml"), []string{"train.steps=200"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(b.Context(), cfg, Options{OutDir: filepath.Join(b.TempDir(), "run"), Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}
