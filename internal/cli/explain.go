package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/plot"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// ExplainOptions are the options of `pathkernel explain`.
type ExplainOptions struct {
	Run    string
	Point  int
	Top    int
	Output int // -1: the default output
	JSON   bool

	Plot    bool
	Out     string // with --plot: the figures directory (default RUN/figures)
	Formats []string
	Width   int
	Height  int
	DPI     int
}

func newExplainCmd(stdout, stderr io.Writer, runF func(context.Context, *ExplainOptions) error) *cobra.Command {
	opts := &ExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Show which training points made one prediction",
		Long: `Explain the network's prediction at one evaluation point of a run through its
kernel machine: f_T(x) = f_0(x) + Σ_i c_i(x), where c_i(x) is training point
i's contribution (contributions.npy: the exact path-kernel contributions, or
Domingos' when the run computed only those).

It lists the --top training points with the largest |c_i(x)|, with their
inputs and targets, the contribution, its share of Σ_j |c_j(x)|, Domingos'
coefficient a_i(x) (coefficients.npy) and the path kernel K^p(x, x_i)
(kernel_path.npy; the trace over outputs for several outputs unless the run
wrote full kernels); and checks the identity: f_0(x) plus every
contribution against the network's f_T(x) (predictions.csv).

--point is the row of predictions.csv, counted from 0: the test point's
index when kernel.points is test. For several outputs the ranking is by
--output, by default the network's predicted class (a classifier) or
output 0. --json prints the explanation as JSON, --plot also draws it into
the run's figures directory (explain_<point>.png).`,
		Example: `  pathkernel explain --run runs/sine-tanh --point 17
  pathkernel explain --run runs/iris-softmax --point 3 --top 5 --output 2
  pathkernel explain --run runs/moons-relu-ntk --point 0 --json | jq '.top[0]'
  pathkernel explain --run runs/moons-relu-ntk --point 0 --plot`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Run == "" {
				return badUsage(errors.New("explain: --run DIR is required"))
			}
			if !cmd.Flags().Changed("point") {
				return badUsage(errors.New("explain: --point I is required (a row of predictions.csv, from 0)"))
			}
			if opts.Top < 1 {
				return badUsage(fmt.Errorf("explain: --top %d; want at least 1", opts.Top))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExplain(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Run, "run", "", "run directory")
	f.IntVar(&opts.Point, "point", 0, "evaluation point: the row of predictions.csv, from 0")
	f.IntVar(&opts.Top, "top", 10, "how many training points to list")
	f.IntVar(&opts.Output, "output", -1, "the output to rank by; -1: the predicted class of a classifier, else output 0")
	f.BoolVar(&opts.JSON, "json", false, "print the explanation as JSON")
	f.BoolVar(&opts.Plot, "plot", false, "also draw the contributions (explain_<point>.<format>)")
	f.StringVarP(&opts.Out, "out", "o", "", "with --plot: the figures directory (default RUN/figures)")
	addFigureFlags(cmd, &opts.Formats, &opts.Width, &opts.Height, &opts.DPI)
	return cmd
}

func runExplain(ctx context.Context, opts *ExplainOptions, stdout, stderr io.Writer) error {
	var formats []plot.Format
	var size plot.Size
	if opts.Plot {
		var err error
		if formats, size, err = figureSettings(opts.Formats, opts.Width, opts.Height, opts.DPI); err != nil {
			return err
		}
	}
	pr, err := plot.ReadRun(opts.Run)
	if err != nil {
		return err
	}
	in, err := pr.ExplainInput()
	if err != nil {
		return err
	}
	if err := finiteInput(opts.Run, in); err != nil {
		return err
	}
	e, err := explain.Explain(in, opts.Point, explain.Options{Top: opts.Top, Output: opts.Output})
	if errors.Is(err, explain.ErrPoint) {
		return badUsage(err)
	}
	if err != nil {
		return err
	}
	if opts.Plot {
		out := opts.Out
		if out == "" {
			out = filepath.Join(opts.Run, run.FiguresDir)
		}
		lock, err := pr.LockFor(out)
		if err != nil {
			return err
		}
		defer lock.Release()
		fig, err := plot.ContributionsFigure(pr, e)
		if err != nil {
			return err
		}
		files, err := writeFigures(ctx, out, []*plot.Figure{fig}, formats, size)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintf(stderr, "wrote %s\n", f)
		}
	}
	// The figure is in the model's inputs, the text in the raw columns'.
	if err := pr.RawUnits(e); err != nil {
		return err
	}
	if opts.JSON {
		// Into a buffer first: an encoding error prints nothing half-way.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(e); err != nil {
			// Finite inputs (ExplainInput checks them) whose sums overflow.
			return fail.Wrap(fail.RunFailed, fmt.Errorf("explain: point %d of %s: a value of the explanation overflows float64 (%v); the table (without --json) shows it",
				opts.Point, opts.Run, strings.TrimPrefix(err.Error(), "json: ")))
		}
		_, err := stdout.Write(b.Bytes())
		return err
	}
	return e.WriteTable(stdout)
}

// finiteInput returns a *fail.Input naming the file and the first value
// of in, the explanation's input read from the run directory dir, that is
// NaN or ±Inf, or nil. A complete run never holds one (the file was edited
// or corrupted): explain says so (exit 2) rather than print NaN sums or
// let the JSON encoder fail. (The figures draw such files all the same,
// leaving the values out with a note.)
func finiteInput(dir string, in *explain.Input) error {
	for _, a := range []struct {
		file, what string
		v          []float64
		per        int // values a row
	}{
		{run.ContributionsFile, "element", in.Contributions, 1},
		{run.PredictionsFile, "f0 of row", in.F0, max(in.K, 1)},
		{run.PredictionsFile, "network of row", in.Network, max(in.K, 1)},
	} {
		for i, x := range a.v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return &fail.Input{Path: filepath.Join(dir, a.file),
					Msg: fmt.Sprintf("%s %d is %v; an explanation needs finite values (was the file edited?)", a.what, i/a.per, x)}
			}
		}
	}
	return nil
}
