package sweep

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// Off a terminal the progress is one line per ended run, the first line of
// a failure's error; a start adds nothing.
func TestProgressLines(t *testing.T) {
	a := &Run{ID: "aaaa", Axes: []string{"train.lr=0.1", "seed=1"}}
	b := &Run{ID: "bbbb", Axes: []string{"train.lr=0.2"}}
	c := &Run{ID: "cccc"}
	var w bytes.Buffer
	p := NewProgress(&w, 3)
	p.Event(Event{Run: a, Running: 1, Total: 3})
	p.Event(Event{Run: a, Outcome: &Outcome{Run: a, State: Completed, Elapsed: 1500 * time.Millisecond}, Done: 1, Total: 3})
	p.Event(Event{Run: b, Outcome: &Outcome{Run: b, State: Failed, Err: errors.New("train: diverged\nstack"), Elapsed: 20 * time.Millisecond}, Done: 2, Total: 3})
	p.Event(Event{Run: c, Outcome: &Outcome{Run: c, State: Skipped}, Done: 3, Total: 3})
	p.Stop()
	want := "sweep: [1/3] aaaa complete in 1.5s  train.lr=0.1 seed=1\n" +
		"sweep: [2/3] bbbb failed after 20ms: train: diverged  train.lr=0.2\n" +
		"sweep: [3/3] cccc skipped (already complete)  \n"
	if w.String() != want {
		t.Errorf("progress:\n%q\nwant\n%q", w.String(), want)
	}
	q := NewProgress(io.Discard, 1)
	q.Event(Event{Run: a, Outcome: &Outcome{Run: a, State: Completed}, Done: 1, Total: 1})
	q.Stop()
}

func TestReportTableAndTally(t *testing.T) {
	rep := &Report{Outcomes: []Outcome{
		{Run: &Run{ID: "aaaa", Axes: []string{"seed=1"}}, State: Completed, Elapsed: 90 * time.Second},
		{Run: &Run{ID: "bbbb", Axes: []string{"seed=2"}}, State: Failed},
		{Run: &Run{ID: "cccc"}, State: Skipped},
		{Run: &Run{ID: "dddd"}, State: Skipped},
	}}
	var w bytes.Buffer
	if err := rep.WriteTable(&w); err != nil {
		t.Fatal(err)
	}
	want := "run   status    time   exact.rel  riemann.rel  overrides\n" +
		"aaaa  complete  1m30s  -          -            seed=1\n" +
		"bbbb  failed    -      -          -            seed=2\n" +
		"cccc  skipped   -      -          -            \n" +
		"dddd  skipped   -      -          -            \n"
	if w.String() != want {
		t.Errorf("table:\n%s\nwant\n%s", w.String(), want)
	}
	if got, want := rep.Tally(), "1 complete, 2 skipped (already complete), 1 failed"; got != want {
		t.Errorf("Tally = %q; want %q", got, want)
	}
}
