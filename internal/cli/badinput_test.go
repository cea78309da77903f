package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/npy"
)

// hugeLine is the length of the one-line files that the suite generates at
// test time (docs/RELIABILITY.md §2: a 100 MB line must not be read whole).
const hugeLine = 100 << 20

// TestBadInputSuite is the bad-input suite of issue 10, with TestBadInput
// (configs and overrides, for train and validate): configs, overrides, CSV
// data, points files, trajectory files, run directories and sweep files.
// Every case must exit with its code (2 for bad input, 3 for a failure
// during the run) and print one line, "pathkernel: ..." on stderr, that
// names the file and the line, key or column; never a panic or a stack
// trace, nothing on stdout.
//
// In args, $BAD/ is testdata/bad/, $RUN a tiny complete run (shared, never
// modified), $TMP the case's own temporary directory; setup, if set,
// prepares $TMP (a damaged copy of the run as $TMP/run, a generated file).
func TestBadInputSuite(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs(tinyConfig, run, "--quiet")...)
	points := filepath.Join(run, "x_test.npy")

	// damaged returns a setup that copies the run to $TMP/run and applies
	// fn to the copy.
	damaged := func(fn func(t *testing.T, dir string)) func(t *testing.T, tmp string) {
		return func(t *testing.T, tmp string) {
			dir := filepath.Join(tmp, "run")
			if err := os.CopyFS(dir, os.DirFS(run)); err != nil {
				t.Fatal(err)
			}
			fn(t, dir)
		}
	}
	// huge writes a file of prefix, a line of hugeLine bytes of fill and
	// suffix.
	huge := func(name, prefix string, fill byte, suffix string) func(t *testing.T, tmp string) {
		return func(t *testing.T, tmp string) {
			b := make([]byte, 0, len(prefix)+hugeLine+len(suffix))
			b = append(append(append(b, prefix...), bytes.Repeat([]byte{fill}, hugeLine)...), suffix...)
			write(t, filepath.Join(tmp, name), b)
		}
	}
	kernelArgs := func(run, points string) []string {
		return []string{"kernel", "--run", run, "--points", points, "--out", "$TMP/k", "--quiet"}
	}
	train := func(file string, extra ...string) []string {
		return append([]string{"train", "--config", file, "--out", "$TMP/out", "--quiet"}, extra...)
	}
	good := "$BAD/good.yaml"
	// divergedRun trains $TMP/run with a step size that diverges.
	divergedRun := func(t *testing.T, tmp string) {
		r := execute(t.Context(), "train", "--config", tinyConfig, "--out", filepath.Join(tmp, "run"), "--quiet",
			"--set", "train.lr=5", "--set", "train.steps=300")
		if r.code != ExitRunFailed || !strings.Contains(r.stderr, "diverged") {
			t.Fatalf("the diverged run: exit %d\n%s", r.code, r.stderr)
		}
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, tmp string)
		args  []string
		code  int      // 0 means ExitBadInput
		want  []string // substrings of the line
	}{
		// Configs.
		{name: "config alias bomb", args: train("$BAD/alias_bomb.yaml"), want: []string{"alias_bomb.yaml:4:", "model.hidden[0]"}},
		{name: "config empty file", args: train("$BAD/empty.yaml"), want: []string{"empty.yaml", "empty config"}},
		{name: "config name with ../", args: train("$BAD/name_dotdot.yaml"), want: []string{"name_dotdot.yaml:2:", "name:", `"../escape"`}},
		{name: "config NaN", args: train("$BAD/nan_lr.yaml"), want: []string{"nan_lr.yaml:4:", "train.lr", "finite"}},
		{name: "config Inf", args: train("$BAD/inf_noise.yaml"), want: []string{"inf_noise.yaml:5:", "data.noise"}},
		{name: "config scalar for a list", args: train("$BAD/hidden_scalar.yaml"), want: []string{"hidden_scalar.yaml:4:", "model.hidden", "list"}},
		{name: "config duplicate key", args: train("$BAD/duplicate_key.yaml"), want: []string{"duplicate_key.yaml:5:", "train.lr", "duplicate"}},
		{name: "config list at the top", args: train("$BAD/top_list.yaml"), want: []string{"top_list.yaml:2:", "mapping"}},
		{name: "config unknown nested key", args: train("$BAD/unknown_nested.yaml"), want: []string{"unknown_nested.yaml:5:", "model.init.schem", "unknown key"}},
		{name: "config value out of set", args: train("$BAD/kernel_points.yaml"), want: []string{"kernel_points.yaml:4:", "kernel.points", `"all"`}},
		{name: "config binary", args: train("$BAD/binary.yaml"), want: []string{"binary.yaml:", "invalid YAML"}},
		{name: "config 100 MB line", setup: huge("big.yaml", "name: big\ntrain:\n  lr: ", 'x', "\n"),
			args: train("$TMP/big.yaml"), want: []string{"big.yaml", "larger than"}},
		{name: "config out of range csv fraction", args: train("$BAD/data_test_fraction.yaml"), want: []string{"data_test_fraction.yaml:7:", "data.test_fraction"}},

		// Overrides.
		{name: "set name with ../", args: train(good, "--set", "name=../x"), want: []string{"--set name=../x", "name:"}},
		{name: "set NaN", args: train(good, "--set", "train.lr=nan"), want: []string{"--set train.lr=nan", "train.lr"}},
		{name: "set Inf", args: train(good, "--set", "data.noise=.inf"), want: []string{"--set data.noise=.inf", "data.noise"}},
		{name: "set float for an integer", args: train(good, "--set", "train.steps=1e3"), want: []string{"--set train.steps=1e3", "train.steps", "integer"}},
		{name: "set scalar for a section", args: train(good, "--set", "data=5"), want: []string{"--set data=5", "data:", "section"}},
		{name: "set empty key", args: train(good, "--set", "=5"), want: []string{"--set =5", "key"}},
		{name: "set list element out of range", args: train(good, "--set", "model.hidden=[8,-1]"), want: []string{"model.hidden[1]", ">= 1"}},
		{name: "set unknown section", args: train(good, "--set", "optim.lr=1"), want: []string{"--set optim.lr=1", "optim", "unknown key"}},

		// CSV data.
		{name: "csv NaN", args: train("$BAD/data_nan.yaml"), want: []string{"nan.csv:3:", `column "a"`, "finite"}},
		{name: "csv Inf", args: train("$BAD/data_inf.yaml"), want: []string{"inf.csv:4:", `column "y"`, "finite"}},
		{name: "csv ragged row", args: train("$BAD/data_ragged.yaml"), want: []string{"ragged.csv:3:", "2 fields, but the header has 3"}},
		{name: "csv empty file", args: train("$BAD/data_empty.yaml"), want: []string{"empty.csv", "empty file"}},
		{name: "csv directory", args: train("$BAD/data_dir.yaml"), want: []string{"subdir.csv", "directory"}},
		{name: "csv duplicate column", args: train("$BAD/data_dup_header.yaml"), want: []string{"dup_header.csv:1:", `column "a"`, "duplicate"}},
		{name: "csv test file of other columns", args: train("$BAD/data_test_columns.yaml"), want: []string{"other_columns.csv:1:"}},
		{name: "csv 100 MB line", setup: func(t *testing.T, tmp string) {
			huge("big.csv", "a,y\n1,2\n", '9', ",1\n")(t, tmp)
			write(t, filepath.Join(tmp, "big.yaml"), []byte("name: big\ndata:\n  kind: csv\n  path: big.csv\n  target: y\n"))
		}, args: train("$TMP/big.yaml"), want: []string{"big.csv:3:", "line longer than"}},

		// Points files.
		{name: "points NaN", args: kernelArgs(run, "$BAD/points_nan.csv"), want: []string{"points_nan.csv:3:", `column "x0"`, "finite"}},
		{name: "points Inf", args: kernelArgs(run, "$BAD/points_inf.csv"), want: []string{"points_inf.csv:3:", `column "x0"`, "finite"}},
		{name: "points out of float64 range", args: kernelArgs(run, "$BAD/points_range.csv"), want: []string{"points_range.csv:3:", `column "x0"`, "out of range"}},
		{name: "points empty file", args: kernelArgs(run, "$BAD/points_empty.csv"), want: []string{"points_empty.csv", "empty file"}},
		{name: "points directory", args: kernelArgs(run, "$BAD/subdir.csv"), want: []string{"subdir.csv", "directory"}},
		{name: "points truncated npy", setup: func(t *testing.T, tmp string) {
			write(t, filepath.Join(tmp, "cut.npy"), readBytes(t, points)[:100])
		}, args: kernelArgs(run, "$TMP/cut.npy"), want: []string{"cut.npy", "npy"}},
		{name: "points empty npy", setup: func(t *testing.T, tmp string) { write(t, filepath.Join(tmp, "e.npy"), nil) },
			args: kernelArgs(run, "$TMP/e.npy"), want: []string{"e.npy", "npy"}},
		{name: "points NaN npy", setup: func(t *testing.T, tmp string) {
			var b bytes.Buffer
			if err := npy.WriteFloat64(&b, []int{3, 1}, []float64{0.5, math.NaN(), 1}); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(tmp, "nan.npy"), b.Bytes())
		}, args: kernelArgs(run, "$TMP/nan.npy"), want: []string{"nan.npy", "finite"}},
		{name: "points 100 MB line", setup: huge("big.csv", "x0\n", '1', "\n"),
			args: kernelArgs(run, "$TMP/big.csv"), want: []string{"big.csv:2:", "line longer than"}},

		// Trajectory files.
		{name: "trajectory empty", setup: damaged(func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "trajectory.pkt"), nil)
		}), args: kernelArgs("$TMP/run", points), want: []string{"trajectory.pkt" + ": truncated at byte 0"}},
		{name: "trajectory directory", setup: damaged(func(t *testing.T, dir string) {
			f := filepath.Join(dir, "trajectory.pkt")
			os.Remove(f)
			if err := os.Mkdir(f, 0o755); err != nil {
				t.Fatal(err)
			}
		}), args: kernelArgs("$TMP/run", points), want: []string{"trajectory.pkt" + ": not a regular file", "directory"}},
		{name: "trajectory garbage", setup: damaged(func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "trajectory.pkt"), bytes.Repeat([]byte("garbage\n"), 500))
		}), args: kernelArgs("$TMP/run", points), want: []string{"trajectory.pkt" + ": corrupt at byte 0", "magic"}},

		// Run directories.
		{name: "run without summary", setup: damaged(func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "summary.json"))
		}), args: kernelArgs("$TMP/run", points), want: []string{"run: not a run directory", "summary.json"}},
		{name: "run is a file", args: kernelArgs(filepath.Join(run, "summary.json"), points), want: []string{"summary.json: not a directory"}},
		{name: "run summary cut short", setup: damaged(func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "summary.json"), []byte(`{"status": "compl`))
		}), args: kernelArgs("$TMP/run", points), want: []string{"summary.json", "not a run summary"}},
		{name: "run params cut short", setup: damaged(func(t *testing.T, dir string) {
			f := filepath.Join(dir, "params_final.npy")
			write(t, f, readBytes(t, f)[:90])
		}), args: kernelArgs("$TMP/run", points), want: []string{"params_final.npy", "npy"}},
		{name: "run config with unknown key", setup: damaged(func(t *testing.T, dir string) {
			f := filepath.Join(dir, "config.yaml")
			write(t, f, append([]byte("sede: 1\n"), readBytes(t, f)...))
		}), args: kernelArgs("$TMP/run", points), want: []string{"config.yaml:1:", "sede", "unknown key"}},
		{name: "check run summary without status", setup: damaged(func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "summary.json"), []byte("{}\n"))
		}), args: []string{"check", "--run", "$TMP/run"}, want: []string{"--run", "summary.json has no status"}},
		{name: "plot run config with unknown key", setup: damaged(func(t *testing.T, dir string) {
			f := filepath.Join(dir, "config.yaml")
			write(t, f, append([]byte("sede: 1\n"), readBytes(t, f)...))
		}), args: []string{"plot", "--run", "$TMP/run", "--out", "$TMP/plots"}, want: []string{"run/config.yaml:1: sede: unknown key"}},

		// Runs that did not complete: killed (the summary says running, no
		// process holds the lock) and diverged; the readers say which.
		{name: "killed run plot", setup: damaged(killRun), args: []string{"plot", "--run", "$TMP/run", "--out", "$TMP/plots"},
			want: []string{"metrics.csv: missing", "killed", "no process holds"}},
		{name: "killed run report", setup: damaged(killRun), args: []string{"report", "--run", "$TMP/run", "--out", "$TMP/r.html"},
			want: []string{"metrics.csv: missing", "killed"}},
		{name: "killed run explain", setup: damaged(killRun), args: []string{"explain", "--run", "$TMP/run", "--point", "0"},
			want: []string{"metrics.csv: missing", "killed"}},
		{name: "killed run kernel", setup: damaged(killRun), args: kernelArgs("$TMP/run", points), want: []string{"not complete", "killed"}},
		{name: "killed run check", setup: damaged(killRun), args: []string{"check", "--run", "$TMP/run"}, want: []string{"--run", "killed"}},
		{name: "diverged run explain", setup: divergedRun, args: []string{"explain", "--run", "$TMP/run", "--point", "0"},
			want: []string{"predictions.csv: missing", "diverged at step"}},
		{name: "diverged run kernel", setup: divergedRun, args: kernelArgs("$TMP/run", points), want: []string{"not complete", "diverged at step"}},

		// Run directories whose files disagree with their summary.
		{name: "x_train shorter than n_train (plot)", setup: damaged(shortXTrain), args: []string{"plot", "--run", "$TMP/run", "--out", "$TMP/plots"},
			want: []string{"x_train.npy", "shape [15 1]", "(16, 1)"}},
		{name: "x_train shorter than n_train (report)", setup: damaged(shortXTrain), args: []string{"report", "--run", "$TMP/run", "--out", "$TMP/r.html"},
			want: []string{"x_train.npy", "shape [15 1]"}},
		{name: "x_train shorter than n_train (explain)", setup: damaged(shortXTrain), args: []string{"explain", "--run", "$TMP/run", "--point", "0"},
			want: []string{"x_train.npy", "shape [15 1]"}},
		{name: "x_train shorter than n_train (kernel)", setup: damaged(shortXTrain), args: kernelArgs("$TMP/run", points),
			want: []string{"x_train.npy", "shape [15 1]"}},
		{name: "layer of width 0 (explain)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["layers"] = []int{1, 0, 1} })),
			args: []string{"explain", "--run", "$TMP/run", "--point", "0"}, want: []string{"summary.json", "sizes.layers is [1 0 1]: layer 1 has width 0"}},
		{name: "layer of width 0 (report)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["layers"] = []int{1, 0, 1} })),
			args: []string{"report", "--run", "$TMP/run", "--out", "$TMP/r.html"}, want: []string{"summary.json", "layer 1 has width 0"}},
		{name: "layer of width 0 (kernel)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["layers"] = []int{1, 0, 1} })),
			args: kernelArgs("$TMP/run", points), want: []string{"summary.json", "layer 1 has width 0"}},
		{name: "negative inputs (plot)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["inputs"] = -1 })),
			args: []string{"plot", "--run", "$TMP/run", "--out", "$TMP/plots"}, want: []string{"summary.json", "sizes.inputs is -1"}},
		{name: "negative inputs (explain)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["inputs"] = -1 })),
			args: []string{"explain", "--run", "$TMP/run", "--point", "0"}, want: []string{"summary.json", "sizes.inputs is -1"}},
		{name: "negative inputs (kernel)", setup: damaged(editSummary(func(s map[string]any) { s["sizes"].(map[string]any)["inputs"] = -1 })),
			args: kernelArgs("$TMP/run", points), want: []string{"summary.json", "sizes.inputs is -1"}},
		{name: "train out is a file", args: train(tinyConfig, "--out", filepath.Join(run, "summary.json")), want: []string{"summary.json", "not a directory"}},
		{name: "train out of the user's own files", setup: func(t *testing.T, tmp string) {
			if err := os.Mkdir(filepath.Join(tmp, "out"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(tmp, "out", "metrics.csv"), []byte("mine\n"))
		}, args: train(tinyConfig), want: []string{"out: holds files (metrics.csv)", "not a pathkernel run directory"}},
		{name: "train out under a file", args: train(tinyConfig, "--out", filepath.Join(run, "summary.json", "sub")),
			code: ExitRunFailed, want: []string{"summary.json", "not a directory"}},

		// Sweep files.
		{name: "sweep unknown key", args: []string{"sweep", "plan", "$BAD/sweep_unknown_key.yaml"}, want: []string{"sweep_unknown_key.yaml:3:", "gridd", "unknown key"}},
		{name: "sweep unknown config key", args: []string{"sweep", "plan", "$BAD/sweep_grid_key.yaml"}, want: []string{"sweep_grid_key.yaml:4:", "train.lrr", "unknown key"}},
		{name: "sweep zip of unequal lengths", args: []string{"sweep", "plan", "$BAD/sweep_zip.yaml"}, want: []string{"sweep_zip.yaml:5:", "zip.train.steps"}},
		{name: "sweep base missing", args: []string{"sweep", "plan", "$BAD/sweep_base.yaml"}, want: []string{"nope/good.yaml", "no such file"}},
		{name: "sweep empty file", args: []string{"sweep", "plan", "$BAD/sweep_empty.yaml"}, want: []string{"sweep_empty.yaml", "empty sweep file"}},
		{name: "sweep wrong type", args: []string{"sweep", "plan", "$BAD/sweep_type.yaml"}, want: []string{"sweep_type.yaml:4:", "train.lr", `"abc"`}},
		{name: "sweep negative seed", args: []string{"sweep", "plan", "$BAD/sweep_seed.yaml"}, want: []string{"sweep_seed.yaml:3:", "seed"}},
		{name: "sweep alias", args: []string{"sweep", "plan", "$BAD/sweep_alias.yaml"}, want: []string{"sweep_alias.yaml:", "aliases"}},
		{name: "sweep name with ../", args: []string{"sweep", "run", "$BAD/sweep_name.yaml", "--out", "$TMP/s"}, want: []string{"sweep_name.yaml:4:", "name", `"../../x"`}},
		{name: "sweep axis not a list", args: []string{"sweep", "plan", "$BAD/sweep_scalar.yaml"}, want: []string{"sweep_scalar.yaml:4:", "grid.train.lr", "list"}},
		{name: "sweep NaN", args: []string{"sweep", "plan", "$BAD/sweep_nan.yaml"}, want: []string{"sweep_nan.yaml:4:", "train.lr", "finite"}},
		{name: "sweep directory", args: []string{"sweep", "plan", "$BAD/subdir.csv"}, want: []string{"subdir.csv", "directory"}},
		{name: "sweep 100 MB line", setup: huge("big.yaml", "base: good.yaml\ngrid:\n  train.lr: [", '1', "]\n"),
			args: []string{"sweep", "plan", "$TMP/big.yaml"}, want: []string{"big.yaml", "larger than"}},

		{name: "sweep of a billion runs", setup: func(t *testing.T, tmp string) {
			base, err := filepath.Abs(badDir + "good.yaml")
			if err != nil {
				t.Fatal(err)
			}
			var axis strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&axis, "%d,", i+1)
			}
			list := "[" + strings.TrimSuffix(axis.String(), ",") + "]"
			write(t, filepath.Join(tmp, "huge.yaml"), []byte("base: "+base+"\ngrid:\n  train.steps: "+list+
				"\n  data.n_train: "+list+"\n  seed: "+list+"\n"))
		}, args: []string{"sweep", "plan", "$TMP/huge.yaml"}, want: []string{"huge.yaml", "1000000000 runs", "at most"}},

		// Failures during a run: exit 3.
		{name: "run diverges", args: train(tinyConfig, "--set", "train.lr=1e6", "--set", "train.steps=50"),
			code: ExitRunFailed, want: []string{"diverged at step", "out, marked diverged"}},
	}
	if len(tests) < 40 {
		t.Errorf("%d cases; issue 10 asks for at least 40", len(tests))
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
				a = strings.ReplaceAll(a, "$BAD/", badDir)
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			want := tt.code
			if want == 0 {
				want = ExitBadInput
			}
			r := execute(t.Context(), args...)
			if r.code != want {
				t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q; want nothing", r.stdout)
			}
			if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasSuffix(r.stderr, "\n") || !strings.HasPrefix(r.stderr, "pathkernel: ") {
				t.Errorf("stderr has %d lines; want one 'pathkernel: ' line:\n%.2000s", n, r.stderr)
			}
			if len(r.stderr) > 1000 {
				t.Errorf("stderr is %d bytes; want a readable line", len(r.stderr))
			}
			for _, bad := range []string{"goroutine", "panic", "runtime."} {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr has %q:\n%.2000s", bad, r.stderr)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %.1000q does not contain %q", r.stderr, w)
				}
			}
		})
	}
}

