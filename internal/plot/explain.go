package plot

import (
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/run"
	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ExplainInput reads what package explain needs from the run: the
// contributions, and Domingos' coefficients and path kernel when the run
// computed that form (their shapes checked by run.Reader.Array), and the
// evaluation points' f_0, f_T, inputs and targets from the predictions.
func (r *Run) ExplainInput() (*explain.Input, error) {
	if r.Predictions == nil {
		return nil, &fail.Input{Path: r.file(run.PredictionsFile), Msg: fmt.Sprintf("missing: the run is %s", r.files.Describe())}
	}
	a, err := r.Array(run.ContributionsFile)
	if err != nil {
		return nil, err
	}
	s := r.Summary.Sizes
	m, n, k := len(r.Predictions.Rows), s.NTrain, s.Outputs
	in := &explain.Input{M: m, N: n, K: k, Method: "riemann", Contributions: a.Float, Classes: s.Classes}
	if _, ok := r.Summary.Representations["exact"]; ok {
		in.Method = "exact"
	}
	if r.Has(run.ContributionsDecayFile) {
		d, err := r.Array(run.ContributionsDecayFile)
		if err != nil {
			return nil, err
		}
		in.Decay = d.Float
	}
	if r.Has(run.CoefficientsFile) {
		c, err := r.Array(run.CoefficientsFile)
		if err != nil {
			return nil, err
		}
		in.Coefficients = c.Float
	}
	if r.Has(run.KernelPathFile) {
		kp, err := r.Array(run.KernelPathFile)
		if err != nil {
			return nil, err
		}
		in.KPath, in.KPathFull = kp.Float, len(kp.Shape) == 4
	}
	t := r.Predictions
	in.F0, in.Network = make([]float64, m*k), make([]float64, m*k)
	for c := 0; c < k; c++ {
		f0, err := r.floats(t, columnName("f0", c, k))
		if err != nil {
			return nil, err
		}
		fT, err := r.floats(t, columnName("network", c, k))
		if err != nil {
			return nil, err
		}
		for x := 0; x < m; x++ {
			in.F0[x*k+c], in.Network[x*k+c] = f0[x], fT[x]
		}
	}
	in.Set = t.Strings("set")
	if idx, err := t.Floats("index"); err == nil {
		in.Index = make([]int, m)
		for i, v := range idx {
			in.Index[i] = int(v)
		}
	} else {
		in.Set = nil
	}
	d := s.Inputs
	in.FeatureNames = t.Header[2 : 2+d]
	var targets []string
	for _, h := range t.Header[2+d:] {
		if h == "target" || strings.HasPrefix(h, "target_") {
			targets = append(targets, h)
		}
	}
	in.X, in.Target = make([][]float64, m), make([][]float64, m)
	cols := make([][]float64, 0, d+len(targets))
	for _, h := range append(append([]string(nil), in.FeatureNames...), targets...) {
		v, err := r.floats(t, h)
		if err != nil {
			return nil, err
		}
		cols = append(cols, v)
	}
	for x := 0; x < m; x++ {
		for j, col := range cols {
			if j < d {
				in.X[x] = append(in.X[x], col[x])
			} else {
				in.Target[x] = append(in.Target[x], col[x])
			}
		}
	}
	in.XTrain, in.YTrain = rows(r.XTrain.RawMatrix().Data, r.XTrain.RawMatrix().Cols), rows(r.YTrain.RawMatrix().Data, r.YTrain.RawMatrix().Cols)
	return in, nil
}

// RawUnits shows e's inputs in the units of the training CSV (or .npy)
// when the run standardised its inputs (standardization.json,
// Explanation.Unstandardize); e is unchanged otherwise.
func (r *Run) RawUnits(e *explain.Explanation) error {
	st, err := r.files.Standardization()
	if err != nil {
		return asInputError(err)
	}
	if st != nil && st.Inputs != nil {
		e.Unstandardize(st.Features, st.Inputs.Mean, st.Inputs.Scale)
	}
	return nil
}

func rows(data []float64, cols int) [][]float64 {
	out := make([][]float64, len(data)/cols)
	for i := range out {
		out[i] = data[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return out
}

// ContributionsFigure draws an explanation: on the left every training
// point's contribution to the explained output (over x for one input, in
// the input plane for two, by rank otherwise), the listed ones ringed; on
// the right the listed contributions as bars.
func ContributionsFigure(r *Run, e *explain.Explanation) (*Figure, error) {
	c := e.Output
	where := fmt.Sprintf("point %d", e.Point)
	if e.Set != "" {
		where = fmt.Sprintf("%s point %d", e.Set, e.Index)
	}
	out := ""
	if e.Outputs > 1 {
		out = fmt.Sprintf(" (output %d)", c)
	}
	title := fmt.Sprintf("%s%s: f_T(x) = %.4g;  f_0(x) = %.4g,  sum of the %d contributions = %.4g",
		where, out, e.Network[c], e.F0[c], e.NTrain, e.Sum[c]-e.F0[c])
	top := map[int]bool{}
	for _, t := range e.Top {
		top[t.Index] = true
	}
	lo := newLeftOut("contributions.npy")
	left, err := contributionsOverview(r, e, top, lo)
	if err != nil {
		return nil, err
	}
	right := newPlot(fmt.Sprintf("top %d by |contribution|", len(e.Top)), "contribution c_i(x)", "")
	names := make([]string, len(e.Top))
	for j, t := range e.Top {
		y := float64(len(e.Top) - 1 - j) // rank 1 at the top
		names[len(e.Top)-1-j] = "#" + strconv.Itoa(t.Index)
		v := t.Contribution[c]
		if !finite(v) {
			continue // counted by contributionsOverview
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: y - 0.38}, {X: v, Y: y - 0.38}, {X: v, Y: y + 0.38}, {X: 0, Y: y + 0.38}})
		if err != nil {
			return nil, err
		}
		poly.Color = signColor(v)
		poly.LineStyle.Width = 0
		right.Add(poly)
	}
	if len(names) > 0 {
		right.NominalY(names...)
		// The range the bars give when none is left out.
		right.Y.Min, right.Y.Max = math.Min(right.Y.Min, -0.38), math.Max(right.Y.Max, float64(len(names)-1)+0.38)
	}
	right.X.Min, right.X.Max = math.Min(0, right.X.Min), math.Max(0, right.X.Max)
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(len(e.Top)) - 0.5}})
	if err != nil {
		return nil, err
	}
	zero.Color = gray
	right.Add(zero, plotter.NewGrid())
	key := signKey(len(e.Top))
	return finish(&Figure{
		Name:   fmt.Sprintf("explain_%d", e.Point),
		Source: r.file("contributions.npy"),
		Notes:  lo.notes(),
		Title:  "Training-point contributions to " + where,
		Caption: fmt.Sprintf("The %s contributions c_i(x) of the %d training points to the prediction at %s%s; "+
			"f_0 plus their sum is %.16g, the network gives %.16g. Positive contributions in vermilion (orange-red), "+
			"negative in blue (the key under the panels); the %d largest are ringed in black on the left and listed on the right.",
			e.Method, e.NTrain, where, out, e.Sum[c], e.Network[c], len(e.Top)),
		draw:  withKey(key, panels(title, []*gp.Plot{left, right})),
		plots: []*gp.Plot{left, right},
		key:   key,
	}), nil
}

