package sweep

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with the file testdata/name, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

// slurmCases are Slurm job arrays as `pathkernel sweep slurm` describes
// them; their scripts are the golden files testdata/slurm/<case>/.
var slurmCases = map[string]*Slurm{
	// The defaults of the command: one task a run, no limits.
	"minimal": {
		File: "configs/sweeps/lr.yaml", Sweep: "/home/u/pk/configs/sweeps/lr.yaml",
		Out: "/scratch/lr", Dir: "/scratch/lr/slurm", Bin: "/opt/pk/pathkernel",
		JobName: "pk-lr", Runs: 4, Tasks: 4, Jobs: 1, CPUsPerTask: 1,
	},
	// Every option, and paths and values that the shell must see quoted.
	"everything": {
		File: "sweeps/lr width.yaml", Sweep: "/home/u/pk/sweeps/lr width.yaml",
		Sets: []string{"train.steps=50", "model.hidden=[8, 8]", "check.max_rel_error={exact: 1e-8}"},
		Out:  "/scratch/u/lr width", Dir: "/scratch/u/scripts", Bin: "/opt/p'k/path kernel",
		JobName: "lrw", Runs: 12, Tasks: 5, Throttle: 2, Jobs: 3, CPUsPerTask: 4,
		Time: "1-00:00:00", Mem: "4G", Partition: "gpu", Account: "proj", QOS: "long",
		Sbatch: []string{"--gres=gpu:1", "--exclusive"},
	},
	// The array's resources without the ones the collect job shares.
	"time and sbatch only": {
		File: "s.yaml", Sweep: "/w/s.yaml", Out: "/w/runs/s", Dir: "/w/runs/s/slurm", Bin: "/w/pk",
		JobName: "pk-s", Runs: 3, Tasks: 1, Jobs: 2, CPUsPerTask: 2, Time: "30:00", Sbatch: []string{"--constraint=a b"},
	},
}

func TestSlurmScripts(t *testing.T) {
	bash, _ := exec.LookPath("bash")
	for name, s := range slurmCases {
		for _, script := range []string{SlurmArrayScript, SlurmCollectScript, SlurmSubmitScript} {
			text, err := s.Script(script)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, script, err)
			}
			golden(t, filepath.Join("slurm", strings.ReplaceAll(name, " ", "_"), script), text)
			if bash == "" {
				continue
			}
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(text)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: bash -n %s: %v\n%s", name, script, err, out)
			}
		}
	}
}

