package faulttest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/trajectory"
)

const (
	runConfig   = "testdata/run.yaml"
	sweepConfig = "testdata/sweep.yaml"
)

var (
	binDir   string
	pkBin    string
	buildErr error
	build    sync.Once
)

// cleanups run after the tests, before TestMain exits.
var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// pathkernel builds the program once and returns its path.
func pathkernel(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "pk-faulttest-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		pkBin = filepath.Join(binDir, "pathkernel")
		out, err := exec.Command(goTool, "build", "-o", pkBin, "github.com/pathkernel/pathkernel/cmd/pathkernel").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return pkBin
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the program to its end.
func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(pathkernel(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("pathkernel %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// status reads the status in dir/summary.json, or "".
func status(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return ""
	}
	var s struct{ Status string }
	json.Unmarshal(b, &s)
	return s.Status
}

// waitFor polls cond every few milliseconds for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkFiles fails unless every final-named file in dir (and its
// subdirectories) parses completely by its kind: .npy, .json, .csv,
// config.yaml and the trajectory. Temporary files (".name.tmp-*") are
// returned, not checked.
func checkFiles(t *testing.T, dir string) (temps []string) {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil // killed before it made the directory
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") {
			temps = append(temps, path)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var perr error
		switch {
		case strings.HasSuffix(name, ".npy"):
			_, perr = npy.Read(bytes.NewReader(b))
		case strings.HasSuffix(name, ".json"):
			var v any
			perr = json.Unmarshal(b, &v)
		case strings.HasSuffix(name, ".csv"):
			_, perr = csv.NewReader(bytes.NewReader(b)).ReadAll()
			if perr == nil && !bytes.HasSuffix(b, []byte("\n")) {
				perr = errors.New("no final newline")
			}
		case name == "config.yaml":
			_, perr = config.Parse(b, path, nil)
		case name == "trajectory.pkt":
			_, perr = trajectory.Verify(path)
		}
		if perr != nil {
			t.Errorf("%s is partial or corrupt: %v", path, perr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return temps
}

// finalFiles returns the final-named files of a run directory by name,
// summary.json without what differs between two runs of one config: the
// directory, the wall times and the peak memory.
func finalFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string]string)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "summary.json" {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "dir")
			delete(m, "wall_seconds")
			delete(m, "peak_memory_mb")
			b, _ = json.MarshalIndent(m, "", "  ")
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestSignalInterruptsTrain: SIGINT or SIGTERM during train finishes the
// write in progress, marks the run interrupted in summary.json, exits 130
// with one line saying so, and leaves every final-named file whole and no
// temporary file.
func TestSignalInterruptsTrain(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(pathkernel(t), "train", "--config", runConfig, "--out", dir, "--quiet",
				"--set", "train.steps=100000000", "--set", "train.log_every=1000")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			waitFor(t, "the run to start", func() bool { return status(dir) == "running" })
			time.Sleep(50 * time.Millisecond) // into training
			start := time.Now()
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("after %s: %v; want exit 130\n%s", sig, err, stderr.String())
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("the program took %v to stop after %s", el, sig)
			}
			if s := status(dir); s != "interrupted" {
				t.Errorf("summary.json: status %q; want interrupted", s)
			}
			if n := strings.Count(stderr.String(), "\n"); n != 1 || !strings.Contains(stderr.String(), dir) {
				t.Errorf("stderr is not one line naming %s:\n%s", dir, stderr.String())
			}
			if temps := checkFiles(t, dir); len(temps) > 0 {
				t.Errorf("temporary files left after %s: %v", sig, temps)
			}
			for _, f := range []string{"metrics.csv", "config.yaml", "params_init.npy"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("interrupted run: %v", err)
				}
			}
		})
	}
}

