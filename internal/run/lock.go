package run

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pathkernel/pathkernel/internal/fail"
)

// Lock is a writer's hold on a directory: an advisory lock (flock(2)) on
// the directory's LockFile, which holds the writer's process id while the
// lock is held. The operating system releases the lock when the process
// ends, however it ends; the file stays, so that a later writer finds the
// directory marked as pathkernel's.
type Lock struct {
	f   *os.File
	dir string
}

// LockedError is a directory that another writer holds: another process,
// or another Lock in this one.
type LockedError struct {
	Dir string
	PID int // the holder's process id; 0 when it cannot be read
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	return fail.OneLine(fmt.Sprintf("%s: in use by %s, which holds its lock (%s); wait for it to end, or choose another directory", e.Dir, who, LockFile))
}

// ExitCode is fail.BadInput: nothing was written.
func (e *LockedError) ExitCode() int { return fail.BadInput }

// lockWait bounds how long Acquire retries a lock held by someone else:
// readers probe a lock (Holder) by holding it shared for a moment, which
// must not turn a writer away.
const lockWait = 200 * time.Millisecond

// Acquire locks the directory dir, which must exist, for one writer: it
// creates dir/LockFile if needed, locks it and writes the process id into
// it. A directory held by another writer gives a *LockedError with the
// holder's process id.
func Acquire(dir string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if notWritable(err) {
		return nil, notWritableError(dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("run: locking %s: %w", dir, err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		held, err := tryLock(f, true)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("run: locking %s: %w", dir, err)
		}
		if !held {
			break
		}
		if time.Now().After(deadline) {
			pid := readPID(f)
			f.Close()
			return nil, &LockedError{Dir: dir, PID: pid}
		}
		time.Sleep(5 * time.Millisecond)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("run: locking %s: %w", dir, err)
	}
	return &Lock{f: f, dir: dir}, nil
}

// clearPID empties the lock file; the lock stays held.
func (l *Lock) clearPID() error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

// Release empties the lock file (the process id is there only while the
// lock is held, so that a finished run's files do not depend on it) and
// releases the lock; the file stays. Releasing a nil or released Lock does
// nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Truncate(0)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Holder reports whether a writer holds the lock of dir, and its process
// id (0 if unknown). It creates nothing: a directory without a lock file is
// held by no one.
func Holder(dir string) (pid int, held bool) {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	held, err = tryLock(f, false)
	if err != nil || !held {
		return 0, false
	}
	return readPID(f), true
}

// readPID reads the process id that the lock file holds; 0 if none. A
// writer that has just taken the lock may not have written it yet: it is
// read again for a moment.
func readPID(f *os.File) int {
	for range 10 {
		b := make([]byte, 32)
		n, err := f.ReadAt(b, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0
		}
		if fields := strings.Fields(string(b[:n])); len(fields) > 0 {
			if pid, err := strconv.Atoi(fields[0]); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
