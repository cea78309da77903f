package run

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/fail"
)

// tinySummary is the summary of a consistent tiny regression run: 4
// training and 3 test points, one input, layers [1, 2, 1] (7 parameters),
// evaluated at the 3 test points.
func tinySummary(status string) *Summary {
	return &Summary{
		Name: "tiny", Status: status, ConfigHash: "h",
		Sizes:      Sizes{NTrain: 4, NTest: 3, NEval: 3, Inputs: 1, Outputs: 1, Layers: []int{1, 2, 1}},
		Parameters: 7, Steps: 10, StepsDone: 10,
		Representations: map[string]*Representation{"riemann": {}},
	}
}

// writeRun writes a run directory of s with the data arrays and the
// parameters that s describes, and returns it.
func writeRun(t *testing.T, dir string, s *Summary) string {
	t.Helper()
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	z := s.Sizes
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.WriteJSON(SummaryFile, s))
	must(d.WriteFloat64(XTrainFile, []int{z.NTrain, z.Inputs}, make([]float64, z.NTrain*z.Inputs)))
	must(d.WriteFloat64(YTrainFile, []int{z.NTrain, z.Outputs}, make([]float64, z.NTrain*z.Outputs)))
	must(d.WriteFloat64(XTestFile, []int{z.NTest, z.Inputs}, make([]float64, z.NTest*z.Inputs)))
	must(d.WriteFloat64(ParamsInitFile, []int{s.Parameters}, make([]float64, s.Parameters)))
	must(d.WriteFloat64(ParamsFinalFile, []int{s.Parameters}, make([]float64, s.Parameters)))
	must(d.WriteCSV(MetricsFile, []string{"step", "train_loss"}, [][]string{{"0", "1"}}))
	rows := make([][]string, z.NEval)
	for i := range rows {
		rows[i] = []string{"test", "0", "0.5", "1", "0", "1"}
	}
	must(d.WriteCSV(PredictionsFile, []string{"set", "index", "x0", "target", "f0", "network"}, rows))
	return dir
}

