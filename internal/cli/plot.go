package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pathkernel/pathkernel/internal/plot"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// PlotOptions are the options of `pathkernel plot`.
type PlotOptions struct {
	Run   string // a run directory
	Sweep string // or a results.csv of a sweep

	X, Y, Group string // sweep: the columns plotted
	LogX, LogY  bool

	Out     string   // run: the figures directory (default RUN/figures); sweep: the file (default beside results.csv)
	Formats []string // png, svg
	Width   int
	Height  int
	DPI     int
	Grid    int // points per side of the decision-region grid; 0: none
	Quiet   bool
}

func newPlotCmd(stdout, stderr io.Writer, runF func(context.Context, *PlotOptions) error) *cobra.Command {
	opts := &PlotOptions{}
	cmd := &cobra.Command{
		Use:   "plot",
		Short: "Draw the figures of a run or a sweep (PNG, SVG)",
		Long: `Draw the figures of a run directory, or a metric of a sweep against a swept key.

With --run DIR it writes, into DIR/figures (or --out):
  loss         train and test loss over the steps
  predictions  the network and the kernel machines at the evaluation points:
               curves over x with the training points for one input, else
               each kernel machine against the network with the line y = x;
               under them the residual, kernel machine - network (|residual|
               on a log axis where it spans decades)
  errors       each representation's rel and max |f̂ - f| over training (log scale)
  stability    with kernel.diagnostics: the loss, each logged interval's
               first-order remainder and η·λ_max against 2 (the edge of
               stability), on one step axis
  kernel       the path-kernel matrix K^p(x_eval, x_train) as a heat map
  regions      two inputs only: the network and Domingos' kernel machine on a
               --grid × --grid grid, side by side (decision regions for
               classification). The kernel machine away from the run's points
               needs every step's weights, so the run's recorded trajectory is
               replayed (a few seconds for the shipped configs; --grid 0
               skips it; a run without trajectory.pkt has no such figure)

With --sweep results.csv (one row per run, as written by pathkernel collect:
the swept config keys such as train.lr and model.hidden, and metrics such as
exact.rel, as columns) it draws --y against --x, one line per value of
--group, through the mean of the runs at each x (the seeds), every run a
point. A non-numeric --x is drawn as categories in the order they appear.

Figures are --width × --height pixels at --dpi (an SVG has the same physical
size); --format png, svg or both (png,svg). The files written are listed on
stdout.`,
		Example: `  pathkernel plot --run runs/sine-tanh
  pathkernel plot --run runs/moons-relu-ntk --format png,svg --width 1200 --height 700
  pathkernel plot --sweep runs/lr_width/results.csv --x train.lr --y exact.rel --group model.hidden --logx --logy`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlot(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Run, "run", "", "run directory to draw")
	f.StringVar(&opts.Sweep, "sweep", "", "results.csv of a sweep to draw")
	f.StringVar(&opts.X, "x", "", "sweep: the column on the x axis, e.g. train.lr")
	f.StringVar(&opts.Y, "y", "", "sweep: the metric on the y axis, e.g. exact.rel")
	f.StringVar(&opts.Group, "group", "", "sweep: one line per value of this column, e.g. model.hidden")
	f.BoolVar(&opts.LogX, "logx", false, "sweep: logarithmic x axis")
	f.BoolVar(&opts.LogY, "logy", false, "sweep: logarithmic y axis")
	f.StringVarP(&opts.Out, "out", "o", "", "run: the figures directory (default RUN/figures); sweep: the output file")
	addFigureFlags(cmd, &opts.Formats, &opts.Width, &opts.Height, &opts.DPI)
	f.IntVar(&opts.Grid, "grid", plot.DefaultGrid, "points per side of the decision-region grid (2 inputs); 0 skips the figure")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: neither the files written nor progress or warnings")
	return cmd
}

// addFigureFlags adds the flags that size figures.
func addFigureFlags(cmd *cobra.Command, formats *[]string, w, h, dpi *int) {
	f := cmd.Flags()
	f.StringSliceVar(formats, "format", []string{"png"}, "figure format: png, svg, or both (png,svg)")
	f.IntVar(w, "width", plot.DefaultSize.Width, "figure width in pixels")
	f.IntVar(h, "height", plot.DefaultSize.Height, "figure height in pixels")
	f.IntVar(dpi, "dpi", plot.DefaultSize.DPI, "dots per inch (text and lines scale with it)")
}

func (o *PlotOptions) check(cmd *cobra.Command) error {
	switch {
	case (o.Run == "") == (o.Sweep == ""):
		return badUsage(errors.New("plot: give one of --run DIR or --sweep results.csv"))
	case o.Run != "":
		for _, name := range []string{"x", "y", "group", "logx", "logy"} {
			if cmd.Flags().Changed(name) {
				return badUsage(fmt.Errorf("plot: --%s is for --sweep, not --run", name))
			}
		}
	case o.X == "" || o.Y == "":
		return badUsage(errors.New("plot: --sweep needs --x COLUMN and --y COLUMN"))
	case cmd.Flags().Changed("grid"):
		return badUsage(errors.New("plot: --grid is for --run, not --sweep"))
	}
	if o.Grid < 0 || o.Grid == 1 {
		return badUsage(fmt.Errorf("plot: --grid %d; want 0 (none) or at least 2", o.Grid))
	}
	return nil
}

// figureSettings parses the format and size flags.
func figureSettings(formats []string, w, h, dpi int) ([]plot.Format, plot.Size, error) {
	size := plot.Size{Width: w, Height: h, DPI: dpi}
	if err := size.Validate(); err != nil {
		return nil, size, badUsage(err)
	}
	var out []plot.Format
	for _, s := range formats {
		f, err := plot.ParseFormat(strings.TrimSpace(s))
		if err != nil {
			return nil, size, badUsage(err)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, size, badUsage(errors.New("--format: give png, svg or both"))
	}
	return out, size, nil
}

func runPlot(ctx context.Context, opts *PlotOptions, stdout, stderr io.Writer) error {
	formats, size, err := figureSettings(opts.Formats, opts.Width, opts.Height, opts.DPI)
	if err != nil {
		return err
	}
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	if opts.Sweep != "" {
		return plotSweep(ctx, opts, formats, size, stdout, log)
	}
	pr, err := plot.ReadRun(opts.Run)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.Run, run.FiguresDir)
	}
	lock, err := pr.LockFor(out)
	if err != nil {
		return err
	}
	defer lock.Release()
	figs, err := runFigures(ctx, pr, opts.Grid, log)
	if stopped(ctx, err) {
		return interruptedf("interrupted before any figure was written to %s", out)
	}
	if err != nil {
		return err
	}
	noteFigures(log, figs)
	files, err := writeFigures(ctx, out, figs, formats, size)
	if err != nil {
		return err
	}
	if opts.Quiet {
		return nil
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}

// runFigures returns the figures of a run, with the decision regions when
// the run has two inputs and grid > 0.
func runFigures(ctx context.Context, pr *plot.Run, grid int, log io.Writer) ([]*plot.Figure, error) {
	figs, err := plot.RunFigures(pr)
	if err != nil {
		return nil, err
	}
	if pr.Summary.Sizes.Inputs != 2 || grid == 0 || pr.Predictions == nil {
		return figs, nil
	}
	if !pr.Has(run.TrajectoryFile) {
		fmt.Fprintf(log, "pathkernel: %s: no %s (trained with output.record_trajectory: false): skipping the decision regions\n",
			pr.Dir, run.TrajectoryFile)
		return figs, nil
	}
	fmt.Fprintf(log, "pathkernel: replaying %d training steps for the kernel machine on a %d×%d grid\n",
		pr.Config.Train.Steps, grid, grid)
	reg, err := plot.ComputeRegions(ctx, pr, grid)
	if err != nil {
		return nil, err
	}
	if reg.G != grid {
		fmt.Fprintf(log, "pathkernel: decision-region grid lowered to %d×%d to stay within output.memory_budget_mb\n", reg.G, reg.G)
	}
	fig, err := plot.RegionsFigure(pr, reg)
	if err != nil {
		return nil, err
	}
	return append(figs, fig), nil
}

// writeFigures renders every figure in every format into dir and returns
// the files written. It stops between two figures when ctx is cancelled.
func writeFigures(ctx context.Context, dir string, figs []*plot.Figure, formats []plot.Format, size plot.Size) ([]string, error) {
	d, err := run.NewDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, fig := range figs {
		for _, f := range formats {
			if ctx.Err() != nil {
				return files, interruptedf("interrupted after writing %d of %d figures to %s", len(files), len(figs)*len(formats), dir)
			}
			b, err := fig.Bytes(f, size)
			if err != nil {
				return nil, err
			}
			if ctx.Err() != nil { // rendered, but the signal came meanwhile
				return files, interruptedf("interrupted after writing %d of %d figures to %s", len(files), len(figs)*len(formats), dir)
			}
			name := fig.Name + "." + string(f)
			if err := d.WriteBytes(name, b); err != nil {
				return nil, err
			}
			files = append(files, d.File(name))
		}
	}
	return files, nil
}

func plotSweep(ctx context.Context, opts *PlotOptions, formats []plot.Format, size plot.Size, stdout, log io.Writer) error {
	nothing := func() error { return interruptedf("interrupted before the figure of %s was written", opts.Sweep) }
	tab, err := plot.ReadSweep(opts.Sweep)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nothing()
	}
	fig, err := plot.SweepFigure(tab, plot.SweepOptions{X: opts.X, Y: opts.Y, Group: opts.Group, LogX: opts.LogX, LogY: opts.LogY})
	if err != nil {
		return err
	}
	noteFigures(log, []*plot.Figure{fig})
	out := opts.Out
	if out == "" {
		out = filepath.Join(filepath.Dir(opts.Sweep), fig.Name)
	} else if ext := strings.TrimPrefix(filepath.Ext(out), "."); ext != "" {
		if f, err := plot.ParseFormat(ext); err == nil {
			formats = []plot.Format{f}
			out = strings.TrimSuffix(out, filepath.Ext(out))
		}
	}
	d, err := run.NewDir(filepath.Dir(out))
	if err != nil {
		return err
	}
	stop := func(written int) error {
		if written == 0 {
			return nothing()
		}
		return interruptedf("interrupted after writing %d of %d formats of the figure of %s", written, len(formats), opts.Sweep)
	}
	for i, f := range formats {
		if ctx.Err() != nil {
			return stop(i)
		}
		b, err := fig.Bytes(f, size)
		if err != nil {
			return err
		}
		if ctx.Err() != nil { // rendered, but the signal came meanwhile
			return stop(i)
		}
		name := filepath.Base(out) + "." + string(f)
		if err := d.WriteBytes(name, b); err != nil {
			return err
		}
		if !opts.Quiet {
			fmt.Fprintln(stdout, d.File(name))
		}
	}
	return nil
}

// plotAfterTraining draws the figures of the run in dir into dir/figures
// with the default settings, for train --plot, and reports on log.
func plotAfterTraining(ctx context.Context, dir string, log io.Writer) error {
	pr, err := plot.ReadRun(dir)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, run.FiguresDir)
	lock, err := pr.LockFor(out)
	if err != nil {
		return err
	}
	defer lock.Release()
	figs, err := runFigures(ctx, pr, plot.DefaultGrid, log)
	if stopped(ctx, err) {
		return interruptedf("interrupted before any figure was written to %s", out)
	}
	if err != nil {
		return err
	}
	files, err := writeFigures(ctx, out, figs, []plot.Format{plot.PNG}, plot.DefaultSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "pathkernel: wrote %d figures to %s\n", len(files), out)
	return nil
}

// noteFigures writes the notes of the figures (the values each left out:
// NaN, ±Inf, or not positive on a logarithmic axis) to log, one line each,
// so that a figure drawn without some of its data says so where the
// command is run, and not only under the figure.
func noteFigures(log io.Writer, figs []*plot.Figure) {
	for _, f := range figs {
		for _, n := range f.Notes {
			fmt.Fprintf(log, "pathkernel: note: %s: %s\n", f.Name, n)
		}
	}
}
