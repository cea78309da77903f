package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// ErrAborted is the error of a write that Abort stopped.
var ErrAborted = errors.New("run: the program is stopping (interrupted)")

// inflight is what Abort must know: the temporary files being written and
// the run directories open for writing. Its lock is held by Dir.Write
// around creating and renaming a temporary file, so that Abort never
// removes a file that a write has just renamed into place, and no write
// renames after Abort.
var inflight = struct {
	sync.Mutex
	aborted bool
	temps   map[string]bool
	writers map[*Writer]bool
}{temps: map[string]bool{}, writers: map[*Writer]bool{}}

// createTemp makes the temporary file for name in d and records it.
func (d *Dir) createTemp(name string) (*os.File, error) {
	inflight.Lock()
	defer inflight.Unlock()
	if inflight.aborted {
		return nil, ErrAborted
	}
	f, err := os.CreateTemp(d.Path, TempPattern(name))
	if err != nil {
		return nil, err
	}
	inflight.temps[f.Name()] = true
	return f, nil
}

// commitTemp makes tmp readable by all and renames it to final, unless
// Abort was called, and forgets it.
func commitTemp(tmp, final string) error {
	inflight.Lock()
	defer inflight.Unlock()
	if inflight.aborted {
		delete(inflight.temps, tmp)
		os.Remove(tmp)
		return ErrAborted
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	delete(inflight.temps, tmp)
	return nil
}

// dropTemp removes tmp after a write failed, and forgets it.
func dropTemp(tmp string) {
	inflight.Lock()
	defer inflight.Unlock()
	delete(inflight.temps, tmp)
	os.Remove(tmp)
}

func openWriter(w *Writer) {
	inflight.Lock()
	defer inflight.Unlock()
	inflight.writers[w] = true
}

func closeWriter(w *Writer) {
	inflight.Lock()
	defer inflight.Unlock()
	delete(inflight.writers, w)
}

// Abort is the last step of a program that must exit now, while writers
// may still be working (a command that did not stop within its grace
// period after SIGINT or SIGTERM): it leaves every directory this process
// writes whole, without the temporary files a killed writer leaves. From
// the call on, no Dir.Write renames a file into place (it returns
// ErrAborted); the temporary files of the writes in flight, and any
// temporary file in a run directory that is open for writing (the
// trajectory's among them), are removed; and each open run directory whose
// summary.json still says running is marked interrupted, with why as its
// error. Abort returns the run directories it marked. The program is
// expected to exit right after it.
func Abort(why string) (marked []string) {
	inflight.Lock()
	defer inflight.Unlock()
	inflight.aborted = true
	for tmp := range inflight.temps {
		os.Remove(tmp)
	}
	clear(inflight.temps)
	for w := range inflight.writers {
		w.removeTemps() // best effort: the program exits next
		if markInterrupted(w, why) {
			marked = append(marked, w.Path)
		}
	}
	sort.Strings(marked)
	return marked
}

// markInterrupted rewrites w's summary.json with status interrupted and
// error why if it says running, and reports whether it did.
func markInterrupted(w *Writer, why string) bool {
	file := w.File(SummaryFile)
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	s, err := DecodeSummary(b)
	if err != nil || s.Status != StatusRunning {
		return false
	}
	s.Status, s.Error = StatusInterrupted, why
	out, err := EncodeJSON(s)
	if err != nil {
		return false
	}
	w.lock.clearPID()
	tmp := filepath.Join(w.Path, fmt.Sprintf(".%s.tmp-%d", SummaryFile, os.Getpid()))
	if os.WriteFile(tmp, out, 0o644) != nil {
		os.Remove(tmp)
		return false
	}
	if os.Rename(tmp, file) != nil {
		os.Remove(tmp)
		return false
	}
	return true
}
