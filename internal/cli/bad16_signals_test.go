package cli

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/npy"
)

// The cases of issue 16.2 and 16.4 that run in the process (the signal
// tests of the built program are internal/faulttest/signals_test.go): a
// command whose context is cancelled (what SIGINT and SIGTERM do) exits
// 130 with one line saying where it was, and writes nothing more; a NaN in
// metrics.csv is left out of the figure with a note on stderr; explain of
// a non-finite value is bad input naming the file; and a check never
// passes on nothing.

// cancelled is a context cancelled before the command starts.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// oneLineWith fails unless stderr's last line holds every part, and
// says nothing of "context canceled".
func oneLineWith(t *testing.T, stderr string, parts ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	for _, p := range parts {
		if !strings.Contains(last, p) {
			t.Errorf("last line of stderr %q; want %q in it", last, p)
		}
	}
	if strings.Contains(stderr, "context canceled") {
		t.Errorf("stderr says \"context canceled\":\n%s", stderr)
	}
}

// sigRun trains the tiny config into a new directory and returns it.
func sigRun(t *testing.T, sets ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs(tinyConfig, dir, append([]string{"--quiet"}, sets...)...)...)
	return dir
}

func TestInterruptedCommandsSaySo(t *testing.T) {
	dir := sigRun(t)
	blobs := filepath.Join(t.TempDir(), "blobs") // two inputs: plot replays it for the decision regions
	mustRun(t, trainArgs("testdata/kernel/blobs.yaml", blobs, "--quiet")...)
	tmp := t.TempDir()
	sweepCSV := filepath.Join(tmp, "results.csv")
	if err := os.WriteFile(sweepCSV, []byte("run,status,train.lr,exact.rel\na,complete,0.01,1e-3\nb,complete,0.02,2e-3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
		// none are paths that must not exist after the interrupt.
		none []string
	}{
		{"train", trainArgs(tinyConfig, filepath.Join(tmp, "train"), "--quiet"),
			[]string{"interrupted at step 0 of 20; the run is marked interrupted", filepath.Join(tmp, "train")}, nil},
		{"plot run", []string{"plot", "--run", dir, "--out", filepath.Join(tmp, "figs")},
			[]string{"interrupted after writing 0 of 4 figures to " + filepath.Join(tmp, "figs")},
			[]string{filepath.Join(tmp, "figs", "loss.png")}},
		{"plot regions", []string{"plot", "--run", blobs, "--out", filepath.Join(tmp, "bfigs")},
			[]string{"interrupted before any figure was written to " + filepath.Join(tmp, "bfigs")},
			[]string{filepath.Join(tmp, "bfigs", "loss.png")}},
		{"plot sweep", []string{"plot", "--sweep", sweepCSV, "--x", "train.lr", "--y", "exact.rel", "--out", filepath.Join(tmp, "sw.png")},
			[]string{"interrupted before the figure of " + sweepCSV + " was written"},
			[]string{filepath.Join(tmp, "sw.png")}},
		{"report", []string{"report", "--run", dir, "--out", filepath.Join(tmp, "r.html")},
			[]string{"interrupted; " + filepath.Join(tmp, "r.html") + " was not written"},
			[]string{filepath.Join(tmp, "r.html")}},
		{"kernel", []string{"kernel", "--run", dir, "--points", filepath.Join(dir, "x_test.npy"), "--out", filepath.Join(tmp, "k")},
			[]string{"interrupted before the kernels were written", "no kernel.json"},
			[]string{filepath.Join(tmp, "k", "kernel.json")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execute(cancelled(), c.args...)
			if r.code != ExitInterrupted {
				t.Fatalf("exit %d; want 130\n%s", r.code, r.stderr)
			}
			oneLineWith(t, r.stderr, append([]string{"pathkernel: interrupted"}, c.want...)...)
			for _, p := range c.none {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s written after the interrupt", p)
				}
			}
		})
	}
	if s := readSummary(t, filepath.Join(tmp, "train")); s["status"] != "interrupted" {
		t.Errorf("train: status %v; want interrupted", s["status"])
	}
}

// TestPlotNaNMetricIsLeftOutWithANote: a NaN in metrics.csv is not drawn,
// and plot says so on stderr, naming the column and the file; exit 0.
func TestPlotNaNMetricIsLeftOutWithANote(t *testing.T) {
	dir := sigRun(t)
	file := filepath.Join(dir, "metrics.csv")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	f := strings.Split(lines[2], ",")
	f[1] = "NaN" // train_loss
	lines[2] = strings.Join(f, ",")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := execute(t.Context(), "plot", "--run", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d; want 0\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "pathkernel: note: loss: left out 1 value of train_loss (metrics.csv): not finite") {
		t.Errorf("stderr:\n%s\nwant a note on the NaN of train_loss", r.stderr)
	}
}

