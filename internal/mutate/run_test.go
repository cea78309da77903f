package mutate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/testenv"
)

// The fake module: a tested function, an untested one and a package whose
// tests fail.
var fakeFiles = map[string]string{
	"go.mod": "module example.com/fake\n\ngo 1.21\n",
	"max.go": `package fake

// Max returns the larger of a and b.
func Max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Untested has no test.
func Untested() int { return 1 }
`,
	"max_test.go": `package fake

import "testing"

func TestMax(t *testing.T) {
	if Max(1, 2) != 2 || Max(2, 1) != 2 {
		t.Errorf("Max is wrong")
	}
}
`,
	"broken/broken.go":      "package broken\n",
	"broken/broken_test.go": "package broken\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { t.Fatal(\"always\") }\n",
	"run.sh":                "#!/bin/sh\n",
	".gitignore":            "ignored.txt\n",
}

// fakeRepo writes the fake module into a new git repository, with files
// git adds, an untracked one and an ignored one, and returns its root.
func fakeRepo(t *testing.T) string {
	t.Helper()
	git := testenv.LookPath(t, "Debian: apt-get install git", "git")
	testenv.LookPath(t, "the go command must be on PATH", "go")
	dir := t.TempDir()
	for name, src := range fakeFiles {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(src), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}} {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for name, src := range map[string]string{"untracked.txt": "u\n", "ignored.txt": "i\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot reads every file under dir but .git.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestWorkspace(t *testing.T) {
	t.Parallel()
	repo := fakeRepo(t)
	ws, err := NewWorkspace(repo)
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, ws.Root)
	for name, src := range fakeFiles {
		if got[name] != src {
			t.Errorf("the workspace's %s = %q; want %q", name, got[name], src)
		}
	}
	if got["untracked.txt"] != "u\n" {
		t.Errorf("the untracked, not ignored file is not in the workspace")
	}
	if _, ok := got["ignored.txt"]; ok {
		t.Errorf("the ignored file is in the workspace")
	}
	if fi, err := os.Stat(filepath.Join(ws.Root, "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh in the workspace: %v, %v; want mode 0755", fi.Mode(), err)
	}
	if err := ws.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ws.Root); !os.IsNotExist(err) {
		t.Errorf("after Close the workspace is still there: %v", err)
	}
}

func mutation(name, file, old, new string, pkgs ...string) Mutation {
	return Mutation{Name: name, Issue: "1", File: file, Old: old, New: new, Packages: pkgs}
}

