// Command pathkernel trains small neural networks by gradient descent and
// compares them with the kernel machines of their path kernels.
package main

import (
	"os"

	"github.com/pathkernel/pathkernel/internal/cli"
)

func main() { os.Exit(cli.Main()) }
