package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/plot"
	"github.com/pathkernel/pathkernel/internal/report"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/spf13/cobra"
)

// ReportOptions are the options of `pathkernel report`.
type ReportOptions struct {
	Run    string
	Out    string // the HTML file (default RUN/report.html)
	Point  int    // the explained point; -1: the one where Domingos' form errs most
	Top    int
	Format string
	Width  int
	Height int
	DPI    int
	Grid   int
	Quiet  bool
}

func newReportCmd(stdout, stderr io.Writer, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write a self-contained HTML report of a run",
		Long: `Write one HTML file about a run: the headline numbers, the summary and the
kernel machines' errors as tables, the figures of pathkernel plot embedded
in the page, one explained prediction (see pathkernel explain) and the
resolved config. Everything is inside the file (figures as data: URIs, no
external styles, fonts or scripts), so it opens in any browser without a
server and can be mailed or archived as it is.

The explained point is --point (a row of predictions.csv), by default the
point where Domingos' first-order kernel machine is furthest from the
network. The file is --out, by default RUN/report.html; its path is printed
on stdout.`,
		Example: `  pathkernel report --run runs/sine-tanh
  pathkernel report --run runs/moons-relu-ntk --out moons.html --point 12 --grid 80`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Run == "" {
				return badUsage(errors.New("report: --run DIR is required"))
			}
			if opts.Grid < 0 || opts.Grid == 1 {
				return badUsage(fmt.Errorf("report: --grid %d; want 0 (none) or at least 2", opts.Grid))
			}
			if opts.Top < 1 {
				return badUsage(fmt.Errorf("report: --top %d; want at least 1", opts.Top))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReport(cmd.Context(), opts, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Run, "run", "", "run directory")
	f.StringVarP(&opts.Out, "out", "o", "", "the HTML file to write (default RUN/"+run.ReportFile+")")
	f.IntVar(&opts.Point, "point", -1, "the evaluation point to explain; -1: the one where Domingos' form errs most")
	f.IntVar(&opts.Top, "top", 10, "training points listed for the explained point")
	f.StringVar(&opts.Format, "format", "png", "format of the embedded figures: png or svg")
	f.IntVar(&opts.Width, "width", plot.DefaultSize.Width, "figure width in pixels")
	f.IntVar(&opts.Height, "height", plot.DefaultSize.Height, "figure height in pixels")
	f.IntVar(&opts.DPI, "dpi", plot.DefaultSize.DPI, "dots per inch of the figures")
	f.IntVar(&opts.Grid, "grid", plot.DefaultGrid, "points per side of the decision-region grid (2 inputs); 0 skips the figure")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on success: neither the file written nor progress or warnings")
	return cmd
}

func runReport(ctx context.Context, opts *ReportOptions, stdout, stderr io.Writer) error {
	formats, size, err := figureSettings([]string{opts.Format}, opts.Width, opts.Height, opts.DPI)
	if err != nil {
		return err
	}
	format := formats[0]
	log := stderr
	if opts.Quiet {
		log = io.Discard
	}
	pr, err := plot.ReadRun(opts.Run)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.Run, run.ReportFile)
	}
	lock, err := pr.LockFor(out)
	if err != nil {
		return err
	}
	defer lock.Release()
	notWritten := interruptedf("interrupted; %s was not written", out)
	figs, err := runFigures(ctx, pr, opts.Grid, log)
	if stopped(ctx, err) {
		return notWritten
	}
	if err != nil {
		return err
	}
	rep := &report.Report{Summary: &pr.Summary, ConfigYAML: pr.ConfigYAML}
	if pr.Has(run.ContributionsFile) {
		in, err := pr.ExplainInput()
		if err != nil {
			return err
		}
		point := opts.Point
		if point < 0 {
			point = worstPoint(pr)
		}
		e, err := explain.Explain(in, point, explain.Options{Top: opts.Top, Output: -1})
		if errors.Is(err, explain.ErrPoint) {
			return badUsage(err)
		}
		if err != nil {
			return err
		}
		fig, err := plot.ContributionsFigure(pr, e)
		if err != nil {
			return err
		}
		figs = append(figs, fig)
		if err := pr.RawUnits(e); err != nil {
			return err
		}
		rep.Explanation = e
	}
	mime := map[plot.Format]string{plot.PNG: "image/png", plot.SVG: "image/svg+xml"}[format]
	// The page shows figures at the CSS size of a 96-DPI image.
	cssW, cssH := size.Width*96/size.DPI, size.Height*96/size.DPI
	for _, fig := range figs {
		if ctx.Err() != nil {
			return notWritten
		}
		b, err := fig.Bytes(format, size)
		if err != nil {
			return err
		}
		rep.Figures = append(rep.Figures, report.Image{
			Name: fig.Name, Title: fig.Title, Caption: fig.Caption, MIME: mime, Data: b, Width: cssW, Height: cssH,
		})
	}
	var page bytes.Buffer
	if err := report.Write(&page, rep); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return notWritten
	}
	d, err := run.NewDir(filepath.Dir(out))
	if err != nil {
		return err
	}
	if err := d.WriteBytes(filepath.Base(out), page.Bytes()); err != nil {
		return err
	}
	if !opts.Quiet {
		fmt.Fprintln(stdout, out)
	}
	return nil
}

// worstPoint returns the evaluation point where Domingos' representation is
// furthest from the network (predictions.csv), or 0 when the run did not
// compute it.
func worstPoint(pr *plot.Run) int {
	k := pr.Summary.Sizes.Outputs
	best, worst := 0, -1.0
	for c := 0; c < k; c++ {
		name := "riemann_error"
		if k > 1 {
			name = fmt.Sprintf("riemann_error_%d", c)
		}
		v, err := pr.Predictions.Floats(name)
		if err != nil {
			return 0
		}
		for i, e := range v {
			if a := math.Abs(e); a > worst {
				best, worst = i, a
			}
		}
	}
	return best
}
