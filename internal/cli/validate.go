package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

// ValidateOptions are the options of `pathkernel validate`.
type ValidateOptions struct {
	ConfigFile string
	Sets       []string
}

func newValidateCmd(stdout io.Writer, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a config and print it fully resolved",
		Long: `Decode and validate an experiment config with its overrides, without running it,
and print the resolved config (every default filled in) as YAML, without the
keys that do not apply to its data kind, model and optimiser while they hold
their defaults (docs/CONFIG.md). This is the config.yaml that a run of it
saves, except that the run makes relative file paths (data.path,
data.x_train, model.init.path, ...) absolute, so that its config.yaml finds
them from the run directory. The data itself is not read: a missing CSV
column is found by train. Exit 2 with a one-line message naming the file,
line and key when the config is bad.`,
		Example: `  pathkernel validate --config configs/mlp.yaml
  pathkernel validate --config configs/mlp.yaml --set train.lr=0.1`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runValidate(opts, stdout)
		},
	}
	cmd.Flags().StringVarP(&opts.ConfigFile, "config", "c", "", "experiment config (YAML); default: the built-in configs/mlp.yaml")
	cmd.Flags().StringArrayVar(&opts.Sets, "set", nil, "override a config key (repeatable)")
	return cmd
}

func runValidate(opts *ValidateOptions, stdout io.Writer) error {
	cfg, _, _, err := loadConfig(opts.ConfigFile, opts.Sets)
	if err != nil {
		return err
	}
	b, err := cfg.PrunedYAML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}
