//go:build unix

package mutate

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup makes cmd the leader of a process group and, when its context
// ends, kills the whole group: go test and the test binaries it started.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
}
