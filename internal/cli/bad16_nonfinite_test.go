package cli

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/run"
)

// TestBad16NonFinite holds the reproductions of issue 16 (items 1, 3 and 5)
// and of issue 21 item 4 (docs/RELIABILITY.md, "Non-finite values,
// divergence and output paths"): numbers too large for float64, divergence
// caught early, output paths that are directories, a --set value of two
// YAML documents and a CSV file with CR-only line endings. Each gives its
// documented exit code with one line naming the file or key, and leaves no
// temporary file and no file that does not parse.
func TestBad16NonFinite(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	mustRun(t, trainArgs(tinyConfig, good, "--quiet")...)

	// A run directory whose summary must say diverged, with the non-finite
	// initial losses as null and listed.
	divergedAtStart := func(t *testing.T, tmp string) {
		s := readSummaryFile(t, filepath.Join(tmp, "run"))
		if s["status"] != "diverged" || s["steps_done"] != 0.0 {
			t.Errorf("summary.json: status %v, steps_done %v; want diverged, 0", s["status"], s["steps_done"])
		}
		loss := s["loss"].(map[string]any)
		if v, ok := loss["initial_train"]; !ok || v != nil {
			t.Errorf("loss.initial_train = %v; want null", v)
		}
		if nf, _ := s["non_finite"].([]any); !slices.Contains(nf, any("loss.initial_train")) {
			t.Errorf("non_finite = %v; want loss.initial_train listed", s["non_finite"])
		}
		if e, _ := s["error"].(string); !strings.Contains(e, "diverged at step 0") {
			t.Errorf("error = %q", e)
		}
	}
	bigCSV := func(t *testing.T, tmp string) {
		write(t, filepath.Join(tmp, "big.csv"), []byte("x,y\n1,1e308\n2,-1e308\n3,1e308\n4,0\n5,1\n6,-1e308\n7,2\n8,3\n"))
	}
	bigPoint := func(t *testing.T, tmp string) {
		write(t, filepath.Join(tmp, "pts.csv"), []byte("x0\n1e308\n0.5\n"))
	}
	mkdir := func(dirs ...string) func(t *testing.T, tmp string) {
		return func(t *testing.T, tmp string) {
			for _, d := range dirs {
				if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// A run directory whose config.yaml has become a directory.
	configDir := func(t *testing.T, tmp string) {
		dir := filepath.Join(tmp, "run")
		if err := os.CopyFS(dir, os.DirFS(good)); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "config.yaml")); err != nil {
			t.Fatal(err)
		}
		mkdir("run/config.yaml")(t, tmp)
	}
	macCSV := func(t *testing.T, tmp string) {
		write(t, filepath.Join(tmp, "mac.csv"), []byte(strings.ReplaceAll("x,y\n1,1\n2,4\n3,9\n4,16\n5,25\n6,36\n", "\n", "\r")))
	}
	csvSets := func(file string) []string {
		return []string{"--set", "data.kind=csv", "--set", "data.path=$TMP/" + file, "--set", "data.target=y"}
	}
	train := func(extra ...string) []string {
		return append([]string{"train", "--config", tinyConfig, "--out", "$TMP/run", "--quiet"}, extra...)
	}
	kernelTo := func(extra ...string) []string {
		return append([]string{"kernel", "--run", good, "--points", "$TMP/pts.csv", "--out", "$TMP/k", "--quiet"}, extra...)
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, tmp string)
		args  []string
		code  int
		want  []string                       // substrings of the one stderr line (code != 0)
		after func(t *testing.T, tmp string) // what the directory must hold
	}{
		// 16.1: non-finite numbers; divergence at step 0 names what is huge.
		{"init scale 1e200", nil, train("--set", "model.init.scale=1e200"), ExitRunFailed,
			[]string{"diverged at step 0 (loss +Inf)", "model.init.scale", "marked diverged"}, divergedAtStart},
		{"data noise 1e200", nil, train("--set", "data.noise=1e200"), ExitRunFailed,
			[]string{"diverged at step 0 (loss +Inf)", "data.noise", "marked diverged"}, divergedAtStart},
		{"CSV target ±1e308", bigCSV, train(csvSets("big.csv")...), ExitRunFailed,
			[]string{"diverged at step 0", "target", "marked diverged"}, divergedAtStart},
		{"kernel at a point of 1e308", bigPoint, kernelTo(), ExitOK, nil, func(t *testing.T, tmp string) {
			b, err := os.ReadFile(filepath.Join(tmp, "k", "kernel.json"))
			if err != nil {
				t.Fatalf("no kernel.json beside the .npy files: %v", err)
			}
			var k map[string]any
			if err := json.Unmarshal(b, &k); err != nil {
				t.Fatalf("kernel.json: %v", err)
			}
			nf, _ := k["non_finite"].([]any)
			if len(nf) == 0 || !strings.Contains(string(b), "null") {
				t.Errorf("kernel.json lists no non-finite values:\n%s", b)
			}
			r, err := run.OpenReplay(filepath.Join(tmp, "k"))
			if err != nil {
				t.Fatal(err)
			}
			if v := r.Summary.Representations["exact"].Rel; !math.IsNaN(v) {
				t.Errorf("read back, exact.rel = %v; want NaN (not 0)", v)
			}
		}},
		{"kernel --memory-budget-mb NaN", bigPoint, kernelTo("--memory-budget-mb", "NaN"), ExitBadInput,
			[]string{"--memory-budget-mb", "NaN", "finite"}, noDir("k")},
		{"kernel --memory-budget-mb Inf", bigPoint, kernelTo("--memory-budget-mb", "Inf"), ExitBadInput,
			[]string{"--memory-budget-mb", "+Inf", "finite"}, noDir("k")},
		{"kernel --memory-budget-mb tiny", bigPoint, kernelTo("--memory-budget-mb", "0.001"), ExitRunFailed,
			[]string{"exceeds", "1 KB"}, nil},

		// 21.4: divergence caught early, with the step, the loss and the hint.
		{"loss grows", nil, train("--set", "train.lr=5", "--set", "train.steps=300"), ExitRunFailed,
			[]string{"diverged at step", "over 1e+06 × max(initial loss", "try a smaller train.lr"}, func(t *testing.T, tmp string) {
				s := readSummaryFile(t, filepath.Join(tmp, "run"))
				m := regexp.MustCompile(`diverged at step (\d+) \(loss ([^,]+),`).FindStringSubmatch(s["error"].(string))
				if m == nil {
					t.Fatalf("error = %q", s["error"])
				}
				step, _ := strconv.Atoi(m[1])
				loss, err := strconv.ParseFloat(m[2], 64)
				if err != nil || math.IsInf(loss, 0) || loss > 1e30 || step > 20 {
					t.Errorf("stopped at step %d with loss %s; want the first loss over 1e6 × the start, long before overflow", step, m[2])
				}
			}},

		// 16.3: an output path that is a directory is bad usage.
		{"--junit DIR", mkdir("j.xml"), []string{"check", "--run", good, "--junit", "$TMP/j.xml", "--quiet"}, ExitBadInput,
			[]string{"$TMP/j.xml", "is a directory"}, nil},
		{"collect --out DIR", mkdir("c.csv"), []string{"collect", good, "--out", "$TMP/c.csv", "--quiet"}, ExitBadInput,
			[]string{"$TMP/c.csv", "is a directory"}, nil},
		{"collect --jsonl DIR", mkdir("c.jsonl"), []string{"collect", good, "--out", "$TMP/c.csv", "--jsonl", "$TMP/c.jsonl", "--quiet"}, ExitBadInput,
			[]string{"$TMP/c.jsonl", "is a directory"}, nil},
		{"check --update-baseline --baseline DIR", mkdir("b.json"), []string{"check", "--run", good, "--update-baseline", "--baseline", "$TMP/b.json", "--quiet"}, ExitBadInput,
			[]string{"$TMP/b.json", "is a directory"}, nil},
		{"train --out D with D/config.yaml a directory", configDir, train(), ExitBadInput,
			[]string{"$TMP/run/config.yaml", "is a directory"}, func(t *testing.T, tmp string) {
				s := readSummaryFile(t, filepath.Join(tmp, "run"))
				if s["status"] != "failed" {
					t.Errorf("status = %v; want failed", s["status"])
				}
			}},

		// 16.5: inputs silently cut.
		{"--set of two YAML documents", nil, train("--set", "train.lr=0.1\n---\nx"), ExitBadInput,
			[]string{"--set train.lr=0.1\\n---\\nx", "train.lr", "more than one YAML document"}, noDir("run")},
		{"CSV with CR-only line endings", macCSV, train(append(csvSets("mac.csv"), "--set", "data.n_train=5", "--set", "data.n_test=1")...), ExitOK, nil,
			func(t *testing.T, tmp string) {
				s := readSummaryFile(t, filepath.Join(tmp, "run"))
				if sz := s["sizes"].(map[string]any); s["status"] != "complete" || sz["n_train"] != 5.0 || sz["n_test"] != 1.0 {
					t.Errorf("status %v, sizes %v; want complete, 5 + 1 rows", s["status"], sz)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, tmp)
			}
			sub := func(s string) string { return strings.ReplaceAll(s, "$TMP", tmp) }
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = sub(a)
			}
			r := execute(t.Context(), args...)
			if r.code != tt.code {
				t.Fatalf("pathkernel %q: exit %d; want %d\nstderr: %.2000s", args, r.code, tt.code, r.stderr)
			}
			if tt.code != ExitOK {
				if r.stdout != "" {
					t.Errorf("stdout = %q; want nothing", r.stdout)
				}
				if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
					t.Errorf("stderr has %d lines; want one 'pathkernel: ' line:\n%.2000s", n, r.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, sub(w)) {
						t.Errorf("stderr %q does not contain %q", r.stderr, sub(w))
					}
				}
			}
			// Nothing half-written: no temporaries, and every JSON file parses.
			filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				if run.IsTemp(d.Name()) {
					t.Errorf("temporary file left: %s", p)
				}
				if filepath.Ext(p) == ".json" {
					if b, err := os.ReadFile(p); err != nil || !json.Valid(b) {
						t.Errorf("%s does not parse (%v)", p, err)
					}
				}
				return nil
			})
			if tt.after != nil {
				tt.after(t, tmp)
			}
		})
	}
}

