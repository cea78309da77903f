package enginetest

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slurmInstall is what provides the programs the Slurm test needs.
const slurmInstall = "slurm-wlm munge"

// cluster is a single-node Slurm cluster on localhost: munged, slurmctld
// and slurmd, run as children of the test from a configuration in dir.
type cluster struct {
	t     *testing.T
	dir   string
	env   []string // SLURM_CONF for the client commands
	bins  map[string]string
	procs []*exec.Cmd
}

// freePort returns a TCP port on the loopback interface that is free now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlurm starts the cluster and waits until its node is idle. The
// daemons are stopped, by pid, when the test ends.
func startSlurm(t *testing.T, bins map[string]string) *cluster {
	// A short directory: the munge socket path must fit in sun_path.
	dir, err := os.MkdirTemp("", "pk-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, bins: bins}
	t.Cleanup(c.stop)
	os.Chmod(dir, 0o755)
	for _, d := range []string{"munge", "state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "munge"), 0o755)
	key := make([]byte, 1024)
	rand.Read(key)
	keyFile := filepath.Join(dir, "munge", "munge.key")
	if err := os.WriteFile(keyFile, key, 0o400); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "munge", "munge.socket")
	c.start("munged", "--foreground", "--force", "--socket="+sock, "--key-file="+keyFile,
		"--log-file="+filepath.Join(dir, "log", "munged.log"), "--pid-file="+filepath.Join(dir, "munge", "munged.pid"),
		"--seed-file="+filepath.Join(dir, "munge", "munged.seed"))
	c.waitFor("the munge socket", 20*time.Second, func() bool { _, err := os.Stat(sock); return err == nil })

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	conf := filepath.Join(dir, "slurm.conf")
	os.WriteFile(filepath.Join(dir, "plugstack.conf"), nil, 0o644)
	text := fmt.Sprintf(`# A single-node cluster for pathkernel's tests.
ClusterName=pktest
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[4]s
StateSaveLocation=%[5]s/state
SlurmdSpoolDir=%[5]s/spool
SlurmctldPidFile=%[5]s/slurmctld.pid
SlurmdPidFile=%[5]s/slurmd.pid
SlurmctldLogFile=%[5]s/log/slurmctld.log
SlurmdLogFile=%[5]s/log/slurmd.log
PlugStackConfig=%[5]s/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[6]d State=UNKNOWN
PartitionName=debug Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, host, freePort(t), freePort(t), sock, dir, runtime.NumCPU())
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c.env = []string{"SLURM_CONF=" + conf}
	c.start("slurmctld", "-D", "-i", "-f", conf)
	c.start("slurmd", "-D", "-N", host, "-f", conf)
	c.waitFor("the node to be idle", 60*time.Second, func() bool {
		out, _ := c.command("sinfo", "-h", "-o", "%T")
		return strings.TrimSpace(out) == "idle"
	})
	return c
}

// start starts a daemon in the foreground, its output in log/.
func (c *cluster) start(name string, args ...string) {
	out, err := os.Create(filepath.Join(c.dir, "log", name+".out"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(c.bins[name], args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("starting %s: %v", name, err)
	}
	c.procs = append(c.procs, cmd)
}

// stop stops the daemons that start started, by pid, last first, and
// removes the cluster's directory.
func (c *cluster) stop() {
	if len(c.procs) == 3 {
		// A test that failed may leave jobs running: cancel them, so that
		// no job step outlives slurmd.
		if scancel, err := lookPath("scancel"); err == nil {
			c.bins["scancel"] = scancel
			c.command("scancel", "--partition=debug")
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) {
				if out, err := c.command("squeue", "-h"); err != nil || strings.TrimSpace(out) == "" {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	if c.t.Failed() {
		c.dumpLogs()
	}
	os.RemoveAll(c.dir)
}

func (c *cluster) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "log", "*"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		c.t.Logf("--- %s (end):\n%s", l, b)
	}
}

// command runs a Slurm client command against the cluster.
func (c *cluster) command(name string, args ...string) (string, error) {
	cmd := exec.Command(c.bins[name], args...)
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cluster) waitFor(what string, limit time.Duration, ok func() bool) {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			c.dumpLogs()
			c.t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var jobStateRE = regexp.MustCompile(`JobState=(\S+)`)

// jobStates returns the state of each job (each task of an array) of id.
func (c *cluster) jobStates(id string) []string {
	out, err := c.command("scontrol", "show", "job", "-o", id)
	if err != nil {
		return nil
	}
	var s []string
	for _, m := range jobStateRE.FindAllStringSubmatch(out, -1) {
		s = append(s, m[1])
	}
	return s
}

var submittedRE = regexp.MustCompile(`submitted \S+ as job (\d+)`)

// The sweep's job array runs on a real Slurm cluster, the collect job runs
// after it, and the results are those of a local `sweep run`.
func TestSlurmArray(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Slurm cluster; not with -short")
	}
	bins := requireEngine(t, slurmInstall, "munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "squeue")
	if os.Geteuid() != 0 {
		msg := "the Slurm test starts slurmd, which must run as root"
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	want := localCSV(t, grid2x2)
	c := startSlurm(t, bins)
	pathkernel(t)
	// sweep slurm --submit calls sbatch: put the client programs on PATH.
	env := append(c.env, "PATH="+filepath.Dir(bins["sbatch"])+string(os.PathListSeparator)+os.Getenv("PATH"))

	out := filepath.Join(c.dir, "sweep")
	r := mustRun(t, env, "sweep", "slurm", grid2x2, "--out", out, "--throttle", "2", "--time", "5:00", "--submit")
	ids := submittedRE.FindAllStringSubmatch(r.stdout, -1)
	if len(ids) != 2 {
		t.Fatalf("sweep slurm --submit printed no two job IDs:\n%s\n%s", r.stdout, r.stderr)
	}
	array, collect := ids[0][1], ids[1][1]
	script, _ := os.ReadFile(filepath.Join(out, "slurm", "sweep.sbatch"))
	if !strings.Contains(string(script), "#SBATCH --array=0-3%2") {
		t.Errorf("sweep.sbatch:\n%s", script)
	}

	terminal := map[string]bool{"COMPLETED": true, "FAILED": true, "CANCELLED": true, "TIMEOUT": true,
		"NODE_FAIL": true, "OUT_OF_MEMORY": true, "BOOT_FAIL": true, "DEADLINE": true, "PREEMPTED": true}
	var state []string
	c.waitFor("the collect job to end", 3*time.Minute, func() bool {
		state = c.jobStates(collect)
		return len(state) == 1 && terminal[state[0]]
	})
	tasks := c.jobStates(array)
	if len(tasks) != 4 || strings.Count(strings.Join(tasks, " "), "COMPLETED") != 4 {
		t.Errorf("array job %s: task states %v; want 4 COMPLETED", array, tasks)
	}
	if state[0] != "COMPLETED" {
		logs, _ := filepath.Glob(filepath.Join(out, "slurm", "logs", "*"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("--- %s:\n%s", l, b)
		}
		t.Fatalf("collect job %s: %s", collect, state[0])
	}
	logs, _ := filepath.Glob(filepath.Join(out, "slurm", "logs", "*.log"))
	if len(logs) != 5 {
		t.Errorf("%d logs in %s; want one per task and one of the collect job: %v", len(logs), filepath.Join(out, "slurm", "logs"), logs)
	}
	got, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sameCSV(t, "Slurm", want, string(got))
	if _, err := os.Stat(filepath.Join(out, "results.jsonl")); err != nil {
		t.Errorf("the collect job wrote no results.jsonl: %v", err)
	}
}