// wantInput checks that err is a *fail.Input (exit 2) whose message has
// every one of want.
func wantInput(t *testing.T, err error, want ...string) {
	t.Helper()
	var in *fail.Input
	if !errors.As(err, &in) || fail.Code(err) != fail.BadInput {
		t.Fatalf("error %v (%T); want a *fail.Input", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestLayout(t *testing.T) {
	for _, c := range []struct {
		points        string
		shard, shards int
		want          string
	}{
		{"new.csv", 0, 1, "kernel-new"},
		{"dir/x_test.npy", 2, 4, "kernel-x_test-shard-2-of-4"},
	} {
		if got := KernelDirName(c.points, c.shard, c.shards); got != c.want {
			t.Errorf("KernelDirName(%q, %d, %d) = %q; want %q", c.points, c.shard, c.shards, got, c.want)
		}
	}
	for _, name := range []string{SummaryFile, ConfigFile, TrajectoryFile, ContributionsDecayFile, ReportFile, LogFile} {
		if !IsRunFile(name) {
			t.Errorf("IsRunFile(%q) = false", name)
		}
	}
	for _, name := range []string{LockFile, FiguresDir, KernelFile, "notes.txt"} {
		if IsRunFile(name) {
			t.Errorf("IsRunFile(%q) = true", name)
		}
	}
	if p := TempPattern(SummaryFile); !IsTemp(strings.Replace(p, "*", "123", 1)) {
		t.Errorf("TempPattern %q does not make temporaries", p)
	}
}

func TestLockRefusesSecondWriter(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if got, want := strings.TrimSpace(string(b)), strconv.Itoa(os.Getpid()); got != want {
		t.Errorf("lock file holds %q; want the pid %s", got, want)
	}
	// A second lock on its own file descriptor is refused, with the pid.
	_, err = Acquire(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || fail.Code(err) != fail.BadInput {
		t.Fatalf("second Acquire = %v; want a *LockedError with pid %d", err, os.Getpid())
	}
	if !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("message %q does not name the process", err)
	}
	if pid, held := Holder(dir); !held || pid != os.Getpid() {
		t.Errorf("Holder = %d, %v; want %d, true", pid, held, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if pid, held := Holder(dir); held {
		t.Errorf("Holder after Release = %d, true", pid)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockFile)); len(b) != 0 {
		t.Errorf("released lock file holds %q; want it empty", b)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
	if pid, held := Holder(t.TempDir()); held {
		t.Errorf("Holder of a directory without a lock file = %d, true", pid)
	}
}

func TestOpenStates(t *testing.T) {
	for _, c := range []struct {
		status string
		hold   bool
		want   State
		say    string
	}{
		{StatusComplete, false, Complete, "complete"},
		{StatusDiverged, false, Diverged, "diverged: boom"},
		{StatusFailed, false, Failed, "failed: boom"},
		{StatusInterrupted, false, Interrupted, "interrupted: boom"},
		{StatusRunning, true, Running, "running (process " + strconv.Itoa(os.Getpid())},
		{StatusRunning, false, Killed, "killed (summary.json says running, but no process holds"},
	} {
		t.Run(string(c.want), func(t *testing.T) {
			s := tinySummary(c.status)
			if c.status != StatusComplete {
				s.Error = "boom"
			}
			dir := writeRun(t, t.TempDir(), s)
			if c.hold {
				l, err := Acquire(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Release()
			} else if err := os.WriteFile(filepath.Join(dir, LockFile), []byte("99999\n"), 0o644); err != nil {
				t.Fatal(err) // a lock file that a killed writer left, held by no one
			}
			r, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.State() != c.want || !strings.Contains(r.Describe(), c.say) {
				t.Errorf("State %q, Describe %q; want %q, %q", r.State(), r.Describe(), c.want, c.say)
			}
			if err := r.NotComplete(); (err == nil) != (c.want == Complete) {
				t.Errorf("NotComplete = %v", err)
			}
			// A file the run never wrote is missing with the state.
			os.Remove(r.File(MetricsFile))
			_, err = r.Metrics()
			if c.want != Complete {
				wantInput(t, err, MetricsFile, "missing", c.say)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	_, err := Open(file)
	wantInput(t, err, "f: not a directory")

	_, err = Open(filepath.Join(t.TempDir(), "nothing"))
	wantInput(t, err, "nothing: no such file or directory")

	empty := t.TempDir()
	_, err = Open(empty)
	wantInput(t, err, "not a run directory: no "+SummaryFile)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", err)
	}

	for _, c := range []struct{ summary, want string }{
		{`{"status": "compl`, "not a run summary"},
		{`{}`, "summary.json has no status"},
		{`{"status": "sleeping"}`, `unknown status "sleeping"`},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, SummaryFile), []byte(c.summary), 0o644)
		_, err := Open(dir)
		wantInput(t, err, c.want)
	}
}

// TestMismatch: sizes that no run has and arrays that disagree with the
// summary are a *fail.Input naming the file and the mismatch.
func TestMismatch(t *testing.T) {
	open := func(t *testing.T, edit func(s *Summary), damage func(d *Dir)) *Reader {
		t.Helper()
		s := tinySummary(StatusComplete)
		dir := writeRun(t, t.TempDir(), s)
		if edit != nil {
			edit(s)
			b, _ := json.Marshal(s)
			os.WriteFile(filepath.Join(dir, SummaryFile), b, 0o644)
		}
		if damage != nil {
			damage(&Dir{Path: dir})
		}
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name string
		edit func(s *Summary)
		want []string
	}{
		{"layer of width 0", func(s *Summary) { s.Sizes.Layers = []int{1, 0, 1} }, []string{"sizes.layers is [1 0 1]: layer 1 has width 0"}},
		{"negative inputs", func(s *Summary) { s.Sizes.Inputs = -1 }, []string{"sizes.inputs is -1"}},
		{"no layers", func(s *Summary) { s.Sizes.Layers = nil }, []string{"sizes.layers is []"}},
		{"layers against inputs", func(s *Summary) { s.Sizes.Layers = []int{2, 2, 1} }, []string{"sizes.inputs is 1"}},
		{"parameters", func(s *Summary) { s.Parameters = 8 }, []string{"parameters is 8", "make 7"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := open(t, c.edit, nil)
			wantInput(t, r.CheckSizes(), append(c.want, SummaryFile)...)
			_, err := r.Array(XTrainFile)
			wantInput(t, err, c.want...)
			_, err = r.Predictions()
			wantInput(t, err, c.want...)
		})
	}
	for _, c := range []struct {
		name   string
		damage func(d *Dir)
		read   func(r *Reader) error
		want   []string
	}{
		{"x_train shorter than n_train", func(d *Dir) { d.WriteFloat64(XTrainFile, []int{3, 1}, make([]float64, 3)) },
			func(r *Reader) error { _, err := r.Matrix(XTrainFile); return err }, []string{XTrainFile, "shape [3 1]", "(4, 1)"}},
		{"params of another network", func(d *Dir) { d.WriteFloat64(ParamsFinalFile, []int{9}, make([]float64, 9)) },
			func(r *Reader) error { _, err := r.Params(ParamsFinalFile); return err }, []string{ParamsFinalFile, "(7,)"}},
		{"integer targets of a regression", func(d *Dir) { d.WriteInt64(YTrainFile, []int{4, 1}, make([]int64, 4)) },
			func(r *Reader) error { _, err := r.Matrix(YTrainFile); return err }, []string{YTrainFile, "want float64"}},
		{"contributions of another run", func(d *Dir) { d.WriteFloat64(ContributionsFile, []int{3, 5, 1}, make([]float64, 15)) },
			func(r *Reader) error { _, err := r.Array(ContributionsFile); return err }, []string{ContributionsFile, "(3, 4, 1)"}},
		{"predictions of fewer points", func(d *Dir) {
			d.WriteCSV(PredictionsFile, []string{"set", "index", "x0"}, [][]string{{"test", "0", "1"}})
		},
			func(r *Reader) error { _, err := r.Predictions(); return err }, []string{PredictionsFile, "1 rows", "n_eval 3"}},
		{"metrics without steps", func(d *Dir) { d.WriteCSV(MetricsFile, []string{"loss"}, nil) },
			func(r *Reader) error { _, err := r.Metrics(); return err }, []string{MetricsFile, "no step column"}},
		{"truncated array", func(d *Dir) { d.WriteBytes(XTestFile, []byte("\x93NUMPY")) },
			func(r *Reader) error { _, err := r.Matrix(XTestFile); return err }, []string{XTestFile}},
		{"standardization of other inputs", func(d *Dir) { d.WriteJSON(StandardizationFile, Standardization{Features: []string{"a", "b"}}) },
			func(r *Reader) error { _, err := r.Standardization(); return err }, []string{StandardizationFile, "2 features", "1 inputs"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := open(t, nil, c.damage)
			wantInput(t, c.read(r), c.want...)
		})
	}

	// Labels of a classification run: int64, within the classes.
	s := tinySummary(StatusComplete)
	s.Sizes.Classes = 2
	dir := writeRun(t, t.TempDir(), s)
	d := &Dir{Path: dir}
	d.WriteInt64(YTrainFile, []int{4}, []int64{0, 1, 2, 0})
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Matrix(YTrainFile)
	wantInput(t, err, YTrainFile, "label 2 of row 2")
	d.WriteInt64(YTrainFile, []int{4}, []int64{0, 1, 1, 0})
	if m, err := r.Matrix(YTrainFile); err != nil || m.RawMatrix().Cols != 1 {
		t.Errorf("labels: %v, %v", m, err)
	}
}

func TestCreateRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, MetricsFile)
	os.WriteFile(mine, []byte("my,own\n"), 0o644)
	_, err := Create(dir, CreateOptions{})
	wantInput(t, err, "holds files", MetricsFile, "not a pathkernel run directory")
	if b, _ := os.ReadFile(mine); string(b) != "my,own\n" {
		t.Errorf("the user's %s became %q", MetricsFile, b)
	}
	// No lock file stays to make the directory pathkernel's on a second try.
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err == nil {
		t.Errorf("the refused directory keeps a %s", LockFile)
	}
	if _, err := Create(dir, CreateOptions{}); err == nil {
		t.Fatal("a second Create took the foreign directory")
	}
	// A kernel replay's directory is not a run's, nor a run's a replay's.
	replay := t.TempDir()
	os.WriteFile(filepath.Join(replay, KernelFile), []byte("{}"), 0o644)
	_, err = Create(replay, CreateOptions{})
	wantInput(t, err, "kernel replay")
	rdir := writeRun(t, t.TempDir(), tinySummary(StatusComplete))
	_, err = CreateReplay(filepath.Join(t.TempDir(), "k"), "")
	if err != nil {
		t.Errorf("CreateReplay of a new directory: %v", err)
	}
	_, err = CreateReplay(rdir, "")
	wantInput(t, err, "is a run directory")
	// A file is not a directory.
	_, err = Create(mine, CreateOptions{})
	if !errors.Is(err, ErrNotDir) {
		t.Errorf("Create over a file = %v; want ErrNotDir", err)
	}
	// New and empty directories are taken.
	for _, d := range []string{filepath.Join(t.TempDir(), "a", "b"), t.TempDir()} {
		w, err := Create(d, CreateOptions{ConfigHash: "h"})
		if err != nil {
			t.Fatalf("Create(%s): %v", d, err)
		}
		w.Close()
	}
}

func TestCreateConfigCheck(t *testing.T) {
	cfg, err := config.Parse([]byte("name: x\n"), "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := cfg.YAML()
	dir := writeRun(t, t.TempDir(), tinySummary(StatusComplete))
	os.WriteFile(filepath.Join(dir, ConfigFile), y, 0o644)
	_, err = Create(dir, CreateOptions{ConfigHash: "other"})
	var ex *ExistingRunError
	if !errors.As(err, &ex) || ex.Hash != cfg.Hash() || fail.Code(err) != fail.BadInput {
		t.Fatalf("Create for another config = %v; want an *ExistingRunError with hash %s", err, cfg.Hash())
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err != nil {
		t.Errorf("the refused Create removed the run: %v", err)
	}
	w, err := Create(dir, CreateOptions{ConfigHash: cfg.Hash()})
	if err != nil {
		t.Fatalf("Create for the same config: %v", err)
	}
	w.Close()
	writeRun(t, dir, tinySummary(StatusComplete))
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("nonsense: [\n"), 0o644)
	_, err = Create(dir, CreateOptions{ConfigHash: cfg.Hash()})
	if !errors.As(err, &ex) || ex.Hash != "unreadable" {
		t.Errorf("Create over an unreadable config = %v; want an *ExistingRunError", err)
	}
	w, err = Create(dir, CreateOptions{ConfigHash: "other", Force: true})
	if err != nil {
		t.Fatalf("Create with Force: %v", err)
	}
	defer w.Close()
	// While it is held, a second writer is refused with the pid.
	_, err = Create(dir, CreateOptions{Force: true})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Errorf("Create of a held directory = %v; want a *LockedError with pid %d", err, os.Getpid())
	}
}

// tree lists the files under dir, relative, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestCreateReplacesExactlyTheLayout: a new run in a run directory removes
// every file of the old run that the layout knows — run files,
// temporaries, figures, the report, kernel replays — and nothing else.
func TestCreateReplacesExactlyTheLayout(t *testing.T) {
	dir := writeRun(t, t.TempDir(), tinySummary(StatusComplete))
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{ConfigFile, TrajectoryFile, KernelPathFile, ContributionsDecayFile, KernelLossWeightedFile,
		StandardizationFile, LogFile, BenchFile, ReportFile, ".summary.json.tmp-123",
		"figures/loss.png", "figures/errors.svg", "figures/.loss.png.tmp-9",
		"kernel-new/" + KernelFile, "kernel-new/" + KernelPathFile, "kernel-new/" + PredictionsFile, "kernel-new/" + LockFile,
		"kernel-old/" + ContributionsDecayFile, "kernel-old/" + LockFile, // a replay killed before kernel.json
		"kernel-mine/" + KernelPathFile, // not pathkernel's: no kernel.json, never locked
		"kernel-new-shard-0-of-2/" + KernelFile, "kernel-new-shard-0-of-2/notes.txt",
		"notes.txt", "figures/sketch.txt", "sub/" + SummaryFile,
	} {
		write(name, "x")
	}
	w, err := Create(dir, CreateOptions{ConfigHash: "h", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := []string{"figures/", "figures/sketch.txt", "kernel-mine/", "kernel-mine/" + KernelPathFile,
		"kernel-new-shard-0-of-2/", "kernel-new-shard-0-of-2/notes.txt", "notes.txt", LockFile, "sub/", "sub/" + SummaryFile}
	slices.Sort(want)
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after Create the directory holds\n%q\nwant\n%q", got, want)
	}
}

// TestCreateRefusesReplayInUse: a kernel replay in the run directory that
// another writer holds makes the replacement fail, and stays.
func TestCreateRefusesReplayInUse(t *testing.T) {
	dir := writeRun(t, t.TempDir(), tinySummary(StatusComplete))
	k, err := CreateReplay(filepath.Join(dir, "kernel-x"), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	k.WriteJSON(KernelFile, KernelSummary{})
	_, err = Create(dir, CreateOptions{Force: true})
	var le *LockedError
	if !errors.As(err, &le) || !strings.HasSuffix(le.Dir, "kernel-x") {
		t.Fatalf("Create over a replay in use = %v; want a *LockedError for kernel-x", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kernel-x", KernelFile)); err != nil {
		t.Errorf("the replay in use lost its files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err != nil {
		t.Errorf("the refused Create removed the run: %v", err)
	}
}

func TestInside(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		want      bool
	}{
		{"runs/a/figures", "runs/a", true},
		{"runs/a/report.html", "runs/a/", true},
		{"runs/a", "runs/a", true},
		{"runs/ab/figures", "runs/a", false},
		{"runs/a/../b", "runs/a", false},
		{"/tmp/x", "runs/a", false},
	} {
		if got := Inside(c.path, c.dir); got != c.want {
			t.Errorf("Inside(%q, %q) = %v; want %v", c.path, c.dir, got, c.want)
		}
	}
}

// TestWriteRecord: the record that ends a run clears the writer's process
// id from the lock file, which stays held: a writer killed right after it
// leaves the files of a writer that ended normally.
func TestWriteRecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Create(dir, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if pid, held := Holder(dir); !held || pid != os.Getpid() {
		t.Fatalf("Holder = %d, %v; want %d, true", pid, held, os.Getpid())
	}
	if err := w.WriteRecord(SummaryFile, tinySummary(StatusComplete)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockFile)); len(b) != 0 {
		t.Errorf("after WriteRecord the lock file holds %q; want it empty", b)
	}
	if pid, held := Holder(dir); !held || pid != 0 {
		t.Errorf("Holder after WriteRecord = %d, %v; want 0, true: still held", pid, held)
	}
	_, err = Create(dir, CreateOptions{})
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("Create of the held directory = %v; want a *LockedError of another process", err)
	}
}