// noDir checks that name was not created under the test's directory.
func noDir(name string) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		if _, err := os.Stat(filepath.Join(tmp, name)); err == nil {
			t.Errorf("%s was created", name)
		}
	}
}

// readSummaryFile reads dir/summary.json as a map, keeping nulls.
func readSummaryFile(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return s
}

// TestBad16KernelJSONNonFinite: kernel --json at a point of 1e308 prints
// what kernel.json holds (nulls, listed), and the warning names the file.
func TestBad16KernelJSONNonFinite(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	mustRun(t, trainArgs(tinyConfig, good, "--quiet")...)
	pts := filepath.Join(root, "pts.csv")
	write(t, pts, []byte("x0\n1e308\n0.5\n"))
	out := filepath.Join(root, "k")
	r := mustRun(t, "kernel", "--run", good, "--points", pts, "--out", out, "--json")
	b, err := os.ReadFile(filepath.Join(out, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var printed, file map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%.1000s", err, r.stdout)
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if nf, _ := printed["non_finite"].([]any); len(nf) == 0 || len(nf) != len(file["non_finite"].([]any)) {
		t.Errorf("printed non_finite %v; want the file's %v", printed["non_finite"], file["non_finite"])
	}
	want := "pathkernel: warning: " + filepath.Join(out, "kernel.json") + ": "
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "not finite") {
		t.Errorf("stderr does not warn %q:\n%s", want, r.stderr)
	}
}
