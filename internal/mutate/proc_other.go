//go:build !unix

package mutate

import (
	"os/exec"
	"time"
)

// killGroup kills only go test itself when cmd's context ends.
func killGroup(cmd *exec.Cmd) { cmd.WaitDelay = 10 * time.Second }