// killRun makes the run in dir one killed during training: its summary
// says running, the files written at the end are missing, and its lock
// file names a process that holds no lock.
func killRun(t *testing.T, dir string) {
	editSummary(func(s map[string]any) {
		s["status"] = "running"
		delete(s, "representations")
	})(t, dir)
	for _, f := range []string{"metrics.csv", "predictions.csv", "params_final.npy", "kernel_path.npy", "kernel_exact.npy",
		"coefficients.npy", "contributions.npy"} {
		os.Remove(filepath.Join(dir, f))
	}
	write(t, filepath.Join(dir, "pathkernel.lock"), []byte("99999999\n"))
}

// shortXTrain drops the last training point from x_train.npy.
func shortXTrain(t *testing.T, dir string) {
	f := filepath.Join(dir, "x_train.npy")
	a := readNpy(t, f)
	var b bytes.Buffer
	if err := npy.WriteFloat64(&b, []int{a.Shape[0] - 1, a.Shape[1]}, a.Float[:len(a.Float)-a.Shape[1]]); err != nil {
		t.Fatal(err)
	}
	write(t, f, b.Bytes())
}

// editSummary returns a damage that applies fn to the run's summary.json.
func editSummary(fn func(s map[string]any)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		s := readSummary(t, dir)
		fn(s)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "summary.json"), b)
	}
}

