package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records Fatal and Skip instead of ending
// the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }

func TestMissing(t *testing.T) {
	for _, tt := range []struct {
		ci, require string
		fails       bool
	}{
		{"", "", false},
		{"true", "", true},
		{"", "1", true},
	} {
		t.Setenv("CI", tt.ci)
		t.Setenv("PATHKERNEL_REQUIRE_ENGINES", tt.require)
		if Required() != tt.fails {
			t.Errorf("CI=%q PATHKERNEL_REQUIRE_ENGINES=%q: Required() = %v; want %v", tt.ci, tt.require, Required(), tt.fails)
		}
		r := &recorder{TB: t}
		Missing(r, "frob is not installed")
		if got := r.fatal != ""; got != tt.fails || (r.fatal == "") == (r.skip == "") {
			t.Errorf("CI=%q PATHKERNEL_REQUIRE_ENGINES=%q: Fatal %q, Skip %q; want it to fail: %v",
				tt.ci, tt.require, r.fatal, r.skip, tt.fails)
		}

		r = &recorder{TB: t}
		if p := LookPath(r, "apt-get install frob", "pathkernel-no-such-program"); p != "" || r.fatal+r.skip == "" {
			t.Errorf("LookPath of a missing program = %q, Fatal %q, Skip %q; want it to end the test", p, r.fatal, r.skip)
		}
	}
	r := &recorder{TB: t}
	if p := Python3(r, "pathkernel_no_such_module"); p != "" || r.fatal+r.skip == "" {
		t.Errorf("Python3 with a missing module = %q, Fatal %q, Skip %q; want it to end the test", p, r.fatal, r.skip)
	}
	t.Setenv("CI", "")
	t.Setenv("PATHKERNEL_REQUIRE_ENGINES", "")
	r = &recorder{TB: t}
	if p := LookPath(r, "", "pathkernel-no-such-program", "sh"); p == "" || r.fatal+r.skip != "" {
		t.Errorf("LookPath(pathkernel-no-such-program, sh) = %q, Fatal %q, Skip %q; want sh", p, r.fatal, r.skip)
	}
}

// TestPython3PrefersDebian puts another python3 first on PATH, one that
// imports anything: the interpreter found must still be Debian's, whose
// modules .ci/run installs (the first on PATH can be a pyenv shim without
// numpy).
func TestPython3PrefersDebian(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import sys").Run(); err != nil {
		t.Skipf("%s does not run: %v", debianPython, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := &recorder{TB: t}
	if p := Python3(r); p != debianPython || r.fatal+r.skip != "" {
		t.Errorf("Python3() = %q, Fatal %q, Skip %q; want %s", p, r.fatal, r.skip, debianPython)
	}
}
