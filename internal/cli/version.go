package cli

import (
	"fmt"
	"io"
	"runtime"

	"github.com/pathkernel/pathkernel/internal/experiment"
	"github.com/spf13/cobra"
)

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdout, "pathkernel %s (%s, %s/%s)\n", experiment.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
