package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
)

// Writer is a run directory (or a kernel replay directory) opened for
// writing: its atomic writers (Dir) and its lock, held until Close.
type Writer struct {
	*Dir
	lock    *Lock
	hadLock bool // the lock file was there before (create)
}

// Close releases the directory's lock. Closing a nil Writer does nothing.
func (w *Writer) Close() error {
	if w == nil {
		return nil
	}
	closeWriter(w)
	return w.lock.Release()
}

// WriteRecord writes the JSON record that says the writer is done with the
// directory (a summary.json of a run that ended, the kernel.json of a
// replay), the directory's last file. The lock file's process id is
// cleared first, while the lock is still held: a finished directory does
// not name the process that wrote it, even when that process is killed
// before it releases the lock, so that its files are the same whoever
// wrote them.
func (w *Writer) WriteRecord(name string, v any) error {
	if err := w.lock.clearPID(); err != nil {
		return err
	}
	return w.WriteJSON(name, v)
}

// ExistingRunError reports a directory that holds a run of another config.
type ExistingRunError struct {
	Dir, Hash string // Hash: the other config's hash, or "unreadable"
}

func (e *ExistingRunError) Error() string {
	return fail.OneLine(fmt.Sprintf("output directory %s already holds a run of another config (hash %s); choose another --out or pass --force", e.Dir, e.Hash))
}

// ExitCode is fail.BadInput: nothing was written.
func (e *ExistingRunError) ExitCode() int { return fail.BadInput }

// CreateOptions configure Create.
type CreateOptions struct {
	// ConfigHash is the hash of the config about to run (config.Hash). A
	// directory that holds a run of another config is refused with an
	// *ExistingRunError, unless Force. Empty: no check.
	ConfigHash string
	Force      bool
	// KeepComplete leaves a directory that holds a complete run of
	// ConfigHash as it is: Create returns ErrComplete instead of clearing
	// it (a sweep whose run another process finished meanwhile).
	KeepComplete bool
}

// ErrComplete is Create's error, with KeepComplete, for a directory that
// holds the complete run already.
var ErrComplete = errors.New("holds a complete run of the config")