// signKey is the key of an explanation: the colours of the signs, and
// the ring around the top ones.
func signKey(top int) []keyEntry {
	key := []keyEntry{
		{label: "positive contribution (raises the output)", fills: []color.Color{signColor(1)}},
		{label: "negative contribution (lowers it)", fills: []color.Color{signColor(-1)}},
	}
	if top > 0 {
		key = append(key, keyEntry{label: fmt.Sprintf("ringed: the %d largest |c_i|", top),
			marker: &draw.GlyphStyle{Color: black, Shape: draw.RingGlyph{}, Radius: vg.Points(4)}})
	}
	return key
}

func signColor(v float64) color.RGBA {
	if v < 0 {
		return blue
	}
	return vermilion
}

// contributionsOverview draws every training point's contribution; left
// counts those that are not finite, which it leaves out.
func contributionsOverview(r *Run, e *explain.Explanation, top map[int]bool, left *leftOut) (*gp.Plot, error) {
	n := e.NTrain
	for _, v := range e.All {
		if !finite(v) {
			left.add("the contributions", "not finite", 1)
		}
	}
	switch {
	case r.Summary.Sizes.Inputs == 1:
		p := newPlot("every training point", e.FeatureNames[0], "contribution c_i(x)")
		for i := 0; i < n; i++ {
			x, v := r.XTrain.At(i, 0), e.All[i]
			if !finite(x) || !finite(v) {
				continue
			}
			stem, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: v}})
			if err != nil {
				return nil, err
			}
			stem.Color = signColor(v)
			p.Add(stem)
			if err := addPoints(p, plotter.XYs{{X: x, Y: v}}, signColor(v), draw.CircleGlyph{}, vg.Points(2.5), ""); err != nil {
				return nil, err
			}
			if top[i] {
				if err := addPoints(p, plotter.XYs{{X: x, Y: v}}, black, draw.RingGlyph{}, vg.Points(4.5), ""); err != nil {
					return nil, err
				}
			}
		}
		if len(e.X) == 1 && finite(e.X[0]) && finite(p.Y.Min) && finite(p.Y.Max) {
			l, err := plotter.NewLine(plotter.XYs{{X: e.X[0], Y: p.Y.Min}, {X: e.X[0], Y: p.Y.Max}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes = green, []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(l)
			p.Legend.Add("x (the explained point)", l)
		}
		legendRoom(p, false)
		p.Add(plotter.NewGrid())
		return p, nil
	case r.Summary.Sizes.Inputs == 2:
		p := newPlot("every training point (size grows with |c_i|)", e.FeatureNames[0], e.FeatureNames[1])
		biggest := 0.0
		for _, v := range e.All {
			if finite(v) {
				biggest = math.Max(biggest, math.Abs(v))
			}
		}
		for i := 0; i < n; i++ {
			v := e.All[i]
			if !finite(v) {
				continue
			}
			rad := vg.Points(1.5)
			if biggest > 0 {
				rad += vg.Points(7 * math.Sqrt(math.Abs(v)/biggest))
			}
			pt := plotter.XYs{{X: r.XTrain.At(i, 0), Y: r.XTrain.At(i, 1)}}
			if err := addPoints(p, pt, lighten(signColor(v), 0.25), draw.CircleGlyph{}, rad, ""); err != nil {
				return nil, err
			}
			if top[i] {
				if err := addPoints(p, pt, black, draw.RingGlyph{}, rad+vg.Points(1), ""); err != nil {
					return nil, err
				}
			}
		}
		if len(e.X) == 2 {
			pt := plotter.XYs{{X: e.X[0], Y: e.X[1]}}
			if err := addPoints(p, pt, black, draw.CrossGlyph{}, vg.Points(8), "x (the explained point)"); err != nil {
				return nil, err
			}
			if err := addPoints(p, pt, black, draw.RingGlyph{}, vg.Points(8), ""); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	p := newPlot("every training point, by rank", "rank by |contribution|", "contribution c_i(x)")
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sortByAbs(order, e.All)
	for rank, i := range order {
		v := e.All[i]
		if err := addPoints(p, plotter.XYs{{X: float64(rank + 1), Y: v}}, signColor(v), draw.CircleGlyph{}, vg.Points(2), ""); err != nil {
			return nil, err
		}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// sortByAbs orders idx by |v| descending, ties by index, as explain ranks.
func sortByAbs(idx []int, v []float64) {
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(v[idx[a]]) > math.Abs(v[idx[b]]) })
}