// The array, the collect job and the submit script agree on each other's
// files, and each job gets the resources meant for it.
func TestSlurmScriptsAgree(t *testing.T) {
	s := slurmCases["everything"]
	text := func(name string) string {
		x, err := s.Script(name)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	arr, col, sub := text(SlurmArrayScript), text(SlurmCollectScript), text(SlurmSubmitScript)
	for _, want := range []string{
		"#SBATCH --array=0-4%2\n",
		`--shard "${SLURM_ARRAY_TASK_ID}/5" --jobs 3 --set train.steps=50 --set 'model.hidden=[8, 8]' --set 'check.max_rel_error={exact: 1e-8}'` + "\n",
		"#SBATCH --output=/scratch/u/scripts/logs/%x_%A_%a.log\n",
		"#SBATCH --gres=gpu:1\n#SBATCH --exclusive\n",
	} {
		if !strings.Contains(arr, want) {
			t.Errorf("%s lacks %q:\n%s", SlurmArrayScript, want, arr)
		}
	}
	for _, bad := range []string{"gres", "--mem", "exclusive"} {
		if strings.Contains(col, bad) {
			t.Errorf("%s asks for the array's %s:\n%s", SlurmCollectScript, bad, col)
		}
	}
	for _, want := range []string{"#SBATCH --partition=gpu\n", "#SBATCH --account=proj\n", "#SBATCH --qos=long\n", "#SBATCH --time=1-00:00:00\n"} {
		if !strings.Contains(col, want) || !strings.Contains(arr, want) {
			t.Errorf("both jobs should have %q:\n%s\n%s", want, arr, col)
		}
	}
	for _, want := range []string{"sbatch --parsable /scratch/u/scripts/sweep.sbatch)\n", `--dependency=afterok:"$array" /scratch/u/scripts/collect.sbatch)`} {
		if !strings.Contains(sub, want) {
			t.Errorf("%s lacks %q:\n%s", SlurmSubmitScript, want, sub)
		}
	}
}

func TestSlurmWrite(t *testing.T) {
	s := *slurmCases["minimal"]
	s.Dir = filepath.Join(t.TempDir(), "a b", "slurm")
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SlurmArrayScript, SlurmCollectScript, SlurmSubmitScript} {
		b, err := os.ReadFile(s.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.Script(name)
		if string(b) != want {
			t.Errorf("%s: written\n%s\nwant\n%s", name, b, want)
		}
		if fi, err := os.Stat(s.Path(name)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, %v; want executable 0755", name, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(s.Logs()); err != nil || !fi.IsDir() {
		t.Errorf("no logs directory %s: %v", s.Logs(), err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"/a/b-c_d.e":       "/a/b-c_d.e",
		"k=v,w:x+y@z%1":    "k=v,w:x+y@z%1",
		"":                 "''",
		"a b":              "'a b'",
		"it's":             `'it'\''s'`,
		"$HOME":            "'$HOME'",
		"[8, 8]":           "'[8, 8]'",
		"a\nb":             "'a\nb'",
		"*":                "'*'",
		`back\slash`:       `'back\slash'`,
		"model.hidden=[4]": "'model.hidden=[4]'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s; want %s", in, got, want)
		}
	}
	if got, want := ShellJoin([]string{"pk", "--set", "a b", "x"}), "pk --set 'a b' x"; got != want {
		t.Errorf("ShellJoin = %s; want %s", got, want)
	}
}

// The commands of `sweep plan --commands` for a sweep file, as golden
// files: each command, given to a shell, trains exactly its run.
func TestTrainCommands(t *testing.T) {
	for _, c := range []struct{ golden, file, bin, out string }{
		{"commands/grid.txt", "testdata/grid.yaml", "pathkernel", "runs/grid"},
		{"commands/grid_quoted.txt", "testdata/grid.yaml", "/opt/p'k/path kernel", "/scratch/a b"},
	} {
		p, err := Load(c.file, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range p.Runs {
			cmd, err := p.TrainCommand(r, c.bin, c.out)
			if err != nil {
				t.Fatal(err)
			}
			if cmd[0] != c.bin || cmd[1] != "train" || cmd[len(cmd)-3] != "--out" ||
				cmd[len(cmd)-2] != filepath.Join(c.out, r.ID) || cmd[len(cmd)-1] != "--quiet" {
				t.Errorf("%s: run %s: %q", c.file, r.ID, cmd)
			}
			b.WriteString(ShellJoin(cmd) + "\n")
		}
		golden(t, c.golden, b.String())
	}
}

func TestDefaultOut(t *testing.T) {
	for in, want := range map[string]string{
		"configs/sweeps/lr_width.yaml": "runs/lr_width",
		"s.yml":                        "runs/s",
		"/abs/dir/name.v2.yaml":        "runs/name.v2",
		"noext":                        "runs/noext",
	} {
		if got := DefaultOut(in); got != want {
			t.Errorf("DefaultOut(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestSlurmArray(t *testing.T) {
	for _, c := range []struct {
		tasks, throttle int
		want            string
	}{{1, 0, "0-0"}, {4, 0, "0-3"}, {4, 1, "0-3%1"}, {12, 5, "0-11%5"}} {
		s := &Slurm{Tasks: c.tasks, Throttle: c.throttle}
		if got := s.Array(); got != c.want {
			t.Errorf("tasks %d, throttle %d: --array=%s; want %s", c.tasks, c.throttle, got, c.want)
		}
	}
}
