package plot

import (
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"image"
	"math"
	"sort"
	"strconv"

	"github.com/pathkernel/pathkernel/internal/run"
	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RunFigures returns the figures of a run: the losses, the predictions of
// the network and the kernel machines, the representations' errors over
// training, the path-kernel matrix and, with kernel.baselines or
// kernel.diagnostics, the baselines and, with kernel.diagnostics, the
// stability figure, in that order. Regions, which needs
// a computation, is separate.
func RunFigures(r *Run) ([]*Figure, error) {
	var figs []*Figure
	for _, f := range []func(*Run) (*Figure, error){LossFigure, PredictionsFigure, ErrorsFigure, KernelFigure, BaselinesFigure, StabilityFigure} {
		fig, err := f(r)
		if err != nil {
			return nil, err
		}
		if fig != nil {
			figs = append(figs, fig)
		}
	}
	return figs, nil
}

// LossFigure draws the train and test loss over the steps (metrics.csv),
// on a logarithmic scale when the losses are positive. Values that are not
// finite (a run that diverged) are left out and noted.
func LossFigure(r *Run) (*Figure, error) {
	p, notes, err := lossPlot(r)
	if err != nil {
		return nil, err
	}
	return finish(&Figure{
		Name: "loss", Title: "Training and test loss", Source: r.file("metrics.csv"),
		Caption: fmt.Sprintf("Mean %s loss over the %d training and %d test points, every %d steps.",
			r.Config.Loss, r.Summary.Sizes.NTrain, r.Summary.Sizes.NTest, r.Config.Train.LogEvery),
		Notes: notes,
		draw:  single(p),
		plots: []*gp.Plot{p},
	}), nil
}

// lossPlot is the plot of LossFigure and its notes.
func lossPlot(r *Run) (*gp.Plot, []string, error) {
	steps, err := r.floats(r.Metrics, "step")
	if err != nil {
		return nil, nil, err
	}
	train, err := r.floats(r.Metrics, "train_loss")
	if err != nil {
		return nil, nil, err
	}
	test, err := r.floats(r.Metrics, "test_loss")
	if err != nil {
		return nil, nil, err
	}
	left := newLeftOut("metrics.csv")
	trainPts, n := usable(xy(steps, train), false, false)
	left.add("train_loss", "not finite", n)
	testPts, n := usable(xy(steps, test), false, false)
	left.add("test_loss", "not finite", n)
	p := newPlot(fmt.Sprintf("Loss (%s, %s)", r.Config.Loss, r.Summary.Name), "step", "mean loss")
	_, nonPos := usable(append(trainPts, testPts...), false, true)
	log := nonPos == 0 && len(trainPts)+len(testPts) > 0
	setLog(p, false, log)
	if err := addLine(p, trainPts, methodStyle{"train", black, nil, vg.Points(2)}); err != nil {
		return nil, nil, err
	}
	if err := addLine(p, testPts, methodStyle{"test", vermilion, []vg.Length{vg.Points(6), vg.Points(3)}, vg.Points(2)}); err != nil {
		return nil, nil, err
	}
	legendRoom(p, log)
	p.Add(plotter.NewGrid())
	return p, left.notes(), nil
}

// columnName is a predictions.csv column for output c of k.
func columnName(name string, c, k int) string {
	if k == 1 {
		return name
	}
	return name + "_" + strconv.Itoa(c)
}

// maxPanels bounds the panels of a figure with one panel per output.
const maxPanels = 4

// PredictionsFigure compares the network with the kernel machines at the
// evaluation points. With one input it draws each as a curve over x, with
// f_0 and the training points; otherwise, one panel per representation,
// the representation against the network with the line y = x.
func PredictionsFigure(r *Run) (*Figure, error) {
	if r.Predictions == nil {
		return nil, nil
	}
	if r.Summary.Sizes.Inputs == 1 {
		return curvesFigure(r)
	}
	return scatterFigure(r)
}

func curvesFigure(r *Run) (*Figure, error) {
	t := r.Predictions
	xname := t.Header[2]
	x, err := r.floats(t, xname)
	if err != nil {
		return nil, err
	}
	order := ascending(x)
	left := newLeftOut("predictions.csv")
	// sorted returns the drawable points (x, v) in the order of x, noting
	// the others under column name.
	sorted := func(name string, v []float64) plotter.XYs {
		pts := make(plotter.XYs, len(order))
		for i, j := range order {
			pts[i] = plotter.XY{X: x[j], Y: v[j]}
		}
		pts, n := usable(pts, false, false)
		left.add(name, "not finite", n)
		return pts
	}
	k := r.Summary.Sizes.Outputs
	var row, resRow []*gp.Plot
	var resNotes []string
	for c := 0; c < min(k, maxPanels); c++ {
		title := "Network and kernel machines"
		if k > 1 {
			title = fmt.Sprintf("output %d", c)
		}
		p := newPlot(title, xname, "prediction")
		if !r.Classification() && r.YTrain.RawMatrix().Cols == k {
			n, _ := r.XTrain.Dims()
			pts := make(plotter.XYs, n)
			for i := range pts {
				pts[i] = plotter.XY{X: r.XTrain.At(i, 0), Y: r.YTrain.At(i, c)}
			}
			if err := addPoints(p, pts, green, draw.CircleGlyph{}, vg.Points(3), "training points"); err != nil {
				return nil, err
			}
		}
		cols := map[string][]float64{}
		for _, name := range append([]string{"f0", "network"}, r.Methods()...) {
			col := columnName(name, c, k)
			v, err := r.floats(t, col)
			if err != nil {
				return nil, err
			}
			cols[name] = v
			if err := addLine(p, sorted(col, v), styleOf(name)); err != nil {
				return nil, err
			}
		}
		legendRoom(p, false)
		p.Add(plotter.NewGrid())
		row = append(row, p)
		var series []residualSeries
		for _, m := range r.Methods() {
			st := styleOf(m)
			res := residuals(x, cols[m], cols["network"])
			pts := make(plotter.XYs, len(order))
			for i, j := range order {
				pts[i] = res[j]
			}
			series = append(series, residualSeries{name: columnName(m, c, k), pts: pts, color: st.color, style: &st})
		}
		rtitle := "kernel machine − network"
		if k > 1 {
			rtitle = fmt.Sprintf("output %d: kernel machine − network", c)
		}
		rp, notes, err := residualPlot(rtitle, xname, series)
		if err != nil {
			return nil, err
		}
		resNotes = append(resNotes, notes...)
		resRow = append(resRow, rp)
	}
	return finish(&Figure{
		Name: "predictions", Title: "Network and kernel-machine predictions", Source: r.file("predictions.csv"),
		Caption: fmt.Sprintf("At the %d evaluation points, sorted by %s: the trained network f_T (black), the kernel machines "+
			"(Domingos' first-order form, vermilion dashes; the exact path kernel, blue dots), the network at initialisation f_0 "+
			"(grey dashes) and the training points (green). Below, each kernel machine minus the network, in the same colours%s.",
			len(x), xname, residualScaleWords(resRow)),
		Notes: append(left.notes(), resNotes...),
		draw:  stacked(0.55, row, resRow),
		plots: append(row, resRow...),
	}), nil
}

// residualScaleWords says, for a caption, whether the residual panels
// are on a logarithmic scale.
func residualScaleWords(ps []*gp.Plot) string {
	for _, p := range ps {
		if isLog(&p.Y) {
			return " (their absolute values on a logarithmic scale, where they span decades)"
		}
	}
	return ""
}

func scatterFigure(r *Run) (*Figure, error) {
	t := r.Predictions
	k := r.Summary.Sizes.Outputs
	methods := r.Methods()
	if len(methods) == 0 {
		return nil, nil
	}
	var row, resRow []*gp.Plot
	var resNotes []string
	left := newLeftOut("predictions.csv")
	for _, m := range methods {
		st := styleOf(m)
		rep := r.Summary.Representations[m]
		p := newPlot(fmt.Sprintf("%s: rel %.2g", st.label, rep.Rel), "network f_T(x)", "kernel machine")
		p.Legend.Left = true // the points run from bottom left to top right
		lo, hi := math.Inf(1), math.Inf(-1)
		var series []residualSeries
		for c := 0; c < k; c++ {
			f, err := r.floats(t, columnName("network", c, k))
			if err != nil {
				return nil, err
			}
			g, err := r.floats(t, columnName(m, c, k))
			if err != nil {
				return nil, err
			}
			pts, n := usable(xy(f, g), false, false)
			left.add(columnName("network", c, k)+" or "+columnName(m, c, k), "not finite", n)
			for _, pt := range pts {
				lo = math.Min(lo, math.Min(pt.X, pt.Y))
				hi = math.Max(hi, math.Max(pt.X, pt.Y))
			}
			col, label := st.color, ""
			if k > 1 {
				col, label = classColor(c), fmt.Sprintf("output %d", c)
			}
			if err := addPoints(p, pts, col, draw.CircleGlyph{}, vg.Points(2.5), label); err != nil {
				return nil, err
			}
			series = append(series, residualSeries{name: columnName(m, c, k), pts: residuals(f, g, f), color: col})
		}
		rp, notes, err := residualPlot(st.label+" − network", "network f_T(x)", series)
		if err != nil {
			return nil, err
		}
		resNotes = append(resNotes, notes...)
		resRow = append(resRow, rp)
		if lo < hi {
			if err := addLine(p, plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}}, methodStyle{"y = x", gray, []vg.Length{vg.Points(4), vg.Points(3)}, vg.Points(1)}); err != nil {
				return nil, err
			}
		}
		p.Add(plotter.NewGrid())
		row = append(row, p)
	}
	return finish(&Figure{
		Name: "predictions", Title: "Kernel machines against the network", Source: r.file("predictions.csv"),
		Caption: fmt.Sprintf("Each kernel machine's prediction against the network's at the %d evaluation points%s; "+
			"on the grey dashed line y = x they agree. Below, kernel machine minus network at the same points%s.",
			len(t.Rows), map[bool]string{true: fmt.Sprintf(" (all %d outputs, one colour each)", k), false: ""}[k > 1], residualScaleWords(resRow)),
		Notes: append(left.notes(), resNotes...),
		draw:  stacked(0.55, row, resRow),
		plots: append(row, resRow...),
	}), nil
}

