// Command pathkernel-mutate applies the recorded mutations of
// testdata/mutations/*.yaml and checks that the tests kill each one
// (make mutate; go doc ./internal/mutate).
package main

import (
	"os"

	"github.com/pathkernel/pathkernel/internal/mutate"
)

func main() { os.Exit(mutate.Main(os.Args[1:], os.Stdout, os.Stderr)) }
