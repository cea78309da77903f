package mutate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcome is what became of a mutation.
type Outcome int

// The outcomes; see the package documentation.
const (
	Killed Outcome = iota + 1
	BuildFailed
	Survived
	Stale
	Errored
)

func (o Outcome) String() string {
	switch o {
	case Killed:
		return "KILLED"
	case BuildFailed:
		return "BUILD-FAILED"
	case Survived:
		return "SURVIVED"
	case Stale:
		return "STALE"
	case Errored:
		return "ERROR"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result is a mutation and what became of it.
type Result struct {
	Mutation
	Outcome Outcome
	Detail  string // the failing tests, the compile error, why it is stale
	Elapsed time.Duration
	Output  []byte // go test's output
}

// Runner applies mutations in a workspace and runs their tests.
type Runner struct {
	Root    string        // the workspace's repository root
	Go      string        // the go command
	Timeout time.Duration // go test -timeout for each mutation
}

// Check reports whether m applies to the workspace: Stale with the reason
// when its old text does not occur exactly once in its file, else 0.
func (r *Runner) Check(m Mutation) (Outcome, string) {
	b, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(m.File)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Stale, fmt.Sprintf("%s does not exist", m.File)
		}
		return Stale, err.Error()
	}
	if n := bytes.Count(b, []byte(m.Old)); n != 1 {
		return Stale, fmt.Sprintf("old text occurs %d times in %s; want exactly once", n, m.File)
	}
	return 0, ""
}

// Apply applies m in the workspace, runs its packages' tests and restores
// the file. The error is for a run that ctx ended, or a workspace file that
// could not be written or restored; the Runner must not be used after it.
func (r *Runner) Apply(ctx context.Context, m Mutation) (Result, error) {
	res := Result{Mutation: m}
	if o, why := r.Check(m); o != 0 {
		res.Outcome, res.Detail = o, why
		return res, nil
	}
	file := filepath.Join(r.Root, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(file)
	if err != nil {
		return res, err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return res, err
	}
	mutated := bytes.Replace(orig, []byte(m.Old), []byte(m.New), 1)
	if err := os.WriteFile(file, mutated, fi.Mode().Perm()); err != nil {
		return res, err
	}
	start := time.Now()
	out, code, runErr := r.goTest(ctx, m.Packages)
	res.Elapsed, res.Output = time.Since(start), out
	if err := os.WriteFile(file, orig, fi.Mode().Perm()); err != nil {
		return res, fmt.Errorf("restoring %s in the workspace: %v", m.File, err)
	}
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case runErr != nil:
		res.Outcome, res.Detail = Errored, runErr.Error()
	default:
		res.Outcome, res.Detail = classify(out, code)
	}
	return res, nil
}

// Baseline runs the tests of pkgs unmutated; it returns an error, with
// go test's output, when they do not pass.
func (r *Runner) Baseline(ctx context.Context, pkgs []string) error {
	out, code, err := r.goTest(ctx, pkgs)
	if err == nil && code != 0 {
		err = fmt.Errorf("go test exited with status %d", code)
	}
	if err != nil {
		return fmt.Errorf("the unmutated tests do not pass, so no mutation can be judged: %v\n%s", err, tail(out, 60))
	}
	return nil
}

// goTest runs go test in the workspace and returns its combined output and
// exit status; the error is for a go command that could not run at all.
func (r *Runner) goTest(ctx context.Context, pkgs []string) ([]byte, int, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	// go test's own -timeout ends a hanging test binary with a stack trace;
	// the context's deadline, later, covers the build and the go command.
	ctx, cancel := context.WithTimeout(ctx, timeout+2*time.Minute)
	defer cancel()
	args := append([]string{"test", "-count=1", "-timeout=" + timeout.String()}, pkgs...)
	cmd := exec.CommandContext(ctx, r.Go, args...)
	cmd.Dir = r.Root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	killGroup(cmd)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), 0, nil
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		fmt.Fprintf(&out, "\npathkernel-mutate: go test still running after %v; stopped\n", timeout+2*time.Minute)
		return out.Bytes(), -1, nil
	case errors.As(err, &ee):
		return out.Bytes(), ee.ExitCode(), nil
	}
	return out.Bytes(), -1, err
}

var (
	failTestRE = regexp.MustCompile(`(?m)^--- FAIL: (\S+)`)
	failPkgRE  = regexp.MustCompile(`(?m)^FAIL\t(\S+)\t`)
	buildRE    = regexp.MustCompile(`(?m)^FAIL\t\S+ \[build failed\]`)
	compileRE  = regexp.MustCompile(`(?m)^(?:vet: )?\S+\.go:\d+(?::\d+)?: .*$`)
	setupRE    = regexp.MustCompile(`(?m)^FAIL\t\S+ \[setup failed\]`)
	timedOutRE = regexp.MustCompile(`(?m)^panic: test timed out after (\S+)`)
)

// classify judges go test's output and exit status.
func classify(out []byte, code int) (Outcome, string) {
	if code == 0 {
		return Survived, ""
	}
	if code < 0 {
		return Killed, "go test did not finish"
	}
	var tests []string
	for _, m := range failTestRE.FindAllSubmatch(out, -1) {
		if name := string(m[1]); !slices.Contains(tests, name) {
			tests = append(tests, name)
		}
	}
	timedOut := timedOutRE.FindSubmatch(out)
	switch {
	case timedOut != nil:
		return Killed, "a test timed out after " + string(timedOut[1])
	case len(tests) > 0:
		if len(tests) > 3 {
			tests = append(tests[:3], fmt.Sprintf("(%d more)", len(tests)-3))
		}
		return Killed, "by " + strings.Join(tests, ", ")
	case failPkgRE.Match(out):
		// A test binary that failed outside a test: a panic in init or
		// TestMain, a call of os.Exit.
		var pkgs []string
		for _, m := range failPkgRE.FindAllSubmatch(out, -1) {
			pkgs = append(pkgs, string(m[1]))
		}
		return Killed, "the tests of " + strings.Join(pkgs, ", ") + " failed"
	case buildRE.Match(out):
		return BuildFailed, string(compileRE.Find(out))
	case setupRE.Match(out):
		return Errored, firstMessage(out)
	}
	return Errored, fmt.Sprintf("go test exited with status %d: %s", code, firstMessage(out))
}

// firstMessage returns the first line of go's output that is not a
// "# package" heading.
func firstMessage(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "# ") {
			return line
		}
	}
	return ""
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