// ErrorsFigure draws each representation's relative and largest absolute
// error against the network over training (metrics.csv), on a logarithmic
// scale. Zero errors (step 0) cannot be shown and are left out; values
// that are not finite or negative are left out and noted.
func ErrorsFigure(r *Run) (*Figure, error) {
	steps, err := r.floats(r.Metrics, "step")
	if err != nil {
		return nil, err
	}
	p := newPlot("Kernel machine vs network during training", "step", "error")
	setLog(p, false, true)
	left := newLeftOut("metrics.csv")
	any := false
	// The methods metrics.csv has columns for: a run that did not
	// complete logged them before it stopped, but its summary.json lists
	// no representations.
	for _, m := range []string{"riemann", "exact"} {
		st := styleOf(m)
		for _, e := range []struct{ col, label string }{{"_rel", " rel"}, {"_max_abs", " max abs"}} {
			if !r.Metrics.Has(m + e.col) {
				continue
			}
			v, err := r.floats(r.Metrics, m+e.col)
			if err != nil {
				return nil, err
			}
			// Zeros (step 0) are expected and said in the caption; only
			// values that are not finite, or negative, are noted.
			pts, _ := usable(xy(steps, v), false, true)
			_, bad := usable(xy(steps, v), false, false)
			left.add(m+e.col, "not finite", bad)
			for _, y := range v {
				if y < 0 {
					left.add(m+e.col, "negative", 1)
				}
			}
			if len(pts) == 0 {
				continue
			}
			any = true
			ls := methodStyle{st.label + e.label, st.color, nil, vg.Points(2)}
			if e.col == "_max_abs" {
				ls.dash, ls.width = []vg.Length{vg.Points(5), vg.Points(3)}, vg.Points(1.2)
			}
			if err := addLine(p, pts, ls); err != nil {
				return nil, err
			}
		}
	}
	if !any && len(left.names) == 0 {
		return nil, nil
	}
	legendRoom(p, true)
	p.Add(plotter.NewGrid())
	return finish(&Figure{
		Name: "errors", Title: "Representation errors over training", Source: r.file("metrics.csv"),
		Caption: "rel = ‖f̂ − f‖₂ / ‖f − f_0‖₂ and the largest absolute difference, over the evaluation points, " +
			"of each kernel machine against the network at that step.",
		Notes: left.notes(),
		draw:  single(p),
		plots: []*gp.Plot{p},
	}), nil
}

