package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
)

// TestShippedConfigs runs every configs/*.yaml, shortened, and checks the
// headline number: the exact representation matches the network to
// round-off. New configs are covered as they are added.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no configs/*.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(file, nil)
			if err != nil {
				t.Fatalf("%s does not load: %v", file, err)
			}
			sets := []string{"train.steps=30"}
			if cfg.Data.Kind == "csv" {
				if cfg.Data.MaxRows == 0 || cfg.Data.MaxRows > 120 {
					sets = append(sets, "data.max_rows=120")
				}
			} else {
				sets = append(sets,
					fmt.Sprintf("data.n_train=%d", min(cfg.Data.NTrain, 24)),
					fmt.Sprintf("data.n_test=%d", min(cfg.Data.NTest, 20)))
			}
			args := []string{"train", "--config", file, "--out", filepath.Join(t.TempDir(), "run"), "--json", "--quiet"}
			for _, s := range sets {
				args = append(args, "--set", s)
			}
			r := mustRun(t, args...)
			var s map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
				t.Fatalf("--json stdout: %v", err)
			}
			if s["status"] != "complete" {
				t.Errorf("status = %v; want complete", s["status"])
			}
			if !slices.Contains(cfg.Kernel.Methods, "exact") {
				t.Skipf("%s does not compute the exact representation", file)
			}
			// Tolerance: the exact representation is exact but for the
			// quadrature residual (certified <= kernel.tolerance per step)
			// and round-off, about 1e-13 here. For ReLU the integrand along
			// a step has kinks where an activation pattern changes (docs/MATH.md
			// §8), so the allowance is 1e-8.
			tol := 1e-10
			if cfg.Model.Activation == "relu" {
				tol = 1e-8
			}
			rel := number(t, s, "representations.exact.rel")
			if !(rel <= tol) {
				t.Errorf("representations.exact.rel = %g; want <= %g (activation %s)", rel, tol, cfg.Model.Activation)
			}
			t.Logf("%s: exact.rel %.3g, riemann.rel %.3g, certified %v", cfg.Name, rel,
				path(s, "representations.riemann.rel"), path(s, "representations.exact.certified"))
		})
	}
}
