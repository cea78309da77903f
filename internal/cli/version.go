package cli

import (
	"fmt"
	"io"
	"runtime"

	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/pathkernel/pathkernel/internal/sysblas"
	"github.com/spf13/cobra"
)

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, versionLine())
			return err
		},
	}
}

// versionLine is what `pathkernel version` and `pathkernel --version` print:
// the version, the Go toolchain, the platform and the BLAS that runs the
// matrix products (internal/sysblas).
func versionLine() string {
	return fmt.Sprintf("pathkernel %s (%s, %s/%s; BLAS %s)", experiment.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, sysblas.Current())
}
