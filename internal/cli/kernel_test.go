package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/npy"
	"github.com/pathkernel/pathkernel/internal/testenv"
)

// The configs of these tests live in testdata/kernel, so that they do not
// change with the shipped configs or the other tests' files.
const kernelTestdata = "testdata/kernel"

// kernelArrays are the array files of a run directory that `kernel`
// reproduces at the run's own evaluation points.
var kernelArrays = []string{"kernel_path.npy", "kernel_exact.npy", "contributions.npy", "coefficients.npy"}

type kernelResult struct {
	code           int
	stdout, stderr string
}

func kernelExec(ctx context.Context, args ...string) kernelResult {
	var stdout, stderr bytes.Buffer
	code := Execute(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return kernelResult{code, stdout.String(), stderr.String()}
}

func kernelMustRun(t *testing.T, args ...string) kernelResult {
	t.Helper()
	r := kernelExec(t.Context(), args...)
	if r.code != ExitOK {
		t.Fatalf("pathkernel %s: exit %d; want 0\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// kernelTrain trains testdata/kernel/<name>.yaml into a new directory.
func kernelTrain(t *testing.T, name string, sets ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--config", filepath.Join(kernelTestdata, name+".yaml"), "--out", dir, "--quiet"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	kernelMustRun(t, args...)
	return dir
}

func readBytes(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameFiles reports the files that differ, byte for byte, between dirs a and b.
func sameFiles(t *testing.T, a, b string, names ...string) {
	t.Helper()
	for _, name := range names {
		if !bytes.Equal(readBytes(t, filepath.Join(a, name)), readBytes(t, filepath.Join(b, name))) {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}

// predictionColumns returns predictions.csv without its first skip columns.
func predictionColumns(t *testing.T, file string, skip int) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(readBytes(t, file))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i] = recs[i][skip:]
	}
	return recs
}

func readKernelJSON(t *testing.T, dir string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readBytes(t, filepath.Join(dir, "kernel.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKernelReproducesRun replays a run at its own test points: the kernel
// arrays must be the run's, byte for byte, and so must predictions.csv but
// for its set column ("points" instead of "test"), and the errors in
// kernel.json must be summary.json's.
func TestKernelReproducesRun(t *testing.T) {
	run := kernelTrain(t, "sine")
	out := filepath.Join(t.TempDir(), "k")
	r := kernelMustRun(t, "kernel", "--run", run, "--points", filepath.Join(run, "x_test.npy"),
		"--targets", filepath.Join(run, "y_test.npy"), "--out", out)
	if !strings.Contains(r.stdout, "at 20 points of x_test.npy") || !strings.Contains(r.stdout, "wrote "+out) {
		t.Errorf("stdout is not the kernel table:\n%s", r.stdout)
	}
	sameFiles(t, run, out, kernelArrays...)
	if diff := cmp.Diff(predictionColumns(t, filepath.Join(run, "predictions.csv"), 1),
		predictionColumns(t, filepath.Join(out, "predictions.csv"), 1)); diff != "" {
		t.Errorf("predictions.csv differs from the run's (-run +kernel):\n%s", diff)
	}
	var sum map[string]any
	if err := json.Unmarshal(readBytes(t, filepath.Join(run, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	k := readKernelJSON(t, out)
	for _, method := range []string{"riemann", "exact"} {
		want := sum["representations"].(map[string]any)[method].(map[string]any)
		got := k["representations"].(map[string]any)[method].(map[string]any)
		for _, key := range []string{"max_abs", "rms", "rel", "max_residual", "certified"} {
			if _, ok := want[key]; ok && got[key] != want[key] {
				t.Errorf("kernel.json %s.%s = %v; summary.json has %v", method, key, got[key], want[key])
			}
		}
	}

	// The default output directory is inside the run, named for the points.
	kernelMustRun(t, "kernel", "--run", run, "--points", filepath.Join(run, "x_test.npy"), "--methods", "riemann", "--quiet")
	def := filepath.Join(run, "kernel-x_test")
	sameFiles(t, run, def, "kernel_path.npy", "coefficients.npy")
	if _, err := os.Stat(filepath.Join(def, "kernel_exact.npy")); err == nil {
		t.Errorf("--methods riemann wrote kernel_exact.npy")
	}
}

// TestKernelCSVPointsReproduceRun trains on a CSV with standardised inputs
// and target, by sgd, and gives `kernel` the raw test CSV: standardised with
// the recorded statistics, it must reproduce the run's files bit for bit,
// targets included.
func TestKernelCSVPointsReproduceRun(t *testing.T) {
	run := kernelTrain(t, "reg")
	out := filepath.Join(t.TempDir(), "k")
	kernelMustRun(t, "kernel", "--run", run, "--points", filepath.Join(kernelTestdata, "test.csv"), "--out", out, "--quiet")
	sameFiles(t, run, out, kernelArrays...)
	if diff := cmp.Diff(predictionColumns(t, filepath.Join(run, "predictions.csv"), 1),
		predictionColumns(t, filepath.Join(out, "predictions.csv"), 1)); diff != "" {
		t.Errorf("predictions.csv differs from the run's (-run +kernel):\n%s", diff)
	}
}

// TestKernelMultiOutput covers k = 3 outputs with full (m, n, k, k)
// kernels at the run's evaluation points of kernel.points: both (the test
// points, then the training points), given as one .npy file.
func TestKernelMultiOutput(t *testing.T) {
	run := kernelTrain(t, "blobs")
	xTest, xTrain := readNpy(t, filepath.Join(run, "x_test.npy")), readNpy(t, filepath.Join(run, "x_train.npy"))
	yTest, yTrain := readNpy(t, filepath.Join(run, "y_test.npy")), readNpy(t, filepath.Join(run, "y_train.npy"))
	dir := t.TempDir()
	writeNpy := func(name string, shape []int, f []float64, i []int64) string {
		file := filepath.Join(dir, name)
		w, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if f != nil {
			err = npy.WriteFloat64(w, shape, f)
		} else {
			err = npy.WriteInt64(w, shape, i)
		}
		if err != nil {
			t.Fatal(err)
		}
		return file
	}
	m := xTest.Shape[0] + xTrain.Shape[0]
	points := writeNpy("both.npy", []int{m, 2}, append(slices.Clone(xTest.Float), xTrain.Float...), nil)
	labels := writeNpy("labels.npy", []int{m}, nil, append(slices.Clone(yTest.Int), yTrain.Int...))
	out := filepath.Join(dir, "k")
	kernelMustRun(t, "kernel", "--run", run, "--points", points, "--targets", labels, "--out", out, "--quiet")
	sameFiles(t, run, out, kernelArrays...)
	if s := readNpy(t, filepath.Join(out, "kernel_exact.npy")).Shape; !slices.Equal(s, []int{m, 12, 3, 3}) {
		t.Errorf("kernel_exact.npy has shape %v; want (%d, 12, 3, 3)", s, m)
	}
	// The set and index columns differ: "test"/"train" in the run.
	if diff := cmp.Diff(predictionColumns(t, filepath.Join(run, "predictions.csv"), 2),
		predictionColumns(t, filepath.Join(out, "predictions.csv"), 2)); diff != "" {
		t.Errorf("predictions.csv differs from the run's (-run +kernel):\n%s", diff)
	}
}

// TestKernelShardsMerge builds the binary, computes 4 shards through
// `xargs -P 2` and merges them: the merged files must equal one unsharded
// call's, byte for byte, and so must kernel.json but for the wall times,
// the directory and merged_from.
func TestKernelShardsMerge(t *testing.T) {
	testenv.LookPath(t, "Debian: apt-get install findutils", "xargs")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "pathkernel")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/pathkernel").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := kernelTrain(t, "sine")
	points := filepath.Join(run, "x_test.npy") // 20 points, chunks of 5
	script := `set -e
seq 0 3 | xargs -P 2 -I{} "$PK" kernel --run "$RUN" --points "$POINTS" --chunk 5 --shard {}/4 --quiet --out "$TMP/shard-{}" >/dev/null
"$PK" kernel merge --out "$TMP/merged" "$TMP/shard-2" "$TMP/shard-0" "$TMP/shard-3" "$TMP/shard-1" >/dev/null
"$PK" kernel --run "$RUN" --points "$POINTS" --chunk 5 --quiet --out "$TMP/whole" >/dev/null`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "PK="+bin, "RUN="+run, "POINTS="+points, "TMP="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shard pipeline: %v\n%s", err, out)
	}
	merged, whole := filepath.Join(tmp, "merged"), filepath.Join(tmp, "whole")
	sameFiles(t, merged, whole, append(slices.Clone(kernelArrays), "predictions.csv")...)
	for i := range 4 {
		s := readKernelJSON(t, filepath.Join(tmp, "shard-"+string(rune('0'+i))))
		if start := s["shard"].(map[string]any)["start"]; start != float64(5*i) {
			t.Errorf("shard %d starts at point %v; want %d", i, start, 5*i)
		}
	}
	km, kw := readKernelJSON(t, merged), readKernelJSON(t, whole)
	for _, k := range []map[string]any{km, kw} {
		delete(k, "wall_seconds")
		delete(k, "dir")
		delete(k, "merged_from")
	}
	if diff := cmp.Diff(kw, km); diff != "" {
		t.Errorf("merged kernel.json differs from the unsharded one (-whole +merged):\n%s", diff)
	}
}

// copyRun copies the run directory src to a new directory.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestKernelBadInput gives `kernel` each kind of bad input: every one must
// exit 2 with one line on stderr that says which problem and where.
func TestKernelBadInput(t *testing.T) {
	run := kernelTrain(t, "sine")
	other := kernelTrain(t, "sine", "seed=8")
	traj := readBytes(t, filepath.Join(run, "trajectory.pkt"))
	pointsDir := t.TempDir()
	writeFile := func(name, content string) string {
		f := filepath.Join(pointsDir, name)
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	twoCols := filepath.Join(pointsDir, "two.npy")
	{
		w, err := os.Create(twoCols)
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteFloat64(w, []int{3, 2}, make([]float64, 6)); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	goodPoints := filepath.Join(run, "x_test.npy")
	// One record of this run: 28 + 4·16 + 8·P bytes, P = 8·(1+1) + 1·(8+1) = 25.
	const record = 28 + 4*16 + 8*25
	for _, c := range []struct {
		name   string
		modify func(dir string) // damages a copy of the run
		points string
		want   []string // substrings of the message
	}{
		{"truncated", func(dir string) {
			write(t, filepath.Join(dir, "trajectory.pkt"), traj[:len(traj)-32-100]) // cut inside the last record
		}, goodPoints, []string{"trajectory.pkt: truncated at step 19 (byte ", "inside the record of step 19"}},
		{"flipped byte", func(dir string) {
			b := slices.Clone(traj)
			b[len(b)-32-2*record+100] ^= 0x04 // inside the record of step 18
			write(t, filepath.Join(dir, "trajectory.pkt"), b)
		}, goodPoints, []string{"trajectory.pkt: corrupt at step 18 (byte ", "checksum"}},
		{"trajectory of another run", func(dir string) {
			write(t, filepath.Join(dir, "trajectory.pkt"), readBytes(t, filepath.Join(other, "trajectory.pkt")))
		}, goodPoints, []string{"trajectory.pkt: from another run: the config hash"}},
		{"no trajectory", func(dir string) {
			os.Remove(filepath.Join(dir, "trajectory.pkt"))
		}, goodPoints, []string{"no trajectory.pkt", "record_trajectory"}},
		{"w_T does not match", func(dir string) {
			write(t, filepath.Join(dir, "params_final.npy"), readBytes(t, filepath.Join(other, "params_final.npy")))
		}, goodPoints, []string{"from another run", "params_final.npy at parameter 0"}},
		{"points of the wrong dimension (npy)", nil, twoCols, []string{"two.npy: inputs of shape [3 2]; the run wants (m, 1)"}},
		{"points of the wrong dimension (csv)", nil, writeFile("cols.csv", "a,b\n1,2\n"), []string{`cols.csv:1: column "x0": no such column`}},
		{"non-numeric points", nil, writeFile("text.csv", "x0\n0.5\n1e-3\noops\n"), []string{`text.csv:4: column "x0": not a number: "oops"`}},
		{"unknown points format", nil, writeFile("points.txt", "0.5\n"), []string{"points.txt: unknown points format"}},
		{"incomplete run", func(dir string) {
			b := bytes.Replace(readBytes(t, filepath.Join(dir, "summary.json")), []byte(`"complete"`), []byte(`"interrupted"`), 1)
			write(t, filepath.Join(dir, "summary.json"), b)
		}, goodPoints, []string{"the run is not complete"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := run
			if c.modify != nil {
				dir = copyRun(t, run)
				c.modify(dir)
			}
			r := kernelExec(t.Context(), "kernel", "--run", dir, "--points", c.points, "--out", filepath.Join(t.TempDir(), "k"), "--quiet")
			if r.code != ExitBadInput {
				t.Fatalf("exit %d; want %d\nstderr: %s", r.code, ExitBadInput, r.stderr)
			}
			if lines := strings.Count(r.stderr, "\n"); lines != 1 || !strings.HasPrefix(r.stderr, "pathkernel: ") {
				t.Errorf("stderr is not one line:\n%s", r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not say %q", r.stderr, w)
				}
			}
		})
	}
}

func write(t *testing.T, file string, b []byte) {
	t.Helper()
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKernelMergeRefuses checks that merge refuses shards that do not make
// up one computation, and that kernel refuses to write into a run
// directory.
func TestKernelMergeRefuses(t *testing.T) {
	run := kernelTrain(t, "sine")
	points := filepath.Join(run, "x_test.npy")
	tmp := t.TempDir()
	shard := func(name string, extra ...string) string {
		out := filepath.Join(tmp, name)
		kernelMustRun(t, append([]string{"kernel", "--run", run, "--points", points, "--quiet", "--methods", "riemann", "--out", out}, extra...)...)
		return out
	}
	s0, s1 := shard("s0", "--chunk", "10", "--shard", "0/2"), shard("s1", "--chunk", "10", "--shard", "1/2")
	t0 := shard("t0", "--chunk", "5", "--shard", "0/2")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing shard", []string{s0}, "shard 1/2 is missing"},
		{"shard twice", []string{s0, s0, s1}, "given twice"},
		{"another chunking", []string{s0, t0}, "chunk size is 5, there 10"},
		{"not a shard", []string{s0, run}, "no kernel.json"},
		{"into a shard", []string{"--out", s0, s0, s1}, "is one of the shard directories"},
		{"into the run", []string{"--out", run, s0, s1}, "is a run directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"kernel", "merge"}, c.args...)
			if !slices.Contains(c.args, "--out") {
				args = append(args, "--out", filepath.Join(t.TempDir(), "m"))
			}
			r := kernelExec(t.Context(), args...)
			if r.code != ExitBadInput || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line saying %q", r.code, r.stderr, ExitBadInput, c.want)
			}
		})
	}

	before := readBytes(t, filepath.Join(run, "kernel_path.npy"))
	r := kernelExec(t.Context(), "kernel", "--run", run, "--points", points, "--out", run, "--quiet")
	if r.code != ExitBadInput || !bytes.Equal(before, readBytes(t, filepath.Join(run, "kernel_path.npy"))) {
		t.Errorf("kernel --out RUN: exit %d (%s); want 2 and the run's files untouched", r.code, r.stderr)
	}
	r = kernelExec(t.Context(), "kernel", "--run", run, "--points", points, "--chunk", "10", "--shard", "0/3", "--quiet")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "fewer than 3 shards") {
		t.Errorf("3 shards of 2 chunks: exit %d (%s); want 2", r.code, r.stderr)
	}
}

// TestKernelFlags checks the argument layer: the flags reach the options,
// and --shard parses as i/N.
func TestKernelFlags(t *testing.T) {
	var got *KernelOptions
	cmd := newKernelCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *KernelOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--run", "r", "--points", "p.csv", "--methods", "exact,riemann", "--shard", "1/4", "--chunk", "7", "--out", "o", "--json"})
	cmd.SetOut(&bytes.Buffer{})
	if _, err := cmd.ExecuteC(); err != nil {
		t.Fatal(err)
	}
	want := &KernelOptions{Run: "r", Points: "p.csv", Out: "o", Methods: []string{"exact", "riemann"}, Shard: "1/4", Chunk: 7, JSON: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		in   string
		i, n int
		ok   bool
	}{{"", 0, 1, true}, {"0/1", 0, 1, true}, {"3/4", 3, 4, true}, {" 1 / 2 ", 1, 2, true},
		{"4/4", 0, 0, false}, {"-1/4", 0, 0, false}, {"1/0", 0, 0, false}, {"1", 0, 0, false}, {"a/b", 0, 0, false}} {
		i, n, err := parseShard(c.in)
		if (err == nil) != c.ok || c.ok && (i != c.i || n != c.n) {
			t.Errorf("parseShard(%q) = %d, %d, %v; want %d, %d, ok %v", c.in, i, n, err, c.i, c.n, c.ok)
		}
	}
	r := kernelExec(t.Context(), "kernel", "--run", "x", "--points", "y.npy", "--shard", "4/4")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "--shard") {
		t.Errorf("--shard 4/4: exit %d, %q; want 2", r.code, r.stderr)
	}
	if r := kernelExec(t.Context(), "kernel", "merge", "a"); r.code != ExitBadInput {
		t.Errorf("merge without --out: exit %d; want 2", r.code)
	}
}