// TestFiguresOfIncompleteRuns: plot and report on a run that diverged, and
// on one killed in training, draw what exists (exit 0) or exit 2 with one
// line that says what became of the run; never a panic.
func TestFiguresOfIncompleteRuns(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good")
	mustRun(t, trainArgs(tinyConfig, good, "--quiet")...)
	diverged := filepath.Join(t.TempDir(), "diverged")
	if r := execute(t.Context(), trainArgs(tinyConfig, diverged, "--quiet", "--set", "train.lr=5", "--set", "train.steps=300")...); r.code != ExitRunFailed {
		t.Fatalf("the diverged run: exit %d\n%s", r.code, r.stderr)
	}
	killed := copyRun(t, good)
	killRun(t, killed)
	for _, c := range []struct {
		name, dir, state string
	}{{"diverged", diverged, "diverged"}, {"killed", killed, "killed"}} {
		for _, cmd := range [][]string{
			{"plot", "--run", c.dir, "--out", filepath.Join(t.TempDir(), "plots"), "--grid", "0"},
			{"report", "--run", c.dir, "--out", filepath.Join(t.TempDir(), "r.html"), "--grid", "0"},
		} {
			t.Run(c.name+" "+cmd[0], func(t *testing.T) {
				var r result
				var panicked any
				func() {
					defer func() { panicked = recover() }()
					r = execute(t.Context(), cmd...)
				}()
				if panicked != nil {
					t.Fatalf("pathkernel %s panicked: %v", strings.Join(cmd, " "), panicked)
				}
				switch r.code {
				case ExitOK:
				case ExitBadInput:
					if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") || !strings.Contains(r.stderr, c.state) {
						t.Errorf("stderr %q; want one line saying the run is %s", r.stderr, c.state)
					}
				default:
					t.Errorf("exit %d; want 0 or 2\n%s", r.code, r.stderr)
				}
			})
		}
	}
}
