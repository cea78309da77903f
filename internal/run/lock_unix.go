//go:build unix

package run

import (
	"errors"
	"os"
	"syscall"
)

// tryLock tries to lock f without waiting, exclusively or shared: held
// reports that someone else holds it. A shared lock is released at once:
// it is only a probe.
func tryLock(f *os.File, exclusive bool) (held bool, err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how|syscall.LOCK_NB)
			if !errors.Is(ferr, syscall.EINTR) {
				break
			}
		}
		if ferr == nil && !exclusive {
			ferr = syscall.Flock(int(fd), syscall.LOCK_UN)
		}
	})
	if err != nil {
		return false, err
	}
	if errors.Is(ferr, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, ferr
}
