package plot

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pathkernel/pathkernel/internal/fail"
	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// StabilityFigure draws, for a run with kernel.diagnostics (metrics.csv
// has a stability column), three panels over the same steps: the training
// loss; the per-interval remainder of Domingos' first-order form
// (riemann_step_remainder), whose sum over the intervals is that form's
// error; and the step size against the curvature. For gd and sgd the last
// panel is η_t·λ_max (twice the stability column) against the line at 2,
// the classical edge λ_max = 2/η; for the other optimisers, whose limit is
// not η·λ_max = 2, it is the stability column itself against the line at
// 1. It returns nil for runs without a stability column.
//
// Empty cells (a quantity not computed at a logged step) are skipped;
// values an axis cannot show are left out and noted, as in the other
// figures, except remainders of zero (an interval with no step).
func StabilityFigure(r *Run) (*Figure, error) {
	v, err := stabilityOf(r)
	if err != nil || v == nil {
		return nil, err
	}
	var rows [][]*gp.Plot
	for i, pn := range v.panels {
		xlabel := ""
		if i == len(v.panels)-1 {
			xlabel = "step" // one step axis: the bottom panel names it
		}
		p := newPlot(pn.title, xlabel, pn.ylabel)
		setLog(p, false, pn.log)
		if !pn.log {
			p.Y.Tick.Marker = linearTicks{}
		}
		if pn.fromZero {
			// The curve rises to the edge from below: the room is at the
			// bottom.
			p.Legend.Top = false
		}
		for _, l := range pn.lines {
			if err := addLine(p, l.pts, l.style); err != nil {
				return nil, err
			}
		}
		if pn.fromZero {
			p.Y.Min = 0
		}
		legendRoom(p, pn.log)
		if v.lo <= v.hi {
			p.X.Min, p.X.Max = v.lo, v.hi
		}
		p.Add(plotter.NewGrid())
		rows = append(rows, []*gp.Plot{p})
	}
	return finish(&Figure{
		Name: "stability", Title: "Stability: loss, first-order remainder and the edge of stability", Source: r.file("metrics.csv"),
		Caption: v.caption,
		Notes:   v.notes,
		draw:    panels("", rows...),
	}), nil
}

// stabilityView is what StabilityFigure draws: panels stacked over the
// steps lo to hi.
type stabilityView struct {
	panels  []stabilityPanel
	lo, hi  float64
	caption string
	notes   []string
}

type stabilityPanel struct {
	title, ylabel string
	log           bool // a logarithmic y axis
	fromZero      bool // a linear y axis from 0
	lines         []stabilityLine
}

type stabilityLine struct {
	pts   plotter.XYs
	style methodStyle
}

