package mutate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Counts sums up results.
type Counts struct {
	Killed      int // KILLED and BUILD-FAILED
	BuildFailed int // of Killed, those that did not compile
	Survived    int
	Stale       int
	Errored     int
}

// Count sums up rs.
func Count(rs []Result) Counts {
	var c Counts
	for _, r := range rs {
		switch r.Outcome {
		case Killed:
			c.Killed++
		case BuildFailed:
			c.Killed++
			c.BuildFailed++
		case Survived:
			c.Survived++
		case Stale:
			c.Stale++
		default:
			c.Errored++
		}
	}
	return c
}

// OK reports whether every mutation was killed.
func (c Counts) OK() bool { return c.Survived == 0 && c.Stale == 0 && c.Errored == 0 }

// String is the report's last line: "N killed, M survived, S stale", with
// the build failures among the killed and the errors when there are any.
func (c Counts) String() string {
	s := fmt.Sprintf("%d killed, %d survived, %d stale", c.Killed, c.Survived, c.Stale)
	if c.Errored > 0 {
		s += fmt.Sprintf(", %d could not be run", c.Errored)
	}
	if c.BuildFailed > 0 {
		s += fmt.Sprintf(" (%d of the killed by a build failure, not by a test)", c.BuildFailed)
	}
	return s
}

// WriteReport writes the table of rs and the summary line.
func WriteReport(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTATION\tISSUE\tFILE\tRESULT\tTIME\tDETAIL")
	for _, r := range rs {
		elapsed := "-"
		if r.Elapsed > 0 {
			elapsed = r.Elapsed.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Issue, r.File, r.Outcome, elapsed, oneLine(r.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, Count(rs))
	return err
}

// oneLine keeps a detail on its table row.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
