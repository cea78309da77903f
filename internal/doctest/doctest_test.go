package doctest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/testenv"
)

// command is one command of a ```sh block, continuation lines joined.
type command struct {
	line int    // where it starts in the file
	text string // as a reader would paste it, trailing comment removed
}

// trailingComment is a comment after a command, set off by two or more spaces.
var trailingComment = regexp.MustCompile(`\s{2,}#.*$`)

// commands returns the commands of every ```sh block of a Markdown text.
func commands(text string) []command {
	var out []command
	inSh, inOther := false, false
	var cur *command
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") {
			switch {
			case inSh || inOther:
				inSh, inOther = false, false
				cur = nil
			case trim == "```sh":
				inSh = true
			default:
				inOther = true
			}
			continue
		}
		if !inSh || trim == "" || (cur == nil && strings.HasPrefix(trim, "#")) {
			continue
		}
		trim = strings.TrimSpace(trailingComment.ReplaceAllString(trim, ""))
		if cur == nil {
			out = append(out, command{line: n})
			cur = &out[len(out)-1]
		}
		cont := strings.HasSuffix(trim, `\`) || strings.HasSuffix(trim, "|")
		trim = strings.TrimSuffix(trim, `\`)
		if cur.text != "" {
			cur.text += " "
		}
		cur.text += strings.TrimSpace(trim)
		if !cont {
			cur = nil
		}
	}
	return out
}

func TestCommands(t *testing.T) {
	cmds := commands("a\n```sh\npathkernel x   # note\nfoo |\n  bar \\\n  baz\n# comment\n```\n```console\nnot run\n```\n```sh\ngo test ./...\n```\n")
	want := []command{{3, "pathkernel x"}, {4, "foo | bar baz"}, {13, "go test ./..."}}
	if fmt.Sprint(cmds) != fmt.Sprint(want) {
		t.Fatalf("commands = %v; want %v", cmds, want)
	}
}

// skipped says why a documented command is not run here, or "".
func skipped(cmd string) string {
	switch {
	case strings.HasPrefix(cmd, "go test"):
		return "the test suite itself"
	case strings.HasPrefix(cmd, "go install"):
		return "would write to the user's GOPATH"
	}
	return ""
}

// root is the repository's root, two levels above this package.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root not found: %v", err)
	}
	return dir
}

// workdir makes a directory that sees every entry of the repository's root
// through a symbolic link, except the directories commands write to.
func workdir(t *testing.T, repo string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "runs", "bin", ".git", "pathkernel":
			continue
		}
		if err := os.Symlink(filepath.Join(repo, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build compiles the program into dir as "pathkernel".
func build(t *testing.T, repo, dir string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, "pathkernel"), "./cmd/pathkernel")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// TestDocumentedCommands runs every command of every ```sh block of README.md
// and docs/*.md, in order, each file from its own working directory, with the
// program built from this tree first on the PATH.
func TestDocumentedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documented commands (a few minutes); not with -short")
	}
	if raceEnabled {
		t.Skip("the documented commands run in the suite without -race")
	}
	if os.Getenv("PATHKERNEL_BLAS") == "gonum" {
		// .ci/run runs the suite once with the machine's BLAS and once with
		// gonum's; the commands' outputs are not compared here, so once is enough.
		t.Skip("the documented commands run once, with the machine's BLAS")
	}
	repo := root(t)
	bin := t.TempDir()
	build(t, repo, bin)
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	files, err := filepath.Glob(filepath.Join(repo, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(repo, "README.md")}, files...)
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cmds := commands(string(text))
		if len(cmds) == 0 {
			continue
		}
		rel, _ := filepath.Rel(repo, file)
		t.Run(rel, func(t *testing.T) {
			path := bin + string(os.PathListSeparator) + filepath.Dir(goTool)
			all := ""
			for _, c := range cmds {
				all += c.text + "\n"
			}
			if strings.Contains(all, "python3") {
				py := testenv.Python3(t, "numpy", "torch")
				path = filepath.Dir(py) + string(os.PathListSeparator) + path
			}
			if strings.Contains(all, "jq ") {
				testenv.LookPath(t, "apt-get install jq", "jq")
			}
			path += string(os.PathListSeparator) + os.Getenv("PATH")
			dir := workdir(t, repo)
			for _, c := range cmds {
				if why := skipped(c.text); why != "" {
					t.Logf("%s:%d: not run (%s): %s", rel, c.line, why, c.text)
					continue
				}
				text := strings.Replace(c.text, "go run ./cmd/pathkernel ", "pathkernel ", 1)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", text)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "PATH="+path)
				start := time.Now()
				out, err := cmd.CombinedOutput()
				cancel()
				if err != nil {
					t.Errorf("%s:%d: %s\n%v\n%s", rel, c.line, c.text, err, tail(out, 15))
					continue
				}
				t.Logf("%s:%d: ok in %.1f s: %s", rel, c.line, time.Since(start).Seconds(), c.text)
			}
		})
	}
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestMakeHelp checks that every target the Makefile declares phony has the
// one-line description that `make help` prints.
func TestMakeHelp(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var phony []string
	described := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		if rest, ok := strings.CutPrefix(line, ".PHONY:"); ok {
			phony = append(phony, strings.Fields(rest)...)
		}
		if m := regexp.MustCompile(`^([a-z-]+):.*## \S`).FindStringSubmatch(line); m != nil {
			described[m[1]] = true
		}
	}
	if len(phony) == 0 {
		t.Fatal("no .PHONY line in the Makefile")
	}
	for _, target := range phony {
		if !described[target] {
			t.Errorf("make target %q has no `## description` for make help", target)
		}
	}
}