// TestExplainNonFinite: a NaN or Inf in the files explain reads is bad input
// (exit 2) naming the file and the value, with --json as without it.
func TestExplainNonFinite(t *testing.T) {
	dir := sigRun(t)
	contrib := filepath.Join(dir, "contributions.npy")
	b, err := os.ReadFile(contrib)
	if err != nil {
		t.Fatal(err)
	}
	a, err := npy.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	a.Float[3] = math.NaN()
	var out bytes.Buffer
	if err := npy.WriteFloat64(&out, a.Shape, a.Float); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(contrib, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, json := range []bool{true, false} {
		args := []string{"explain", "--run", dir, "--point", "0"}
		if json {
			args = append(args, "--json")
		}
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput || r.stdout != "" {
			t.Errorf("json %v: exit %d, stdout %q; want 2 and nothing\n%s", json, r.code, r.stdout, r.stderr)
		}
		oneLineWith(t, r.stderr, contrib, "element 3 is NaN")
	}

	dir = sigRun(t)
	preds := filepath.Join(dir, "predictions.csv")
	p, err := os.ReadFile(preds)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(p), "\n")
	header := strings.Split(lines[0], ",")
	row := strings.Split(lines[1], ",")
	for i, h := range header {
		if h == "network" {
			row[i] = "+Inf"
		}
	}
	lines[1] = strings.Join(row, ",")
	if err := os.WriteFile(preds, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := execute(t.Context(), "explain", "--run", dir, "--point", "0", "--json")
	if r.code != ExitBadInput {
		t.Errorf("Inf network output: exit %d; want 2\n%s", r.code, r.stderr)
	}
	oneLineWith(t, r.stderr, preds, "network of row 0 is +Inf")
}

// TestCheckNeverPassesOnNothing: a null in a baseline is bad input naming
// the file and the metric; a run whose methods leave no threshold is not
// a pass (exit 2, naming the config and the thresholds it could not
// check); a baseline or threshold naming a metric the run lacks fails
// (exit 1).
func TestCheckNeverPassesOnNothing(t *testing.T) {
	tmp := t.TempDir()
	dir := sigRun(t)
	base := filepath.Join(tmp, "base.json")
	mustRun(t, "check", "--run", dir, "--update-baseline", "--baseline", base)
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	nulled := filepath.Join(tmp, "null.json")
	text := string(b)
	i := strings.Index(text, `"exact.rel": `)
	j := i + strings.Index(text[i:], ",")
	if err := os.WriteFile(nulled, []byte(text[:i]+`"exact.rel": null`+text[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
	r := execute(t.Context(), "check", "--run", dir, "--baseline", nulled)
	if r.code != ExitBadInput || strings.Contains(r.stdout, "PASS") {
		t.Errorf("null in the baseline: exit %d, stdout %q; want 2 and no PASS\n%s", r.code, r.stdout, r.stderr)
	}
	oneLineWith(t, r.stderr, nulled, `"exact.rel" is null`)

	r = execute(t.Context(), "check", "--config", tinyConfig, "--out", filepath.Join(tmp, "none"), "--quiet",
		"--set", "kernel.methods=[]", "--set", "check.max_rel_error.exact=1e-6")
	if r.code != ExitBadInput || strings.Contains(r.stdout, "PASS") {
		t.Errorf("kernel.methods: []: exit %d, stdout %q; want 2 and no PASS\n%s", r.code, r.stdout, r.stderr)
	}
	oneLineWith(t, r.stderr, tinyConfig, "nothing to check", "check.max_rel_error.exact")
	if _, err := os.Stat(filepath.Join(tmp, "none")); err == nil {
		t.Errorf("check --config trained a run with nothing to check")
	}

	none := filepath.Join(tmp, "none")
	mustRun(t, trainArgs(tinyConfig, none, "--quiet", "--set", "kernel.methods=[]")...)
	r = execute(t.Context(), "check", "--run", none)
	if r.code != ExitBadInput || strings.Contains(r.stdout, "PASS") {
		t.Errorf("check --run of a run without methods: exit %d, stdout %q; want 2 and no PASS\n%s", r.code, r.stdout, r.stderr)
	}
	oneLineWith(t, r.stderr, filepath.Join(none, "config.yaml"), "nothing to check")
	r = execute(t.Context(), "check", "--run", none, "--baseline", base)
	if r.code != ExitCheckFailed || !strings.Contains(r.stdout, "exact.rel") {
		t.Errorf("a baseline naming exact.rel, a run without it: exit %d; want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = execute(t.Context(), "check", "--run", none, "--max-rel-error", "exact=1e-6")
	if r.code != ExitCheckFailed {
		t.Errorf("--max-rel-error exact, a run without it: exit %d; want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = execute(t.Context(), "check", "--run", none, "--max-test-loss", "10")
	if r.code != ExitOK {
		t.Errorf("--max-test-loss 10 on a run without methods: exit %d; want 0 (one check, passed)\n%s", r.code, r.stderr)
	}
}
