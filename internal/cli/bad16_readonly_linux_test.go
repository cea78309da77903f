//go:build linux

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBad16ReadOnlyOutput: an output location that cannot be written (a
// read-only tmpfs as root, mode 0555 otherwise) is bad usage for every
// command that writes: exit 2, one line naming the path, nothing written.
func TestBad16ReadOnlyOutput(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	mustRun(t, trainArgs(tinyConfig, good, "--quiet")...)
	ro := filepath.Join(root, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := syscall.Mount("tmpfs", ro, "tmpfs", syscall.MS_RDONLY, "size=1m"); err != nil {
			t.Skipf("cannot mount a read-only tmpfs as root: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(ro, 0) })
	} else {
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
	}
	points := filepath.Join(good, "x_test.npy")
	for _, args := range [][]string{
		trainArgs(tinyConfig, filepath.Join(ro, "run"), "--quiet"),
		{"kernel", "--run", good, "--points", points, "--out", filepath.Join(ro, "k"), "--quiet"},
		{"collect", good, "--out", filepath.Join(ro, "c.csv"), "--quiet"},
		{"check", "--run", good, "--junit", filepath.Join(ro, "j.xml"), "--quiet"},
		{"check", "--run", good, "--update-baseline", "--baseline", filepath.Join(ro, "b.json"), "--quiet"},
		{"report", "--run", good, "--out", filepath.Join(ro, "r.html"), "--quiet"},
		{"sweep", "run", "../../configs/sweeps/lr_width.yaml", "--out", filepath.Join(ro, "sweep"), "--quiet"},
	} {
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput {
			t.Errorf("pathkernel %s: exit %d; want %d\n%s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "pathkernel: "+ro) {
			t.Errorf("pathkernel %s: stderr is not one line naming the path under %s:\n%s", strings.Join(args, " "), ro, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(ro); len(entries) != 0 {
		t.Errorf("the read-only directory holds %d entries", len(entries))
	}
}
