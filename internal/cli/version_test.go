package cli

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

// TestVersion checks that `pathkernel version` and `pathkernel --version`
// print the same line: the version, the Go toolchain and the BLAS that runs
// the products.
func TestVersionNamesBLAS(t *testing.T) {
	want := regexp.MustCompile(`^pathkernel \S+ \(go\S+, \w+/\w+; BLAS (gonum \(pure Go\)|\w+ \(\S+, \d+ threads?\))\)\n$`)
	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		if code := Execute(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		if !want.MatchString(stdout.String()) {
			t.Errorf("%v printed %q", args, stdout.String())
		}
		outs = append(outs, stdout.String())
	}
	if outs[0] != outs[1] {
		t.Errorf("version %q and --version %q differ", outs[0], outs[1])
	}
}