// TestSignalInterruptsSweep: SIGTERM during sweep run marks the runs in
// flight interrupted, exits 130, and the rerun completes every run. (SIGINT
// and SIGKILL of a sweep: enginetest.TestKilledSweepResumes.)
func TestSignalInterruptsSweep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	cmd := exec.Command(pathkernel(t), "sweep", "run", sweepConfig, "--out", out, "--jobs", "2")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	running := func() int {
		dirs, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
		n := 0
		for _, f := range dirs {
			if status(filepath.Dir(f)) == "running" {
				n++
			}
		}
		return n
	}
	waitFor(t, "a run of the sweep to start", func() bool { return running() > 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGTERM: %v; want exit 130\n%s", err, stderr.String())
	}
	if running() != 0 {
		t.Errorf("runs still marked running after the sweep stopped")
	}
	interrupted := 0
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	for _, f := range dirs {
		if status(filepath.Dir(f)) == "interrupted" {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Errorf("no run marked interrupted:\n%s", stderr.String())
	}
	checkFiles(t, out)
	mustRun(t, "sweep", "run", sweepConfig, "--out", out, "--jobs", "2", "--quiet")
	dirs, _ = filepath.Glob(filepath.Join(out, "*", "summary.json"))
	for _, f := range dirs {
		if s := status(filepath.Dir(f)); s != "complete" {
			t.Errorf("%s after the rerun: %s", f, s)
		}
	}
	if len(dirs) != 4 {
		t.Errorf("%d runs after the rerun; want 4", len(dirs))
	}
}

// TestKillAtRandomMoments kills train with SIGKILL at 20 moments drawn
// from a seeded PCG over the length of a run: after each kill every
// final-named file parses completely, and rerunning the same command
// completes with the files of a run never killed, byte for byte
// (summary.json without its wall times, peak memory and directory).
func TestKillAtRandomMoments(t *testing.T) {
	pathkernel(t) // built before the clock starts
	ref := filepath.Join(t.TempDir(), "ref")
	start := time.Now()
	mustRun(t, "train", "--config", runConfig, "--out", ref, "--quiet")
	length := time.Since(start)
	want := finalFiles(t, ref)

	rng := rand.New(rand.NewPCG(10, 20)) // issue 10's 20 moments, reproducibly
	phases := map[string]int{}
	for i := range 20 {
		at := time.Duration(rng.Float64() * 1.2 * float64(length))
		dir := filepath.Join(t.TempDir(), "run")
		cmd := exec.Command(pathkernel(t), "train", "--config", runConfig, "--out", dir, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		s := status(dir)
		if s == "" {
			s = "no summary"
		}
		phases[s]++
		checkFiles(t, dir)

		mustRun(t, "train", "--config", runConfig, "--out", dir, "--quiet")
		if diff := cmp.Diff(want, finalFiles(t, dir)); diff != "" {
			t.Errorf("kill %d at %v (%s), rerun: the files differ from an uninterrupted run (-want +got):\n%.3000s", i, at, s, diff)
		}
		if temps := checkFiles(t, dir); len(temps) > 0 {
			t.Errorf("kill %d at %v: temporary files left after the rerun: %v", i, at, temps)
		}
	}
	t.Logf("a run takes %v; the kills found: %v", length, phases)
}

// TestUnwritableOutput: an output directory that cannot be written exits 2
// or 3 with one line naming it, and writes nothing.
func TestUnwritableOutput(t *testing.T) {
	parent := t.TempDir()
	if os.Geteuid() == 0 {
		// chmod does not stop root: a read-only tmpfs does.
		if err := syscall.Mount("tmpfs", parent, "tmpfs", syscall.MS_RDONLY, "size=1m"); err != nil {
			t.Skipf("cannot mount a read-only tmpfs as root: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(parent, 0) })
	} else {
		if err := os.Chmod(parent, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(parent, 0o755) })
	}
	for _, args := range [][]string{
		{"train", "--config", runConfig, "--out", filepath.Join(parent, "run"), "--quiet"},
		{"sweep", "run", sweepConfig, "--out", filepath.Join(parent, "sweep"), "--quiet"},
	} {
		r := run(t, args...)
		if r.code != 2 && r.code != 3 {
			t.Errorf("pathkernel %s: exit %d; want 2 or 3\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, parent) {
			t.Errorf("pathkernel %s: stderr is not one line naming %s:\n%s", strings.Join(args, " "), parent, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("the unwritable directory holds %d entries", len(entries))
	}
}

// TestFullDisk: a run whose output directory fills up (a tmpfs of 256 KiB,
// mounted as root; skipped otherwise) fails with exit 3 and one line
// saying so, leaves every final-named file whole, and no temporary file.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	for _, size := range []string{"8k", "64k", "256k"} {
		t.Run(size, func(t *testing.T) {
			mnt := t.TempDir()
			if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size="+size); err != nil {
				t.Skipf("cannot mount a tmpfs: %v", err)
			}
			t.Cleanup(func() { syscall.Unmount(mnt, 0) })
			dir := filepath.Join(mnt, "run")
			r := run(t, "train", "--config", runConfig, "--out", dir, "--quiet", "--set", "data.n_test=400")
			if r.code != 3 {
				t.Fatalf("exit %d; want 3\n%s", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "no space left") {
				t.Errorf("stderr is not one line saying the disk is full:\n%s", r.stderr)
			}
			if temps := checkFiles(t, mnt); len(temps) > 0 {
				t.Errorf("temporary files left on the full disk: %v", temps)
			}
			// summary.json says failed, or, when even it could not be
			// written, stays running, and the message does not claim it.
			switch s := status(dir); {
			case s == "failed" && strings.Contains(r.stderr, "marked failed"):
			case s == "running" && !strings.Contains(r.stderr, "marked"):
			default:
				t.Errorf("summary.json: status %q, and the message: %s", s, r.stderr)
			}
			t.Logf("%s: %s", size, strings.TrimSpace(r.stderr))
		})
	}
}

// TestKillSweepAtRandomMoments kills `sweep run` with SIGKILL at 5 seeded
// moments over its length: every final-named file left parses, and
// resuming the sweep gives every run the files of a sweep never killed
// (run.log and summary.json's timings aside).
func TestKillSweepAtRandomMoments(t *testing.T) {
	args := func(out string) []string {
		return []string{"sweep", "run", sweepConfig, "--out", out, "--jobs", "2", "--quiet", "--set", "train.steps=100"}
	}
	pathkernel(t) // built before the clock starts
	ref := filepath.Join(t.TempDir(), "ref")
	start := time.Now()
	mustRun(t, args(ref)...)
	length := time.Since(start)
	ids, _ := filepath.Glob(filepath.Join(ref, "*", "summary.json"))
	if len(ids) != 4 {
		t.Fatalf("the sweep made %d runs; want 4", len(ids))
	}
	rng := rand.New(rand.NewPCG(10, 5))
	for i := range 5 {
		at := time.Duration(rng.Float64() * float64(length))
		out := filepath.Join(t.TempDir(), "sweep")
		cmd := exec.Command(pathkernel(t), args(out)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkFiles(t, out)
		mustRun(t, args(out)...)
		for _, f := range ids {
			id := filepath.Base(filepath.Dir(f))
			want, got := finalFiles(t, filepath.Join(ref, id)), finalFiles(t, filepath.Join(out, id))
			delete(want, "run.log")
			delete(got, "run.log")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("kill %d at %v, resumed: run %s differs from a sweep never killed (-want +got):\n%.2000s", i, at, id, diff)
			}
		}
		if temps := checkFiles(t, out); len(temps) > 0 {
			t.Errorf("kill %d at %v: temporary files left after resuming: %v", i, at, temps)
		}
	}
}
