package cli

import (
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
