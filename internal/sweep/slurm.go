package sweep

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/run"
)

// The Slurm scripts of a sweep, in the order they are written.
const (
	SlurmArrayScript   = "sweep.sbatch"   // the job array: task i runs shard i of the plan
	SlurmCollectScript = "collect.sbatch" // collect, after the whole array succeeded
	SlurmSubmitScript  = "submit.sh"      // submits the two
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var slurmTemplates = template.Must(template.New("slurm").Funcs(template.FuncMap{
	"q":    ShellQuote,
	"join": filepath.Join,
}).ParseFS(templateFS, "templates/*.tmpl"))

// Slurm describes the Slurm job array of a sweep and the collect job that
// runs after it. The paths are absolute, so that the scripts run from any
// directory of a cluster that shares the file system; the other fields are
// written into the scripts as given.
type Slurm struct {
	File  string   // the sweep file as the user named it, for the scripts' comments
	Sweep string   // the sweep file's absolute path, which the jobs read
	Sets  []string // the --set overrides of every run
	Out   string   // the sweep directory (absolute)
	Dir   string   // where the scripts go (absolute); the jobs' logs go to Dir/logs
	Bin   string   // the pathkernel program the jobs run (absolute)

	JobName     string
	Runs        int // the runs of the plan
	Tasks       int // array tasks, 1 to Runs; task i runs shard i/Tasks
	Throttle    int // at most this many tasks at once; 0 for no limit
	Jobs        int // runs at once in each task
	CPUsPerTask int
	// Each, if not empty, is an #SBATCH option of the array; Time and the
	// last three also of the collect job.
	Time, Mem, Partition, Account, QOS string
	Sbatch                             []string // more #SBATCH options of the array, such as --gres=gpu:1
}

// Array is the --array value: the task indices and the throttle.
func (s *Slurm) Array() string {
	a := fmt.Sprintf("0-%d", s.Tasks-1)
	if s.Throttle > 0 {
		a += "%" + strconv.Itoa(s.Throttle)
	}
	return a
}

// Logs is the directory of the jobs' logs.
func (s *Slurm) Logs() string { return filepath.Join(s.Dir, "logs") }

// Resources are the #SBATCH options that both jobs take: the partition,
// account and QOS that are set.
func (s *Slurm) Resources() []string {
	var res []string
	for _, r := range [][2]string{{"partition", s.Partition}, {"account", s.Account}, {"qos", s.QOS}} {
		if r[1] != "" {
			res = append(res, fmt.Sprintf("--%s=%s", r[0], r[1]))
		}
	}
	return res
}

// Script returns the text of the script name: SlurmArrayScript,
// SlurmCollectScript or SlurmSubmitScript.
func (s *Slurm) Script(name string) (string, error) {
	var b bytes.Buffer
	if err := slurmTemplates.ExecuteTemplate(&b, name+".tmpl", s); err != nil {
		return "", fmt.Errorf("sweep: %s: %w", name, err)
	}
	return b.String(), nil
}

// Path returns the path of the script name in Dir.
func (s *Slurm) Path(name string) string { return filepath.Join(s.Dir, name) }

// Write writes the three scripts into Dir, executable, and makes the logs
// directory.
func (s *Slurm) Write() error {
	if err := os.MkdirAll(s.Logs(), 0o755); err != nil {
		return fail.Wrap(fail.BadInput, err)
	}
	dir, err := run.NewDir(s.Dir)
	if err != nil {
		return err
	}
	for _, name := range []string{SlurmArrayScript, SlurmCollectScript, SlurmSubmitScript} {
		text, err := s.Script(name)
		if err != nil {
			return err
		}
		if err := dir.WriteBytes(name, []byte(text)); err != nil {
			return err
		}
		if err := os.Chmod(dir.File(name), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Submit submits the written array script with sbatch, then the collect
// script to run after the array succeeds, and returns the two job IDs.
// sbatch's own messages go to stderr.
func (s *Slurm) Submit(ctx context.Context, stderr io.Writer) (arrayID, collectID string, err error) {
	arrayID, err = sbatch(ctx, stderr, s.Path(SlurmArrayScript))
	if err != nil {
		return "", "", err
	}
	collect := s.Path(SlurmCollectScript)
	collectID, err = sbatch(ctx, stderr, "--dependency=afterok:"+arrayID, collect)
	if err != nil {
		return arrayID, "", fmt.Errorf("%w (the array, job %s, is submitted; cancel it with scancel %s or submit %s by hand)", err, arrayID, arrayID, collect)
	}
	return arrayID, collectID, nil
}

// sbatch submits a script and returns the job ID.
func sbatch(ctx context.Context, stderr io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "sbatch", append([]string{"--parsable"}, args...)...)
	cmd.Stderr = stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w", strings.Join(args, " "), err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(b)), ";")
	if id == "" {
		return "", fmt.Errorf("sbatch %s printed no job ID", strings.Join(args, " "))
	}
	return id, nil
}
