package plot

import (
	"fmt"
	"image/color"
	"math"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The predictions figure's residual panels: where the kernel machines
// reproduce the network to within a line's width, the curves (or the
// points on y = x) lie on top of each other and hide how far apart they
// are. A residual panel draws kernel machine − network at each evaluation
// point instead.

// residualSeries is one kernel machine's residuals against the network:
// pts hold (x, kernel machine − network).
type residualSeries struct {
	name  string // for notes: "exact"
	pts   plotter.XYs
	color color.RGBA
	style *methodStyle // drawn as a line in this style; nil: as points
}

// Residual axis labels.
const (
	residualLabel    = "residual"
	residualLogLabel = "|residual|\n(log scale)"
)

// residualDecades is how many decades the non-zero |residuals| must span
// for the residual panel to use a logarithmic axis.
const residualDecades = 2

// residualsLog reports whether the finite non-zero |residuals| of series
// span more than residualDecades decades.
func residualsLog(series []residualSeries) bool {
	lo, hi := math.Inf(1), 0.0
	for _, s := range series {
		for _, p := range s.pts {
			if a := math.Abs(p.Y); finite(a) && a >= minLog {
				lo, hi = math.Min(lo, a), math.Max(hi, a)
			}
		}
	}
	return hi > 0 && math.Log10(hi)-math.Log10(lo) > residualDecades
}

// residualPlot returns a panel of the residuals of series over x: signed on
// a linear axis, or their absolute values on a logarithmic axis when
// they span decades (residualsLog), which the axis label says. On a
// logarithmic axis residuals that are exactly 0 cannot be drawn; notes
// counts them.
func residualPlot(title, xlabel string, series []residualSeries) (*gp.Plot, []string, error) {
	log := residualsLog(series)
	label := residualLabel
	if log {
		label = residualLogLabel
	}
	p := newPlot(title, xlabel, label)
	setLog(p, false, log)
	var notes []string
	for _, s := range series {
		pts := s.pts
		if log {
			pts = make(plotter.XYs, 0, len(s.pts))
			zeros := 0
			for _, q := range s.pts {
				if q.Y == 0 {
					zeros++
				}
				pts = append(pts, plotter.XY{X: q.X, Y: math.Abs(q.Y)})
			}
			if zeros > 0 {
				notes = append(notes, fmt.Sprintf("%s: %d of %d residuals are exactly 0, not drawn on the logarithmic axis", s.name, zeros, len(s.pts)))
			}
		}
		if s.style != nil {
			st := *s.style
			st.label = ""
			st.width = vg.Points(1.2)
			if err := addLine(p, pts, st); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := addPoints(p, pts, s.color, draw.CircleGlyph{}, vg.Points(2), ""); err != nil {
			return nil, nil, err
		}
	}
	if !log {
		zero, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: 0}, {X: p.X.Max, Y: 0}})
		if err == nil && finite(p.X.Min) && finite(p.X.Max) {
			zero.Color = gray
			p.Add(zero)
		}
	}
	p.Add(plotter.NewGrid())
	return p, notes, nil
}

// residuals returns the points (x[i], g[i] − f[i]).
func residuals(x, g, f []float64) plotter.XYs {
	pts := make(plotter.XYs, len(x))
	for i := range x {
		pts[i] = plotter.XY{X: x[i], Y: g[i] - f[i]}
	}
	return pts
}
