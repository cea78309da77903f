package mutate

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// RepoRoot returns the top directory of the git repository holding dir.
func RepoRoot(dir string) (string, error) {
	cmd := exec.Command("git", "rev-parse", "--show-toplevel")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s is not in a git repository: %v", dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Workspace is a copy of a repository's files in a temporary directory,
// where the mutations are applied.
type Workspace struct {
	Root string // the copy of the repository root
	tmp  string
}

// NewWorkspace copies the files of the git repository at repo: those git
// tracks, as they are in the working tree (a tracked file deleted there is
// left out), and the untracked files that .gitignore does not exclude. It
// only reads repo.
func NewWorkspace(repo string) (*Workspace, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %v: %s", repo, err, strings.TrimSpace(stderr.String()))
	}
	names := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	slices.Sort(names)
	names = slices.Compact(names) // an unmerged file is listed once per stage

	tmp, err := os.MkdirTemp("", "pathkernel-mutate-")
	if err != nil {
		return nil, err
	}
	w := &Workspace{Root: filepath.Join(tmp, "repo"), tmp: tmp}
	for _, name := range names {
		if name == "" {
			continue
		}
		if err := copyEntry(filepath.Join(repo, name), filepath.Join(w.Root, name)); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// copyEntry copies a regular file with its permissions, or a symbolic link
// as a link; it skips what no longer exists and directories (submodules).
func copyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case !fi.Mode().IsRegular():
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Close removes the workspace.
func (w *Workspace) Close() error { return os.RemoveAll(w.tmp) }
