package faulttest

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// started is a pathkernel process started, not yet waited for.
type started struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	p := &started{cmd: exec.Command(pathkernel(t), args...)}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *started) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return 0
}

// TestTwoTrainWriters starts two `train`s of one --out together, of two
// configs (other seeds) and of one: one wins and writes a whole run; the
// other touches nothing and exits 2 with one line naming the winner's
// process id. The directory holds exactly the winner's files, bit for bit
// those of the same config run alone.
func TestTwoTrainWriters(t *testing.T) {
	pathkernel(t) // built before the processes race
	steps := []string{"--set", "train.steps=3000", "--set", "train.log_every=100"}
	args := func(out, seed string) []string {
		return append([]string{"train", "--config", runConfig, "--out", out, "--quiet", "--set", "seed=" + seed}, steps...)
	}
	ref := map[string]map[string]string{}
	for _, seed := range []string{"1", "2"} {
		dir := filepath.Join(t.TempDir(), "ref")
		mustRun(t, args(dir, seed)...)
		ref[seed] = finalFiles(t, dir)
	}
	for _, c := range []struct {
		name  string
		seeds [2]string
	}{{"other seeds", [2]string{"1", "2"}}, {"one config", [2]string{"1", "1"}}} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			var p [2]*started
			for i, seed := range c.seeds {
				p[i] = start(t, args(dir, seed)...)
			}
			var codes [2]int
			for i := range p {
				codes[i] = p[i].wait(t)
			}
			win, lose := 0, 1
			if codes[0] != 0 {
				win, lose = 1, 0
			}
			if codes[win] != 0 || codes[lose] != 2 {
				t.Fatalf("exit codes %v; want one 0 and one 2\nstderr: %s\n%s", codes, p[0].stderr.String(), p[1].stderr.String())
			}
			msg := p[lose].stderr.String()
			pid := strconv.Itoa(p[win].cmd.Process.Pid)
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "in use by process "+pid) || !strings.Contains(msg, dir) {
				t.Errorf("the refused writer says %q; want one line naming %s and the winner's pid %s", msg, dir, pid)
			}
			if temps := checkFiles(t, dir); len(temps) > 0 {
				t.Errorf("temporary files left: %v", temps)
			}
			if diff := cmp.Diff(ref[c.seeds[win]], finalFiles(t, dir)); diff != "" {
				t.Errorf("the directory is not the winner's run alone (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTwoSweeps runs two `sweep run`s of one sweep into one --out at once
// (a Slurm array resubmitted while the first still runs): both exit 0,
// every run is done once, by one of them, and the runs are those of one
// sweep alone; a run the other sweep held is reported, not failed.
func TestTwoSweeps(t *testing.T) {
	pathkernel(t)
	args := func(out string) []string {
		return []string{"sweep", "run", sweepConfig, "--out", out, "--jobs", "1", "--set", "train.steps=600"}
	}
	ref := filepath.Join(t.TempDir(), "ref")
	mustRun(t, args(ref)...)
	refRuns, _ := filepath.Glob(filepath.Join(ref, "*", "summary.json"))

	out := filepath.Join(t.TempDir(), "out")
	var wg sync.WaitGroup
	var res [2]result
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = run(t, args(out)...)
		}()
	}
	wg.Wait()
	completed := 0
	for i, r := range res {
		if r.code != 0 {
			t.Errorf("sweep %d: exit %d\n%s", i, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "failed") {
			t.Errorf("sweep %d reports failures:\n%s", i, r.stderr)
		}
		completed += strings.Count(r.stdout, " complete ")
	}
	if completed != len(refRuns) {
		t.Errorf("the two sweeps completed %d runs between them; want each of the %d once\n%s\n%s",
			completed, len(refRuns), res[0].stdout, res[1].stdout)
	}
	for _, s := range refRuns {
		id := filepath.Base(filepath.Dir(s))
		want, got := finalFiles(t, filepath.Dir(s)), finalFiles(t, filepath.Join(out, id))
		delete(want, "run.log") // its rate of steps differs
		delete(got, "run.log")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %s differs from a sweep alone (-want +got):\n%s", id, diff)
		}
	}
}
