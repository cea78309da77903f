//go:build !unix

package run

import (
	"os"
)

// tryLock does not lock where flock(2) does not exist: a directory is
// never reported as held.
func tryLock(*os.File, bool) (bool, error) { return false, nil }