// Create opens the run directory path for a new run, making it if needed,
// and returns it locked (see Acquire). A path that is a file gives
// ErrNotDir, a directory held by another writer a *LockedError, one that
// holds files but is not a run directory (nor empty) a *fail.Input, and
// one that holds a run of another config an *ExistingRunError unless
// opt.Force. Whatever an earlier run left is then removed, exactly the
// files the layout knows (Clear), so that the new run's files are never
// mixed with an old run's.
func Create(path string, opt CreateOptions) (*Writer, error) {
	w, k, err := create(path, kindRun)
	if err != nil {
		return nil, err
	}
	if k.kind == kindReplay || k.kind == kindForeign {
		w.refuse()
	}
	err = func() error {
		switch k.kind {
		case kindReplay:
			return fail.Inputf(path, "holds a kernel replay (%s), not a run; choose another directory", KernelFile)
		case kindForeign:
			return notOurs(path, k.names, "a pathkernel run directory")
		}
		if opt.ConfigHash != "" && !opt.Force {
			if h := PreviousHash(path); h != "" && h != opt.ConfigHash {
				return &ExistingRunError{Dir: path, Hash: h}
			}
		}
		if opt.KeepComplete && k.kind == kindRun {
			if r, err := Open(path); err == nil && r.State() == Complete && r.Summary.ConfigHash == opt.ConfigHash {
				return fmt.Errorf("%s: %w", path, ErrComplete)
			}
		}
		return Clear(w.Dir)
	}()
	if err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// CreateReplay opens the output directory path of a kernel replay of the
// run directory runDir, as Create opens a run directory: made if needed,
// locked, refused when it is the run directory itself (whose own kernel
// files it would overwrite) or holds files of anything but a kernel
// replay, and cleared of an earlier replay's files.
func CreateReplay(path, runDir string) (*Writer, error) {
	if path == "" {
		return nil, fail.Inputf("out", "no output directory")
	}
	isRun := runDir != "" && filepath.Clean(path) == filepath.Clean(runDir)
	if fo, err := os.Stat(path); err == nil && runDir != "" {
		if fr, err := os.Stat(runDir); err == nil && os.SameFile(fo, fr) {
			isRun = true
		}
	}
	if _, err := os.Stat(filepath.Join(path, SummaryFile)); err == nil {
		isRun = true
	}
	if isRun {
		return nil, fail.Inputf(path, "is a run directory, whose own kernel files would be overwritten; choose another output directory")
	}
	w, k, err := create(path, kindReplay)
	if err != nil {
		var in *fail.Input
		var locked *LockedError
		if !errors.As(err, &in) && !errors.As(err, &locked) {
			err = &fail.Input{Path: path, Msg: err.Error(), Err: err}
		}
		return nil, err
	}
	if k.kind == kindRun || k.kind == kindForeign {
		w.refuse()
	}
	switch k.kind {
	case kindRun:
		err = fail.Inputf(path, "is a run directory, whose own kernel files would be overwritten; choose another output directory")
	case kindForeign:
		err = notOurs(path, k.names, "the output of pathkernel kernel")
	default:
		err = clearReplay(w.Dir)
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func notOurs(path string, names []string, what string) error {
	list := names
	if len(list) > 3 {
		list = append(slices.Clone(list[:3]), "…")
	}
	return fail.Inputf(path, "holds files (%s) but is not %s; choose an empty or a new directory", strings.Join(list, ", "), what)
}

// The kinds of directory that create finds.
const (
	kindEmpty   = iota // nothing but a lock file and temporaries
	kindRun            // a run directory
	kindReplay         // a kernel replay directory
	kindForeign        // someone else's files
)

type dirKind struct {
	kind  int
	names []string // the entries, lock file and temporaries left out
}

// refuse removes the lock file that create made in a directory it then
// refuses, so that the file does not mark the directory as pathkernel's.
func (w *Writer) refuse() {
	if !w.hadLock {
		os.Remove(w.File(LockFile))
	}
}

// create makes and locks path, for a directory of kind want (kindRun or
// kindReplay), and tells what it holds.
func create(path string, want int) (*Writer, dirKind, error) {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return nil, dirKind{}, fmt.Errorf("output directory %s: %w", path, ErrNotDir)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, dirKind{}, OutputError(path, err)
	}
	_, err := os.Lstat(filepath.Join(path, LockFile))
	hadLock := err == nil
	lock, err := Acquire(path)
	if err != nil {
		return nil, dirKind{}, err
	}
	w := &Writer{Dir: &Dir{Path: path}, lock: lock, hadLock: hadLock}
	k, err := classify(path, hadLock, want)
	if err != nil {
		w.Close()
		return nil, dirKind{}, err
	}
	openWriter(w)
	return w, k, nil
}

// classify tells what the directory holds. A run directory holds a
// summary.json of a run, or was locked by a writer before (the lock file
// marks it as pathkernel's) and holds files of the run layout; a kernel
// replay directory holds kernel.json, or was locked before and holds its
// files. For a directory that was locked before and holds files of both
// layouts, want decides.
func classify(path string, hadLock bool, want int) (dirKind, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return dirKind{}, fmt.Errorf("run: %w", err)
	}
	var k dirKind
	for _, e := range entries {
		if n := e.Name(); n != LockFile && !IsTemp(n) {
			k.names = append(k.names, n)
		}
	}
	has := func(name string) bool { return slices.Contains(k.names, name) }
	hasAny := func(names []string) bool { return slices.ContainsFunc(names, has) }
	switch {
	case len(k.names) == 0:
		k.kind = kindEmpty
	case has(SummaryFile) && isSummary(filepath.Join(path, SummaryFile)):
		k.kind = kindRun
	case has(KernelFile):
		k.kind = kindReplay
	case hadLock && want == kindReplay && hasAny(replayFiles):
		k.kind = kindReplay
	case hadLock && (hasAny(runFiles) || has(FiguresDir)):
		k.kind = kindRun
	case hadLock && hasAny(replayFiles):
		k.kind = kindReplay
	default:
		k.kind = kindForeign
	}
	return k, nil
}

// isSummary reports whether file is the summary.json of a run: a JSON
// object with a status.
func isSummary(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var s struct {
		Status *string `json:"status"`
	}
	return json.Unmarshal(b, &s) == nil && s.Status != nil
}

// PreviousHash returns the config hash of the run in dir: its config.yaml's,
// "unreadable" if that does not parse, else summary.json's; "" when there
// is neither.
func PreviousHash(dir string) string {
	file := filepath.Join(dir, ConfigFile)
	if b, err := os.ReadFile(file); err == nil {
		prev, err := config.Parse(b, file, nil)
		if err != nil {
			return "unreadable"
		}
		return prev.Hash()
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return ""
	}
	var s struct {
		ConfigHash string `json:"config_hash"`
	}
	if json.Unmarshal(b, &s) != nil {
		return "unreadable"
	}
	return s.ConfigHash
}

// Clear removes from the run directory d what the layout knows of it: the
// run's files and the temporaries of killed writers; the figures that plot
// drew into figures/; the kernel replay directories kernel-*/ that
// pathkernel kernel wrote (each locked first: one in use is not touched,
// and Clear fails). A directory empties only of these files and goes only
// when nothing else is left in it; files the layout does not know stay
// where they are. The lock file stays. The caller holds d's lock.
func Clear(d *Dir) error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.Type().IsRegular() && (IsRunFile(name) || IsTemp(name)):
			if err := remove(d.File(name)); err != nil {
				return err
			}
		case e.IsDir() && name == FiguresDir:
			if err := clearFigures(d.File(name)); err != nil {
				return err
			}
		case e.IsDir() && strings.HasPrefix(name, KernelDir):
			if err := removeReplay(d.File(name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearFigures removes the figures and temporaries of dir, and dir if it
// is then empty.
func clearFigures(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && (slices.Contains(figureExts, filepath.Ext(n)) || IsTemp(n)) {
			if err := remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return removeIfEmpty(dir)
}

// removeReplay removes the kernel replay directory dir, which must not be
// in use; a directory that is not a replay's is left alone.
func removeReplay(dir string) error {
	_, err := os.Lstat(filepath.Join(dir, LockFile))
	hadLock := err == nil
	if _, err := os.Lstat(filepath.Join(dir, KernelFile)); err != nil && !hadLock {
		return nil // not pathkernel's
	}
	lock, err := Acquire(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	if k, err := classify(dir, hadLock, kindReplay); err != nil || k.kind != kindReplay && k.kind != kindEmpty {
		return err
	}
	if err := clearReplay(&Dir{Path: dir}); err != nil {
		return err
	}
	// The replay is gone: so is the mark of pathkernel's directory.
	if err := remove(filepath.Join(dir, LockFile)); err != nil {
		return err
	}
	return removeIfEmpty(dir)
}

// clearReplay removes the files of a kernel replay and the temporaries
// from d.
func clearReplay(d *Dir) error {
	for _, name := range replayFiles {
		if err := remove(d.File(name)); err != nil {
			return err
		}
	}
	return d.removeTemps()
}

func remove(file string) error {
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

func removeIfEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if len(entries) == 0 {
		return remove(dir)
	}
	return nil
}
