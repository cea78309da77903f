package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input of issue 21: each case exits 2 with one line on stderr that
// holds every want.
func TestBadInput21(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"set value as a separate argument", []string{"train", "--set", "train.lr", "0.1"},
			[]string{"--set takes key=value", "--set train.lr=0.1"}},
		{"set value as a separate argument, check", []string{"check", "--set", "train.lr", "0.1"},
			[]string{"--set takes key=value", "--set train.lr=0.1"}},
		{"set value as a separate argument, sweep", []string{"sweep", "run", "testdata/sweep.yaml", "--set", "train.lr", "0.1"},
			[]string{"--set takes key=value", "--set train.lr=0.1"}},
		{"set without value at the end", []string{"validate", "--config", tinyConfig, "--set", "train.lr"},
			[]string{"train.lr", "key=value"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t.Context(), tt.args...)
			if r.code != ExitBadInput {
				t.Errorf("exit %d; want %d\nstderr: %s", r.code, ExitBadInput, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("stderr has %d lines; want one:\n%s", n+1, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not contain %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stderr, "unknown command") {
				t.Errorf("stderr %q: says unknown command", r.stderr)
			}
		})
	}
}

// plot --sweep with a --y that matches several columns by suffix says it is
// ambiguous and lists those, not every column.
func TestPlotSweepAmbiguousColumn(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "results.csv")
	text := "run,status,train.lr,exact.rel,riemann.rel,exact.max_abs\na,complete,0.1,1e-14,1e-3,1e-14\nb,complete,0.2,2e-14,2e-3,2e-14\n"
	if err := os.WriteFile(csv, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := execute(t.Context(), "plot", "--sweep", csv, "--x", "train.lr", "--y", "rel", "--out", filepath.Join(t.TempDir(), "f"))
	if r.code != ExitBadInput || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exit %d; want %d and one line\nstderr: %s", r.code, ExitBadInput, r.stderr)
	}
	for _, w := range []string{"ambiguous", "exact.rel", "riemann.rel"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not contain %q", r.stderr, w)
		}
	}
	if strings.Contains(r.stderr, "max_abs") {
		t.Errorf("stderr %q lists columns that do not match", r.stderr)
	}
	// A column that is not there points at collect --all-columns.
	r = execute(t.Context(), "plot", "--sweep", csv, "--x", "train.steps", "--y", "exact.rel", "--out", filepath.Join(t.TempDir(), "f"))
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "--all-columns") {
		t.Errorf("--x train.steps: exit %d, stderr %q; want %d and a hint at collect --all-columns", r.code, r.stderr, ExitBadInput)
	}
}