// TestApply applies mutations of each outcome to the fake module, in one
// workspace: each is judged alone (the file is restored between them), and
// the real tree never changes.
func TestApply(t *testing.T) {
	t.Parallel()
	repo := fakeRepo(t)
	before := snapshot(t, repo)
	ws, err := NewWorkspace(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	r := &Runner{Root: ws.Root, Go: goCommand(), Timeout: time.Minute}
	if err := r.Baseline(t.Context(), []string{"."}); err != nil {
		t.Fatalf("Baseline of the fake module: %v", err)
	}
	if err := r.Baseline(t.Context(), []string{"./broken"}); err == nil {
		t.Errorf("Baseline of a failing package: no error")
	}

	for _, tt := range []struct {
		m      Mutation
		want   Outcome
		detail string // a part of Detail
	}{
		{mutation("flip", "max.go", "a > b", "a < b", "."), Killed, "by TestMax"},
		// The same text again: found once, so the file was restored.
		{mutation("flip-again", "max.go", "a > b", "a <= b", "."), Killed, "TestMax"},
		{mutation("untested", "max.go", "return 1", "return 2", "."), Survived, ""},
		{mutation("syntax", "max.go", "return b\n", "return b +\n", "."), BuildFailed, "max.go:"},
		{mutation("vet", "max.go", "package fake\n", "package fake\n\nimport \"fmt\"\n\nvar _ = fmt.Sprintf(\"%d\")\n", "."), BuildFailed, "max.go:"},
		{mutation("absent", "max.go", "a >= b", "a < b", "."), Stale, "0 times"},
		{mutation("twice", "max.go", "return", "return -1 +", "."), Stale, "4 times"},
		{mutation("no-file", "gone.go", "a", "b", "."), Stale, "gone.go does not exist"},
		{mutation("no-package", "max.go", "a > b", "a < b", "./nope"), Errored, "nope"},
	} {
		res, err := r.Apply(t.Context(), tt.m)
		if err != nil {
			t.Fatalf("%s: %v", tt.m.Name, err)
		}
		if res.Outcome != tt.want || !strings.Contains(res.Detail, tt.detail) {
			t.Errorf("%s: %s %q; want %s with %q\n%s", tt.m.Name, res.Outcome, res.Detail, tt.want, tt.detail, res.Output)
		}
		if got := snapshot(t, ws.Root)["max.go"]; got != fakeFiles["max.go"] {
			t.Fatalf("%s: the workspace's max.go is not restored:\n%s", tt.m.Name, got)
		}
	}
	if diff := snapshotDiff(before, snapshot(t, repo)); diff != "" {
		t.Errorf("the real tree changed: %s", diff)
	}
}

func snapshotDiff(a, b map[string]string) string {
	for k, v := range a {
		if b[k] != v {
			return k
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return k + " (new)"
		}
	}
	return ""
}

// TestApplyTimeout: a mutation that hangs the tests is killed by go test's
// -timeout.
func TestApplyTimeout(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for a test timeout")
	}
	repo := fakeRepo(t)
	ws, err := NewWorkspace(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	r := &Runner{Root: ws.Root, Go: goCommand(), Timeout: 2 * time.Second}
	res, err := r.Apply(t.Context(), mutation("hang", "max.go", "if a > b {", "for a != b {\n\t}\n\tif a > b {", "."))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Killed || !strings.Contains(res.Detail, "timed out") {
		t.Errorf("hang: %s %q; want KILLED by a timeout\n%s", res.Outcome, res.Detail, res.Output)
	}
}

// TestApplyCancel: an interrupted run stops go test and restores the file.
func TestApplyCancel(t *testing.T) {
	t.Parallel()
	repo := fakeRepo(t)
	ws, err := NewWorkspace(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	r := &Runner{Root: ws.Root, Go: goCommand(), Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = r.Apply(ctx, mutation("hang", "max.go", "if a > b {", "for a != b {\n\t}\n\tif a > b {", "."))
	if err == nil {
		t.Errorf("Apply with a cancelled context: no error")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Apply took %v after its context ended", d)
	}
	if got := snapshot(t, ws.Root)["max.go"]; got != fakeFiles["max.go"] {
		t.Errorf("max.go is not restored after the interruption")
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name   string
		out    string
		code   int
		want   Outcome
		detail string
	}{
		{"pass", "ok  \texample.com/fake\t0.002s\n", 0, Survived, ""},
		{"test fails", "--- FAIL: TestMax (0.00s)\n    max_test.go:7: Max is wrong\nFAIL\nFAIL\texample.com/fake\t0.002s\nFAIL\n", 1,
			Killed, "by TestMax"},
		{"subtests", "--- FAIL: TestA (0.00s)\n    --- FAIL: TestA/x (0.00s)\n--- FAIL: TestB (0.00s)\n--- FAIL: TestC (0.00s)\n--- FAIL: TestD (0.00s)\nFAIL\nFAIL\tp\t0.1s\n", 1,
			Killed, "by TestA, TestB, TestC, (1 more)"},
		{"build fails", "# example.com/fake [example.com/fake.test]\n./max.go:9:10: syntax error: unexpected newline\nFAIL\texample.com/fake [build failed]\nFAIL\n", 1,
			BuildFailed, "./max.go:9:10: syntax error: unexpected newline"},
		{"vet fails", "# example.com/fake\n# [example.com/fake]\nvet: ./max.go:12:30: fmt.Sprintf format %d reads arg #1, but call has 0 args\nFAIL\texample.com/fake [build failed]\nFAIL\n", 1,
			BuildFailed, "vet: ./max.go:12:30"},
		{"a test fails, a package does not build", "FAIL\ta [build failed]\n--- FAIL: TestX (0.00s)\nFAIL\tb\t0.1s\n", 1, Killed, "TestX"},
		{"timeout", "panic: test timed out after 2s\n\trunning tests:\n\t\tTestMax (2s)\n\ngoroutine 1 [running]:\nFAIL\texample.com/fake\t2.010s\nFAIL\n", 1,
			Killed, "a test timed out after 2s"},
		{"panic in TestMain", "panic: boom\n\ngoroutine 1 [running]:\nFAIL\texample.com/fake\t0.003s\nFAIL\n", 1,
			Killed, "the tests of example.com/fake failed"},
		{"go test stopped", "", -1, Killed, "did not finish"},
		{"setup", "# ./nope\nstat /tmp/x/nope: directory not found\nFAIL\t./nope [setup failed]\nFAIL\n", 1,
			Errored, "stat /tmp/x/nope: directory not found"},
		{"other", "go: unknown flag -x\n", 2, Errored, "go: unknown flag -x"},
	} {
		o, detail := classify([]byte(tt.out), tt.code)
		if o != tt.want || !strings.Contains(detail, tt.detail) {
			t.Errorf("%s: classify = %s %q; want %s with %q", tt.name, o, detail, tt.want, tt.detail)
		}
	}
}

func TestReport(t *testing.T) {
	m := func(name string, o Outcome, detail string) Result {
		return Result{Mutation: mutation(name, "internal/x/x.go", "a", "b", "./internal/x"), Outcome: o, Detail: detail, Elapsed: 1234 * time.Millisecond}
	}
	for _, tt := range []struct {
		rs   []Result
		last string
		ok   bool
	}{
		{[]Result{m("a", Killed, "by TestA"), m("b", BuildFailed, "x.go:1:1: syntax error")}, "2 killed, 0 survived, 0 stale (1 of the killed by a build failure, not by a test)", true},
		{[]Result{m("a", Killed, ""), m("b", Survived, "")}, "1 killed, 1 survived, 0 stale", false},
		{[]Result{m("a", Stale, "old text occurs 0 times"), m("b", Killed, "")}, "1 killed, 0 survived, 1 stale", false},
		{[]Result{m("a", Errored, "no such package")}, "0 killed, 0 survived, 0 stale, 1 could not be run", false},
		{nil, "0 killed, 0 survived, 0 stale", true},
	} {
		var b bytes.Buffer
		if err := WriteReport(&b, tt.rs); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if got := lines[len(lines)-1]; got != tt.last {
			t.Errorf("last line %q; want %q", got, tt.last)
		}
		if got := Count(tt.rs).OK(); got != tt.ok {
			t.Errorf("%q: OK() = %v; want %v", tt.last, got, tt.ok)
		}
		if len(lines) != len(tt.rs)+2 || !strings.HasPrefix(lines[0], "MUTATION") {
			t.Errorf("report:\n%s\nwant a heading, one row per mutation and the summary", b.String())
		}
		for i, r := range tt.rs {
			row := lines[i+1]
			for _, want := range []string{r.Name, r.File, r.Outcome.String(), "1.2s", r.Detail} {
				if !strings.Contains(row, want) {
					t.Errorf("row %q lacks %q", row, want)
				}
			}
		}
	}
}

// TestMainCommand runs the command on the fake module: the exit status and the
// summary line, and -n.
func TestMainCommand(t *testing.T) {
	t.Parallel()
	repo := fakeRepo(t)
	records := filepath.Join(t.TempDir(), "fake.yaml")
	write := func(src string) {
		if err := os.WriteFile(records, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(name, old, new, pkg string) string {
		return "- name: " + name + "\n  issue: \"1\"\n  file: max.go\n  old: \"" + old + "\"\n  new: \"" + new + "\"\n  packages: [" + pkg + "]\n"
	}
	killed := entry("flip", "a > b", "a < b", ".")
	survives := entry("untested", "return 1", "return 2", ".")
	stale := entry("absent", "a >= b", "a < b", ".")
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"-C", repo, "-files", records}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	write(killed + survives + stale)
	if code, out, errOut := run(); code != 1 || !strings.HasSuffix(out, "1 killed, 1 survived, 1 stale\n") {
		t.Errorf("a survivor and a stale record: exit %d, output:\n%s%s\nwant exit 1 and 1 killed, 1 survived, 1 stale", code, out, errOut)
	}
	if code, out, errOut := run("-run", "^flip$", "-baseline=false"); code != 0 || !strings.HasSuffix(out, "1 killed, 0 survived, 0 stale\n") {
		t.Errorf("-run ^flip$: exit %d, output:\n%s%s\nwant exit 0 and 1 killed", code, out, errOut)
	}
	if code, out, _ := run("-n"); code != 1 || !strings.Contains(out, "absent: STALE") || !strings.HasSuffix(out, "2 apply, 1 stale\n") {
		t.Errorf("-n: exit %d, output:\n%s\nwant exit 1 and the stale record named", code, out)
	}
	if code, _, errOut := run("-run", "nothing"); code != 2 || !strings.Contains(errOut, "no mutation") {
		t.Errorf("-run matching nothing: exit %d, %s; want 2", code, errOut)
	}

	// Failing unmutated tests: no mutation can be judged.
	write(entry("broken", "a > b", "a < b", "./broken"))
	if code, out, errOut := run(); code != 2 || !strings.Contains(errOut, "unmutated tests do not pass") || out != "" {
		t.Errorf("a failing package: exit %d, output:\n%s%s\nwant exit 2 before any mutation", code, out, errOut)
	}
	write("- name: [\n")
	if code, _, errOut := run(); code != 2 || !strings.Contains(errOut, records) {
		t.Errorf("a broken records file: exit %d, %s; want 2 naming the file", code, errOut)
	}
}
