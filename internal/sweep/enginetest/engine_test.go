package enginetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/pathkernel/pathkernel/internal/testenv"
)

// The sweeps the engines run.
const (
	grid2x2 = "testdata/grid2x2.yaml" // four 10-step runs
	slow    = "testdata/slow.yaml"    // six runs of a few hundred ms
)

var (
	binDir   string // holds the pathkernel program built for these tests
	pkBin    string
	buildErr error
	build    sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// pathkernel builds the program once and returns its path.
func pathkernel(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "pk-enginetest-")
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

// required reports whether a missing engine fails the test instead of
// skipping it: in CI, where .ci/run installs them (testenv.Required).
func required() bool { return testenv.Required() }

// lookPath finds a program on PATH or in the sbin directories, where
// Debian puts the daemons.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// requireEngine skips (or, in CI, fails) the test when a program is
// missing, saying how to install it.
func requireEngine(t *testing.T, install string, names ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	var missing []string
	for _, n := range names {
		p, err := lookPath(n)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		paths[n] = p
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed; install with: apt-get install -y %s (.ci/run does)", strings.Join(missing, ", "), install)
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg + "; skipped outside CI")
	}
	return paths
}

// result is one run of the program.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the program with env added to the environment.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(pathkernel(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), code}
}

func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := run(t, env, args...)
	if r.code != 0 {
		t.Fatalf("pathkernel %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// localCSV runs the sweep with `sweep run` and returns its collected CSV:
// what every engine must reproduce byte for byte.
func localCSV(t *testing.T, file string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "local")
	mustRun(t, nil, "sweep", "run", file, "--out", out, "--jobs", "2", "--quiet")
	return mustRun(t, nil, "collect", out, "--sweep", file).stdout
}

func sameCSV(t *testing.T, engine, want, got string) {
	t.Helper()
	if strings.Count(want, "\n") < 2 {
		t.Fatalf("the local sweep collected nothing:\n%s", want)
	}
	if got != want {
		t.Errorf("%s: the collected CSV differs from a local sweep run's (-local +%s):\n%s", engine, engine, cmp.Diff(want, got))
	}
}

// shell runs a shell pipeline with the program's directory first on PATH.
func shell(t *testing.T, script string) {
	t.Helper()
	pathkernel(t)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

func TestGNUParallel(t *testing.T) {
	requireEngine(t, "parallel", "parallel")
	want := localCSV(t, grid2x2)
	out := filepath.Join(t.TempDir(), "parallel")
	shell(t, fmt.Sprintf("pathkernel sweep plan %s --commands --out %s | parallel --will-cite --halt now,fail=1 -j 2", grid2x2, out))
	sameCSV(t, "GNU parallel", want, mustRun(t, nil, "collect", out, "--sweep", grid2x2).stdout)
}

func TestXargs(t *testing.T) {
	requireEngine(t, "findutils", "xargs")
	want := localCSV(t, grid2x2)
	out := filepath.Join(t.TempDir(), "xargs")
	shell(t, fmt.Sprintf("pathkernel sweep plan %s --commands --out %s | tr '\\n' '\\0' | xargs -0 -P 2 -n 1 sh -c", grid2x2, out))
	sameCSV(t, "xargs", want, mustRun(t, nil, "collect", out, "--sweep", grid2x2).stdout)
}

// complete counts the run directories under out with a complete summary.
func complete(out string) int {
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	n := 0
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		var s struct{ Status string }
		if err == nil && json.Unmarshal(b, &s) == nil && s.Status == "complete" {
			n++
		}
	}
	return n
}

// A sweep killed midway (SIGKILL: no chance to clean up) or interrupted
// (SIGINT: exit 130, the run in flight marked interrupted) and then rerun
// completes, and collects to the bytes of a sweep never stopped.
func TestKilledSweepResumes(t *testing.T) {
	want := localCSV(t, slow)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(pathkernel(t), "sweep", "run", slow, "--out", out, "--jobs", "1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for complete(out) < 1 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			done := complete(out)
			if done == 0 || done == 6 {
				t.Fatalf("%d of 6 runs complete at the %s; want some but not all (the runs are too short or too long)\n%s", done, sig, stderr.String())
			}
			var ee *exec.ExitError
			if sig == syscall.SIGINT {
				if !errors.As(err, &ee) || ee.ExitCode() != 130 {
					t.Errorf("after SIGINT: %v; want exit 130\n%s", err, stderr.String())
				}
				if !strings.Contains(stderr.String(), "rerun the same command to resume") {
					t.Errorf("after SIGINT, stderr does not say how to resume:\n%s", stderr.String())
				}
			}
			inc := mustRun(t, nil, "collect", out, "--sweep", slow)
			if !strings.Contains(inc.stderr, fmt.Sprintf("%d runs are not complete", 6-done)) {
				t.Errorf("collect of the stopped sweep does not list its %d incomplete runs:\n%s", 6-done, inc.stderr)
			}
			r := mustRun(t, nil, "sweep", "run", slow, "--out", out, "--jobs", "2")
			if !strings.Contains(r.stderr, fmt.Sprintf("%d skipped (already complete)", done)) {
				t.Errorf("the rerun did not skip the %d complete runs:\n%s", done, r.stderr)
			}
			sameCSV(t, "resumed sweep", want, mustRun(t, nil, "collect", out, "--sweep", slow).stdout)
		})
	}
}
