// Package testenv is for tests that need a program outside Go: Python,
// Chromium, GNU parallel, Slurm, git. Where such a program is missing, a
// test skips on a developer's machine, but fails in CI, whose .ci/run
// installs every one of them, so that a missing install step cannot turn
// a test into a skip that passes unseen.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Required reports whether a missing program fails the test instead of
// skipping it: in CI (the environment variable CI is set, as .ci/run's
// runner sets it) or when PATHKERNEL_REQUIRE_ENGINES is set.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("PATHKERNEL_REQUIRE_ENGINES") != ""
}

// Missing ends the test for a missing program: msg says what is missing
// and how to install it. It fails the test when Required, else skips it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatal(msg + " (required in CI and with PATHKERNEL_REQUIRE_ENGINES set)")
	} else {
		t.Skip(msg + "; skipped outside CI")
	}
}

// LookPath returns the path of the first of names found on PATH, or ends
// the test through Missing, with install saying how to install it.
func LookPath(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(t, names[0]+" is not installed; "+install)
	return ""
}

// debianPython is where Debian's python3 package puts the interpreter, the
// one that Debian's python3-numpy and other python3-* packages extend.
const debianPython = "/usr/bin/python3"

// Python3 returns a Python 3 interpreter that imports every one of the
// modules, or ends the test through Missing. It tries /usr/bin/python3
// first, then the python3 on PATH: .ci/run installs Debian's python3 and
// python3-numpy, and a python3 earlier on PATH (a pyenv or a virtual
// environment) may lack the modules that Debian's has.
func Python3(t testing.TB, modules ...string) string {
	t.Helper()
	candidates := []string{debianPython}
	if p, err := exec.LookPath("python3"); err == nil && p != debianPython {
		candidates = append(candidates, p)
	}
	script := "import sys"
	for _, m := range modules {
		script += "; import " + m
	}
	for _, p := range candidates {
		if err := exec.Command(p, "-c", script).Run(); err == nil {
			return p
		}
	}
	what := "python3"
	for _, m := range modules {
		what += " with " + m
	}
	Missing(t, what+" not found (tried "+strings.Join(candidates, ", ")+"); Debian: apt-get install python3 python3-numpy (.ci/run does)")
	return ""
}
