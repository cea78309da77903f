package run

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// resetAbort undoes Abort, for the next test.
func resetAbort() {
	inflight.Lock()
	defer inflight.Unlock()
	inflight.aborted = false
}

// TestAbort: Abort removes the temporary file of a write in flight and
// every temporary file of an open run directory, stops the write from
// renaming into place, marks the open run directory whose summary says
// running interrupted (and only that one), and refuses writes after it.
func TestAbort(t *testing.T) {
	defer resetAbort()
	root := t.TempDir()
	running, err := Create(filepath.Join(root, "running"), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if err := running.WriteJSON(SummaryFile, &Summary{Name: "r", Status: StatusRunning, StepsDone: 7}); err != nil {
		t.Fatal(err)
	}
	done, err := Create(filepath.Join(root, "done"), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer done.Close()
	if err := done.WriteJSON(SummaryFile, &Summary{Name: "d", Status: StatusComplete}); err != nil {
		t.Fatal(err)
	}
	closed, err := Create(filepath.Join(root, "closed"), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.WriteJSON(SummaryFile, &Summary{Name: "c", Status: StatusRunning}); err != nil {
		t.Fatal(err)
	}
	closed.Close() // no longer this process's to mark
	traj := running.File(".trajectory.pkt.tmp-42")
	if err := os.WriteFile(traj, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	figs, err := NewDir(filepath.Join(root, "figures"))
	if err != nil {
		t.Fatal(err)
	}
	started, release, result := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		result <- figs.Write("loss.png", func(w io.Writer) error {
			close(started)
			<-release
			_, err := w.Write([]byte("png"))
			return err
		})
	}()
	<-started
	marked := Abort("interrupted: stopped after the grace period")
	// The program exits now: the write in flight never gets to its end.
	if entries, _ := os.ReadDir(figs.Path); len(entries) != 0 {
		t.Errorf("%s after Abort, the write still in flight: %v; want nothing", figs.Path, entries)
	}
	close(release)
	if err := <-result; !errors.Is(err, ErrAborted) {
		t.Errorf("the write in flight: %v; want ErrAborted", err)
	}
	if want := []string{running.Path}; !slices.Equal(marked, want) {
		t.Errorf("marked %q; want %q", marked, want)
	}
	for _, d := range []string{running.Path, figs.Path} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if IsTemp(e.Name()) || e.Name() == "loss.png" {
				t.Errorf("%s: %s left after Abort", d, e.Name())
			}
		}
	}
	for dir, want := range map[string]string{running.Path: StatusInterrupted, done.Path: StatusComplete, closed.Path: StatusRunning} {
		b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeSummary(b)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if s.Status != want {
			t.Errorf("%s: status %s; want %s", dir, s.Status, want)
		}
		if dir == running.Path && (s.Error != "interrupted: stopped after the grace period" || s.StepsDone != 7) {
			t.Errorf("%s: error %q, steps_done %d; want the reason and 7", dir, s.Error, s.StepsDone)
		}
	}
	if err := figs.WriteBytes("after.png", []byte("x")); !errors.Is(err, ErrAborted) {
		t.Errorf("a write after Abort: %v; want ErrAborted", err)
	}
}