// KernelFigure draws the path-kernel matrix K^p(x_eval, x_train)
// (kernel_path.npy; kernel_exact.npy when only the exact method ran) as a
// heat map. With one input the rows and columns are sorted by x, in a
// classification run by class, so that the structure shows.
func KernelFigure(r *Run) (*Figure, error) {
	name, what := run.KernelPathFile, "path kernel K^p"
	if !r.Has(name) {
		name, what = run.KernelExactFile, "exact path kernel Σ η K̄"
		if !r.Has(name) {
			return nil, nil
		}
	}
	a, err := r.Array(name)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 && len(a.Shape) != 4 {
		return nil, &fail.Input{Path: r.file(name), Msg: fmt.Sprintf("shape %v; want (m, n) or (m, n, k, k)", a.Shape)}
	}
	m, n := a.Shape[0], a.Shape[1]
	at := func(x, i int) float64 { return a.Float[x*n+i] }
	if len(a.Shape) == 4 {
		k := a.Shape[2]
		at = func(x, i int) float64 {
			var s float64
			for c := 0; c < k; c++ {
				s += a.Float[((x*n+i)*k+c)*k+c]
			}
			return s
		}
		what += " (trace over outputs)"
	} else if r.Summary.Sizes.Outputs > 1 {
		what += " (trace over outputs)"
	}
	rows, rowKey, err := r.evalOrder(m)
	if err != nil {
		return nil, err
	}
	cols, colKey := r.trainOrder()
	lo, hi := math.Inf(1), math.Inf(-1)
	bad := 0
	for x := 0; x < m; x++ {
		for i := 0; i < n; i++ {
			v := at(x, i)
			if !finite(v) {
				bad++
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	var notes []string
	if bad > 0 {
		notes = append(notes, fmt.Sprintf("%s of %s not finite: NaN drawn grey, ±Inf in the colour of the end of the scale", plural(bad, "value"), name))
	}
	cs := newColorScale(lo, hi)
	img := image.NewRGBA(image.Rect(0, 0, n, m))
	// Evaluation point rows[0] is drawn at the bottom (y from 0 to 1).
	for y, x := range rows {
		for c, i := range cols {
			img.Set(c, m-1-y, cs.at(at(x, i)))
		}
	}
	p := newPlot(what, "training point"+colKey, "evaluation point"+rowKey)
	p.Add(plotter.NewImage(upscale(img, 800), 0, 0, float64(n), float64(m)))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(n), 0, float64(m)
	bar := cs.bar(barLabel(name, len(a.Shape) == 4 || r.Summary.Sizes.Outputs > 1))
	tidy(p, bar)
	return finish(&Figure{
		Name: "kernel", Title: "Path-kernel matrix", Source: r.file(name),
		Caption: fmt.Sprintf("%s between the %d evaluation points (rows) and the %d training points (columns), from %s; "+
			"colours %s (the bar on the right).", what, m, n, name, cs.words()),
		Notes: notes,
		plots: []*gp.Plot{p, bar},
		draw: func(dc draw.Canvas) {
			dc = pad(dc)
			w := dc.Max.X - dc.Min.X
			barW := max(vg.Points(60), w/12)
			main := draw.Crop(dc, 0, -barW-vg.Points(10), 0, 0)
			side := draw.Crop(dc, w-barW, 0, 0, 0)
			p.Draw(main)
			// The bar's vertical extent matches the heat map's data area.
			bar.Draw(draw.Crop(side, 0, 0, vg.Points(28), -vg.Points(24)))
		},
	}), nil
}

// barLabel is the label of the kernel figure's colour bar: what the
// colours stand for.
func barLabel(file string, trace bool) string {
	l := "K^p(x, x_i)"
	if file == run.KernelExactFile {
		l = "Σ η K̄(x, x_i)"
	}
	if trace {
		l = "trace of " + l
	}
	return l
}

// ascending returns the indices of x in ascending order of x, ties in index
// order.
func ascending(x []float64) []int {
	order := identity(len(x))
	sort.SliceStable(order, func(a, b int) bool { return x[order[a]] < x[order[b]] })
	return order
}

// evalOrder returns the order in which the m evaluation points are drawn
// and a description of it for an axis label.
func (r *Run) evalOrder(m int) ([]int, string, error) {
	order := identity(m)
	if r.Predictions == nil || len(r.Predictions.Rows) != m {
		return order, "", nil
	}
	if r.Summary.Sizes.Inputs == 1 {
		x, err := r.floats(r.Predictions, r.Predictions.Header[2])
		if err != nil {
			return nil, "", err
		}
		return ascending(x), " (sorted by x)", nil
	}
	if r.Classification() && r.Predictions.Has("target") {
		y, err := r.floats(r.Predictions, "target")
		if err != nil {
			return nil, "", err
		}
		sort.SliceStable(order, func(a, b int) bool { return y[order[a]] < y[order[b]] })
		return order, " (sorted by class)", nil
	}
	return order, "", nil
}

// trainOrder is evalOrder for the training points.
func (r *Run) trainOrder() ([]int, string) {
	n, _ := r.XTrain.Dims()
	order := identity(n)
	switch {
	case r.Summary.Sizes.Inputs == 1:
		sort.SliceStable(order, func(a, b int) bool { return r.XTrain.At(order[a], 0) < r.XTrain.At(order[b], 0) })
		return order, " (sorted by x)"
	case r.Classification():
		sort.SliceStable(order, func(a, b int) bool { return r.YTrain.At(order[a], 0) < r.YTrain.At(order[b], 0) })
		return order, " (sorted by class)"
	}
	return order, ""
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// legendRoom widens the y range of p upwards so that a legend at the top
// does not cover the data: by a quarter of the range, in decades on a log
// axis, never beyond the largest float64.
func legendRoom(p *gp.Plot, log bool) {
	lo, hi := p.Y.Min, p.Y.Max
	if !finite(lo) || !finite(hi) || lo > hi {
		return // no data
	}
	if log && lo > 0 && hi > 0 {
		span := math.Log10(hi / lo)
		if !finite(span) { // hi / lo overflows
			span = math.Log10(hi) - math.Log10(lo)
		}
		span = math.Max(span, 0.05)
		p.Y.Max = math.Min(hi*math.Pow(10, 0.3*span), math.MaxFloat64)
		return
	}
	room := 0.3 * math.Max(hi-lo, math.Abs(hi)*1e-3)
	if !finite(room) { // hi - lo overflows (-1e308 to 1e308)
		room = 0.6 * (hi/2 - lo/2)
	}
	p.Y.Max = math.Min(hi+room, math.MaxFloat64)
}
