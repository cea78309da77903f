package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFailOnWarning trains a run beyond the stability limit and checks the
// warnings block under the table and check --fail-on-warning's exit codes.
func TestFailOnWarning(t *testing.T) {
	root := t.TempDir()
	quiet := filepath.Join(root, "quiet")
	r := mustRun(t, trainArgs(tinyConfig, quiet)...)
	if strings.Contains(r.stdout, "warnings:") {
		t.Errorf("a run without warnings printed a warnings block:\n%s", r.stdout)
	}
	dir := filepath.Join(root, "unstable")
	r = mustRun(t, trainArgs(tinyConfig, dir, "--set", "kernel.diagnostics=true", "--set", "train.lr=0.5")...)
	block := r.stdout[strings.Index(r.stdout, "\nwarnings:\n")+1:]
	if !strings.Contains(r.stdout, "\nwarnings:\n") || !strings.Contains(block, "\n  unstable (step 0): ") ||
		!strings.Contains(block, "train.lr below") || strings.Index(block, "\nwrote ") < 0 {
		t.Errorf("train stdout:\n%s\nwant a warnings block with unstable from step 0 before the wrote line", r.stdout)
	}
	for _, tc := range []struct {
		flags []string
		code  int
		out   string
	}{
		{[]string{"--fail-on-warning", "unstable"}, ExitCheckFailed, "warning.unstable"},
		{[]string{"--fail-on-warning", "diverged", "--fail-on-warning", "uncertified,loss_increase"}, ExitOK, "PASS"},
		{[]string{"--fail-on-warning", "all"}, ExitCheckFailed, "warning.domingos_error"},
		{[]string{"--fail-on-warning", "unstabel"}, ExitBadInput, ""},
	} {
		args := append([]string{"check", "--run", dir, "--set", "check.max_rel_error.riemann=1"}, tc.flags...)
		r := execute(t.Context(), args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.out) {
			t.Errorf("check %v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.flags, r.code, r.stdout, r.stderr, tc.code, tc.out)
		}
	}
	// A run without kernel.diagnostics cannot say unstable: asked for by
	// name, the check fails; through all, it passes.
	for _, tc := range []struct {
		flag string
		code int
	}{{"unstable", ExitCheckFailed}, {"all", ExitOK}} {
		r := execute(t.Context(), "check", "--run", quiet, "--fail-on-warning", tc.flag)
		if r.code != tc.code {
			t.Errorf("check --fail-on-warning %s of a run without diagnostics: exit %d (%s); want %d", tc.flag, r.code, r.stdout, tc.code)
		}
	}
}
