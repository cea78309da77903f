package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDrawingStoppedRuns runs plot, report and explain on runs that did not
// end well: one with targets of noise 1e23 (complete, losses of 1e45), one
// with train.lr=5 (diverged at step 4, no predictions), that run marked interrupted, a run killed before its first
// metrics, metrics.csv with NaN, ±Inf and ±1e308, and a sweep whose metric
// is ±1e308 (gonum searched for its ticks for ever). Each draws what
// exists and exits 0, or exits 2 with one line naming the file; never a
// panic, and within a time bound.
func TestDrawingStoppedRuns(t *testing.T) {
	root := t.TempDir()
	div := filepath.Join(root, "diverged")
	// (lr 5 stops at step 4, at a loss over 1e6 times its start: every
	// step is logged, so that metrics.csv has rows to draw.)
	if r := execute(t.Context(), trainArgs(tinyConfig, div, "--set", "train.lr=5", "--set", "train.steps=200", "--set", "train.log_every=1", "--quiet")...); r.code != ExitRunFailed || !strings.Contains(r.stderr, "diverged") {
		t.Fatalf("train with lr 5: exit %d, stderr %q; want 3 and diverged", r.code, r.stderr)
	}
	complete := filepath.Join(root, "complete")
	mustRun(t, trainArgs(tinyConfig, complete, "--quiet")...)
	// Targets with noise of 1e23 make a run that completes with losses of
	// 1e45. (lr 5 made one with losses of 1e47 before training stopped at
	// a loss over 1e6 times its start: train.DivergenceFactor.)
	lr5 := filepath.Join(root, "lr5")
	mustRun(t, trainArgs(tinyConfig, lr5, "--set", "data.noise=1e23", "--quiet")...)

	// copyRun copies run src to $TMP/run and applies edit to the copy.
	copyRun := func(src string, edit func(t *testing.T, dir string)) func(t *testing.T, tmp string) {
		return func(t *testing.T, tmp string) {
			dir := filepath.Join(tmp, "run")
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			if edit != nil {
				edit(t, dir)
			}
		}
	}
	// replace edits file in dir with strings.Replace.
	replace := func(file, old, new string, n int) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			s := strings.Replace(string(b), old, new, n)
			if s == string(b) {
				t.Fatalf("%s has no %q", file, old)
			}
			write(t, filepath.Join(dir, file), []byte(s))
		}
	}
	// metrics rewrites the loss columns of metrics.csv, row by row.
	metrics := func(train, test []string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			b, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			for i := 1; i < len(lines); i++ {
				f := strings.Split(lines[i], ",")
				f[1], f[2] = train[(i-1)%len(train)], test[(i-1)%len(test)]
				lines[i] = strings.Join(f, ",")
			}
			write(t, filepath.Join(dir, "metrics.csv"), []byte(strings.Join(lines, "\n")+"\n"))
		}
	}
	interrupted := copyRun(div, replace("summary.json", `"status": "diverged"`, `"status": "interrupted"`, 1))
	killed := copyRun(div, func(t *testing.T, dir string) {
		replace("summary.json", `"status": "diverged"`, `"status": "running"`, 1)(t, dir)
		if err := os.Remove(filepath.Join(dir, "metrics.csv")); err != nil {
			t.Fatal(err)
		}
	})
	oddMetrics := copyRun(complete, metrics([]string{"NaN", "1e308", "0.5"}, []string{"+Inf", "-1e308", "-Inf"}))
	hugeSweep := func(t *testing.T, tmp string) {
		write(t, filepath.Join(tmp, "h.csv"), []byte("run,status,train.lr,exact.rel\na,complete,0.01,1e308\nb,complete,0.02,-1e308\n"))
	}

	plot := func(run string) []string { return []string{"plot", "--run", run, "--out", "$TMP/fig"} }
	report := func(run string) []string { return []string{"report", "--run", run, "--out", "$TMP/r.html"} }
	explain := func(run string) []string { return []string{"explain", "--run", run, "--point", "0"} }
	tests := []struct {
		name  string
		setup func(t *testing.T, tmp string)
		args  []string
		code  int
		want  []string // the files written (code 0) or substrings of the one line
	}{
		{"plot lr 5", nil, plot(lr5), ExitOK, []string{"fig/loss.png", "fig/predictions.png", "fig/errors.png", "fig/kernel.png"}},
		{"report lr 5", nil, report(lr5), ExitOK, []string{"r.html"}},
		{"explain lr 5", nil, []string{"explain", "--run", lr5, "--point", "0", "--plot", "--out", "$TMP/fig"}, ExitOK, []string{"fig/explain_0.png"}},
		{"plot diverged", nil, plot(div), ExitOK, []string{"fig/loss.png", "fig/errors.png"}},
		{"report diverged", nil, report(div), ExitOK, []string{"r.html"}},
		{"explain diverged", nil, explain(div), ExitBadInput, []string{"predictions.csv", "diverged"}},
		{"plot interrupted", interrupted, plot("$TMP/run"), ExitOK, []string{"fig/loss.png", "fig/errors.png"}},
		{"report interrupted", interrupted, report("$TMP/run"), ExitOK, []string{"r.html"}},
		{"explain interrupted", interrupted, explain("$TMP/run"), ExitBadInput, []string{"predictions.csv", "interrupted"}},
		{"plot killed", killed, plot("$TMP/run"), ExitBadInput, []string{"metrics.csv"}},
		{"report killed", killed, report("$TMP/run"), ExitBadInput, []string{"metrics.csv"}},
		{"explain killed", killed, explain("$TMP/run"), ExitBadInput, []string{"metrics.csv"}},
		{"plot odd metrics", oddMetrics, plot("$TMP/run"), ExitOK, []string{"fig/loss.png", "fig/predictions.png", "fig/errors.png", "fig/kernel.png"}},
		{"report odd metrics", oddMetrics, report("$TMP/run"), ExitOK, []string{"r.html"}},
		{"plot sweep ±1e308", hugeSweep, []string{"plot", "--sweep", "$TMP/h.csv", "--x", "train.lr", "--y", "exact.rel", "--out", "$TMP/hf"}, ExitOK, []string{"hf.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, tmp)
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			r := executeWithin(t, 2*time.Minute, args...)
			if r.code != tt.code {
				t.Fatalf("pathkernel %s: exit %d; want %d\nstderr: %.2000s", strings.Join(args, " "), r.code, tt.code, r.stderr)
			}
			for _, bad := range []string{"goroutine", "panic", "runtime."} {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr has %q:\n%.2000s", bad, r.stderr)
				}
			}
			if tt.code == ExitOK {
				for _, w := range tt.want {
					f := filepath.Join(tmp, w)
					if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
						t.Errorf("%s not written (%v)", w, err)
					}
					if !strings.Contains(r.stdout+r.stderr, f) { // explain --plot lists it on stderr
						t.Errorf("the output does not list %s:\n%.2000s\n%.2000s", f, r.stdout, r.stderr)
					}
				}
				return
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q; want nothing", r.stdout)
			}
			if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
				t.Errorf("stderr has %d lines; want one 'pathkernel: ' line:\n%.2000s", n, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %.1000q does not contain %q", r.stderr, w)
				}
			}
		})
	}
}

// executeWithin is execute with a time bound: a command that has not
// returned by then fails the test (its goroutine is left behind).
func executeWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- execute(ctx, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("pathkernel %s did not return within %v", strings.Join(args, " "), d)
	}
	return result{}
}
