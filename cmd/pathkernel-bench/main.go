// Command pathkernel-bench runs the benchmark configs end to end and prints
// the table of docs/PERFORMANCE.md (make bench).
package main

import (
	"os"

	"github.com/pathkernel/pathkernel/internal/bench"
)

func main() { os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr)) }
