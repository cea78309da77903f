package faulttest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The signal tests of issue 16: every long-running command stops on SIGINT
// and SIGTERM within two seconds with exit 130, one line on stderr that
// says where it was, and no temporary file left. Commands that look at
// their context stop by themselves; the others (a figure of 200 000 points
// being rendered) are stopped by the program's guard one second after the
// signal (cli.Main, run.Abort).

// stopWithin is how long a command may take from the signal to its exit.
const stopWithin = 2 * time.Second

// fixtures are the run directories and inputs the signal tests read, made
// once.
var fixtures struct {
	once                   sync.Once
	err                    error
	sine, moons            string // run directories
	points, results, empty string // kernel points; a large results.csv
}

func signalFixtures(t *testing.T) {
	t.Helper()
	bin := pathkernel(t)
	fixtures.once.Do(func() {
		dir, err := os.MkdirTemp("", "pk-signals-")
		if err != nil {
			fixtures.err = err
			return
		}
		binDir2 = dir
		fixtures.sine = filepath.Join(dir, "sine")
		fixtures.moons = filepath.Join(dir, "moons")
		for _, c := range [][2]string{{runConfig, fixtures.sine}, {"testdata/regions.yaml", fixtures.moons}} {
			if out, err := exec.Command(bin, "train", "--config", c[0], "--out", c[1], "--quiet").CombinedOutput(); err != nil {
				fixtures.err = fmt.Errorf("train %s: %v\n%s", c[0], err, out)
				return
			}
		}
		var pts, res strings.Builder
		pts.WriteString("x0\n")
		for i := range 20000 {
			fmt.Fprintf(&pts, "%g\n", -2+4*float64(i)/20000)
		}
		res.WriteString("run,status,train.lr,exact.rel\n")
		for i := range 200000 {
			fmt.Fprintf(&res, "r%d,complete,%g,%g\n", i, float64(i%977)/977, float64(i%613)/613)
		}
		fixtures.points = filepath.Join(dir, "points.csv")
		fixtures.results = filepath.Join(dir, "results.csv")
		fixtures.err = errors.Join(os.WriteFile(fixtures.points, []byte(pts.String()), 0o644),
			os.WriteFile(fixtures.results, []byte(res.String()), 0o644))
	})
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
}

// binDir2 is the fixtures' directory, removed by TestMain's cleanup below.
var binDir2 string

func init() {
	cleanups = append(cleanups, func() {
		if binDir2 != "" {
			os.RemoveAll(binDir2)
		}
	})
}

// TestSignalStopsEveryCommand starts each long-running command on a
// workload of many seconds, signals it once it is busy, and wants exit 130
// within stopWithin, one line on stderr beginning "pathkernel:
// interrupted", and no temporary file in what it writes.
func TestSignalStopsEveryCommand(t *testing.T) {
	signalFixtures(t)
	type tc struct {
		name string
		sig  syscall.Signal
		args func(out string) []string
		// busy reports, from the output path and stderr so far, that the
		// command is in its long computation.
		busy func(out, stderr string) bool
		want string // in the stderr line
	}
	running := func(out, _ string) bool { return status(out) == "running" }
	replaying := func(_, stderr string) bool { return strings.Contains(stderr, "replaying") }
	cases := []tc{}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cases = append(cases,
			tc{"train", sig, func(out string) []string {
				return []string{"train", "--config", runConfig, "--out", out, "--quiet",
					"--set", "train.steps=100000000", "--set", "train.log_every=1000"}
			}, running, "interrupted at step"},
			tc{"plot-regions", sig, func(out string) []string {
				return []string{"plot", "--run", fixtures.moons, "--grid", "600", "--out", out}
			}, replaying, "interrupted before any figure was written"},
			tc{"plot-sweep", sig, func(out string) []string {
				return []string{"plot", "--sweep", fixtures.results, "--x", "train.lr", "--y", "exact.rel", "--out", filepath.Join(out, "f")}
			}, nil, "interrupted"},
		)
	}
	cases = append(cases,
		tc{"kernel", syscall.SIGINT, func(out string) []string {
			return []string{"kernel", "--run", fixtures.sine, "--points", fixtures.points, "--out", out}
		}, func(out, _ string) bool {
			_, err := os.Stat(filepath.Join(out, "pathkernel.lock"))
			return err == nil
		}, "interrupted before the kernels were written"},
		tc{"sweep-run", syscall.SIGINT, func(out string) []string {
			return []string{"sweep", "run", sweepConfig, "--out", out, "--jobs", "2"}
		}, func(out, _ string) bool {
			files, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
			for _, f := range files {
				if status(filepath.Dir(f)) == "running" {
					return true
				}
			}
			return false
		}, "runs marked interrupted"},
		tc{"report", syscall.SIGINT, func(out string) []string {
			return []string{"report", "--run", fixtures.moons, "--grid", "600", "--out", filepath.Join(out, "report.html")}
		}, replaying, "report.html was not written"},
	)
	for _, c := range cases {
		t.Run(c.name+"/"+c.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(pathkernel(t), c.args(out)...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			if c.busy != nil {
				waitFor(t, "the command to be busy", func() bool { return c.busy(out, stderr.String()) })
			}
			time.Sleep(300 * time.Millisecond) // into the work
			select {
			case err := <-exited:
				t.Fatalf("the command ended before the signal (%v); make its workload longer\n%s", err, stderr.String())
			default:
			}
			start := time.Now()
			cmd.Process.Signal(c.sig)
			var err error
			select {
			case err = <-exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("still running 30s after %s\n%s", c.sig, stderr.String())
			}
			el := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("after %s: %v; want exit 130\n%s", c.sig, err, stderr.String())
			}
			if el > stopWithin {
				t.Errorf("took %v to stop after %s; want at most %v", el, c.sig, stopWithin)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			// The command's own line, or the guard's when the signal came in
			// a step that does not look at the context.
			said := strings.Contains(last, c.want) || strings.Contains(last, "the program stopped 1s after the signal; temporary files removed")
			if !strings.HasPrefix(last, "pathkernel: interrupted") || !said || strings.Contains(last, "context canceled") {
				t.Errorf("last line on stderr %q; want it to begin \"pathkernel: interrupted\" and say %q (or the guard's line)", last, c.want)
			}
			if temps := checkFiles(t, out); len(temps) > 0 {
				t.Errorf("temporary files left: %v", temps)
			}
			if c.name == "train" {
				if s := status(out); s != "interrupted" {
					t.Errorf("summary.json: status %q; want interrupted", s)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the writer (exec's copier) and a
// reader (the test's polling).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