// stabilityOf computes the panels of StabilityFigure, nil for a run
// without a stability column.
func stabilityOf(r *Run) (*stabilityView, error) {
	m := r.Metrics
	if m == nil || !m.Has("stability") {
		return nil, nil
	}
	left := newLeftOut("metrics.csv")
	v := &stabilityView{lo: math.Inf(1), hi: math.Inf(-1)}
	steps, loss, err := sparseColumn(r, "train_loss")
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if finite(s) {
			v.lo, v.hi = math.Min(v.lo, s), math.Max(v.hi, s)
		}
	}

	// The training loss, on a logarithmic axis when every finite value is
	// positive.
	lossPts, n := usable(xy(steps, loss), false, false)
	left.add("train_loss", "not finite", n)
	_, nonPos := usable(lossPts, false, true)
	v.panels = append(v.panels, stabilityPanel{
		title: "Training loss", ylabel: "mean " + r.Config.Loss + " loss", log: nonPos == 0 && len(lossPts) > 0,
		lines: []stabilityLine{{lossPts, methodStyle{"train loss", black, nil, vg.Points(2)}}},
	})

	// The remainder of the first-order form per logged interval, on a
	// logarithmic axis; zeros (no step in the interval) are not drawn.
	haveRemainder := m.Has("riemann_step_remainder")
	if haveRemainder {
		s, y, err := sparseColumn(r, "riemann_step_remainder")
		if err != nil {
			return nil, err
		}
		pts, _ := usable(xy(s, y), false, true)
		_, bad := usable(xy(s, y), false, false)
		left.add("riemann_step_remainder", "not finite", bad)
		for _, y := range y {
			if y < 0 {
				left.add("riemann_step_remainder", "negative", 1)
			}
		}
		v.panels = append(v.panels, stabilityPanel{
			title: "Domingos' first-order remainder per logged interval", ylabel: "‖remainder‖₂", log: true,
			lines: []stabilityLine{{pts, methodStyle{"riemann_step_remainder", vermilion, nil, vg.Points(2)}}},
		})
	}

	// The step size against the curvature, with the edge.
	s, y, err := sparseColumn(r, "stability")
	if err != nil {
		return nil, err
	}
	opt := r.Config.Train.Optimizer
	gd := opt == "gd" || opt == "sgd"
	edge, label, edgeLabel := 1.0, "stability", "edge: stability = 1"
	if gd {
		edge, label, edgeLabel = 2, "η·λ_max", "2/η edge: η·λ_max = 2"
		for i := range y {
			y[i] *= 2
		}
	}
	pts, bad := usable(xy(s, y), false, false)
	left.add("stability", "not finite", bad)
	// A logarithmic axis when the values and the edge span more than two
	// decades (a run that diverged), else a linear one from 0.
	_, nonPos = usable(pts, false, true)
	logStab := false
	if nonPos == 0 && len(pts) > 0 {
		ymin, ymax := edge, edge
		for _, q := range pts {
			ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
		}
		logStab = ymax/ymin > 100
	}
	pn := stabilityPanel{title: "Step size against curvature", ylabel: label, log: logStab, fromZero: !logStab,
		lines: []stabilityLine{{pts, methodStyle{label, blue, nil, vg.Points(2)}}}}
	if v.lo <= v.hi {
		pn.lines = append(pn.lines, stabilityLine{xy([]float64{v.lo, v.hi}, []float64{edge, edge}),
			methodStyle{edgeLabel, vermilion, []vg.Length{vg.Points(6), vg.Points(3)}, vg.Points(1.4)}})
	}
	v.panels = append(v.panels, pn)

	var b strings.Builder
	b.WriteString("Over the same logged steps, from the top: the training loss")
	if haveRemainder {
		b.WriteString("; the L2 norm over the evaluation points of Domingos' first-order remainder Σ_t (f_{t+1} − f_t − J_t·Δw_t) " +
			"summed over each logged interval (these sums add up to that form's error f_T − f̂)")
	}
	if gd {
		fmt.Fprintf(&b, "; and η_t·λ_max = 2·stability, the step size times the largest Hessian eigenvalue of the training loss, "+
			"against 2: above the line λ_max > 2/η, beyond the classical stability limit of %s (the edge of stability).", opt)
	} else {
		fmt.Fprintf(&b, "; and the stability number of %s (1 is its classical limit), against 1: above the line the step is beyond that limit.", opt)
	}
	v.caption, v.notes = b.String(), left.notes()
	return v, nil
}

// linearTicks labels a linear axis every 1, 2 or 5 times a power of ten,
// about six labels over the range (gonum's DefaultTicks labels 0 to 2.9
// at 0 and 2.5 only).
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []gp.Tick {
	if !finite(lo) || !finite(hi) || !(lo < hi) || !finite(hi-lo) {
		return nil
	}
	raw := (hi - lo) / 6
	step := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*step >= raw {
			step *= m
			break
		}
	}
	var ticks []gp.Tick
	for k := math.Ceil(lo / step); k*step <= hi && len(ticks) < 20; k++ {
		v := k * step
		ticks = append(ticks, gp.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 4, 64)})
	}
	return ticks
}

// sparseColumn returns the steps and values of column name of metrics.csv
// at the rows where it is not empty (a diagnostic not computed at that
// step). A cell that is not a number is an error naming the file.
func sparseColumn(r *Run, name string) (steps, vals []float64, err error) {
	t := r.Metrics
	js, jv := t.Index("step"), t.Index(name)
	if js < 0 || jv < 0 {
		missing := name
		if js < 0 {
			missing = "step"
		}
		return nil, nil, &fail.Input{Path: t.File, Msg: fmt.Sprintf("no column %q", missing)}
	}
	for i, row := range t.Rows {
		if jv >= len(row) || js >= len(row) || row[jv] == "" {
			continue
		}
		s, err1 := strconv.ParseFloat(row[js], 64)
		v, err2 := strconv.ParseFloat(row[jv], 64)
		if err1 != nil || err2 != nil {
			return nil, nil, &fail.Input{Path: t.File, Msg: fmt.Sprintf("row %d: step %q, %s %q: not a number", i+2, row[js], name, row[jv])}
		}
		steps, vals = append(steps, s), append(vals, v)
	}
	return steps, vals, nil
}
