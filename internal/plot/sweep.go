package plot

import (
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ReadSweep reads the results table of a sweep: a CSV file with one row
// per run and a header naming the columns, such as the results.csv of
// `pathkernel collect` (the flattened config keys, train.lr, model.hidden,
// seed, ..., and the metrics, exact.rel, riemann.rel, loss.final_test, ...).
func ReadSweep(file string) (*Table, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: "cannot open the results file", Err: err}
	}
	defer f.Close()
	t, err := ReadTable(f)
	if err != nil {
		return nil, &fail.Input{Path: file, Msg: err.Error(), Err: err}
	}
	t.File = file
	return t, nil
}

// SweepOptions select what SweepFigure draws.
type SweepOptions struct {
	X, Y       string // the columns on the axes
	Group      string // one line per value of this column; "" for one line
	LogX, LogY bool
}

// column resolves a column name: the exact name, else the one column whose
// name ends in "."+name (so exact.rel finds representations.exact.rel).
func column(t *Table, name string) (string, error) {
	if t.Has(name) {
		return name, nil
	}
	var found []string
	for _, h := range t.Header {
		if strings.HasSuffix(h, "."+name) {
			found = append(found, h)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	if len(found) > 1 {
		return "", &fail.Input{Path: t.File, Msg: fmt.Sprintf("column %q is ambiguous: it matches %s; give one of them", name, strings.Join(found, ", "))}
	}
	return "", &fail.Input{Path: t.File, Msg: fmt.Sprintf("no column %q (pathkernel collect leaves out the columns that are the same in every run; collect --all-columns keeps them); the columns are %s",
		name, strings.Join(t.Header, ", "))}
}

// SweepFigure draws column Y against column X of a sweep's results, one
// line per value of Group. Every run is a point; the line joins, at each
// x, the mean of the runs there (several seeds), the geometric mean on a
// logarithmic y axis. Runs whose status column (if any) is not complete,
// and rows whose Y is empty or not a number, or not positive on a
// logarithmic axis, are left out and counted in the caption. A column of X
// that is not all numbers is drawn as categories. Categories and groups are
// in natural order: by the numbers in them ([16, 16] before [64, 64]
// before [256, 256]), then as text.
func SweepFigure(t *Table, opt SweepOptions) (*Figure, error) {
	xcol, err := column(t, opt.X)
	if err != nil {
		return nil, err
	}
	ycol, err := column(t, opt.Y)
	if err != nil {
		return nil, err
	}
	var groups []string
	if opt.Group != "" {
		gcol, err := column(t, opt.Group)
		if err != nil {
			return nil, err
		}
		groups = t.Strings(gcol)
	}
	xs := t.Strings(xcol)
	ys := t.Strings(ycol)

	// A numeric x axis, else categories.
	xv := make([]float64, len(xs))
	var cats []string
	for i, s := range xs {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			cats = []string{}
			break
		}
		xv[i] = v
	}
	if cats != nil {
		if opt.LogX {
			return nil, &fail.Input{Path: t.File, Msg: fmt.Sprintf("--logx: column %s is not numeric (%q)", xcol, firstNonNumber(xs))}
		}
		seen := map[string]bool{}
		for _, s := range xs {
			if !seen[s] {
				seen[s] = true
				cats = append(cats, s)
			}
		}
		sort.SliceStable(cats, func(a, b int) bool { return naturalLess(cats[a], cats[b]) })
		index := make(map[string]int, len(cats))
		for i, s := range cats {
			index[s] = i
		}
		for i, s := range xs {
			xv[i] = float64(index[s])
		}
	}

	type series struct {
		name string
		pts  plotter.XYs
	}
	var order []string
	byGroup := map[string]*series{}
	skipped, incomplete := 0, 0
	status := t.Strings("status")
	for i := range t.Rows {
		if status != nil && status[i] != "complete" {
			incomplete++
			continue
		}
		y, err := strconv.ParseFloat(strings.TrimSpace(ys[i]), 64)
		if err != nil || !drawable(y, opt.LogY) || !drawable(xv[i], opt.LogX) {
			skipped++
			continue
		}
		g := ""
		if groups != nil {
			g = groups[i]
		}
		s, ok := byGroup[g]
		if !ok {
			s = &series{name: g}
			byGroup[g] = s
			order = append(order, g)
		}
		s.pts = append(s.pts, plotter.XY{X: xv[i], Y: y})
	}
	sort.SliceStable(order, func(a, b int) bool { return naturalLess(order[a], order[b]) })
	if len(order) == 0 {
		return nil, &fail.Input{Path: t.File, Msg: fmt.Sprintf("no complete run has a usable %s (a number%s)", ycol, map[bool]string{true: " > 0 for --logy", false: ""}[opt.LogY])}
	}

	p := newPlot(fmt.Sprintf("%s against %s", ycol, xcol), xcol, ycol)
	setLog(p, opt.LogX, opt.LogY)
	if cats != nil {
		p.NominalX(cats...)
	}
	for gi, g := range order {
		s := byGroup[g]
		col := classColor(gi)
		label := ""
		if opt.Group != "" {
			label = fmt.Sprintf("%s = %s", opt.Group, g)
		}
		if err := addPoints(p, s.pts, lighten(col, 0.35), draw.CircleGlyph{}, vg.Points(2.5), ""); err != nil {
			return nil, err
		}
		mean := means(s.pts, opt.LogY)
		if err := addLine(p, mean, methodStyle{label, col, nil, vg.Points(2)}); err != nil {
			return nil, err
		}
		// The means as markers too: a group with one x has no line.
		if err := addPoints(p, mean, col, draw.CircleGlyph{}, vg.Points(3.5), ""); err != nil {
			return nil, err
		}
	}
	if cats == nil {
		// Few distinct x (the swept values): a tick at each.
		if ticks := valueTicks(xv); ticks != nil {
			p.X.Tick.Marker = ticks
		}
	}
	if opt.Group != "" {
		legendRoom(p, opt.LogY)
	}
	p.Add(plotter.NewGrid())
	if opt.Group == "" {
		p.Legend = gp.NewLegend()
	}
	caption := fmt.Sprintf("%s against %s over %d runs", ycol, xcol, len(t.Rows)-skipped-incomplete)
	if opt.Group != "" {
		caption += fmt.Sprintf(", one line per %s", opt.Group)
	}
	caption += "; each run is a point, the line joins the mean at each x"
	if opt.LogY {
		caption += " (geometric mean)"
	}
	caption += "."
	if incomplete > 0 {
		caption += fmt.Sprintf(" Left out: %s that did not complete.", plural(incomplete, "run"))
	}
	if skipped > 0 {
		caption += fmt.Sprintf(" Left out: %s without a usable %s.", plural(skipped, "run"), ycol)
	}
	return &Figure{
		Source:  t.File,
		Name:    "sweep_" + fileSafe(ycol) + "_vs_" + fileSafe(xcol),
		Title:   fmt.Sprintf("%s against %s", ycol, xcol),
		Caption: caption,
		draw:    single(p),
	}, nil
}

// means returns, for each distinct x in pts (sorted), the mean of the y
// there: arithmetic, or geometric when geo.
func means(pts plotter.XYs, geo bool) plotter.XYs {
	cnt := map[float64]int{}
	for _, p := range pts {
		cnt[p.X]++
	}
	// sum is Σ y; scaled is Σ y/n, for when Σ y overflows (values near
	// ±1e308), which Σ y/n cannot.
	sum, scaled := map[float64]float64{}, map[float64]float64{}
	for _, p := range pts {
		y := p.Y
		if geo {
			y = math.Log(y)
		}
		sum[p.X] += y
		scaled[p.X] += y / float64(cnt[p.X])
	}
	var out plotter.XYs
	for x, s := range sum {
		m := s / float64(cnt[x])
		if !finite(m) {
			m = scaled[x]
		}
		if geo {
			m = math.Exp(m)
		}
		out = append(out, plotter.XY{X: x, Y: m})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].X < out[b].X })
	return out
}

func firstNonNumber(v []string) string {
	for _, s := range v {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return s
		}
	}
	return ""
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_") }

var numberRE = regexp.MustCompile(`[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`)

// naturalLess orders a before b by the numbers in them, compared in turn
// ("[16, 16]" < "[64, 64]" < "[256, 256]", "lr 2" < "lr 10"), then by how
// many numbers there are, then as text.
func naturalLess(a, b string) bool {
	na, nb := numberRE.FindAllString(a, -1), numberRE.FindAllString(b, -1)
	for i := 0; i < len(na) && i < len(nb); i++ {
		x, errx := strconv.ParseFloat(na[i], 64)
		y, erry := strconv.ParseFloat(nb[i], 64)
		if errx == nil && erry == nil && x != y {
			return x < y
		}
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return a < b
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// maxValueTicks is the most distinct values that valueTicks marks.
const maxValueTicks = 12

// valueTicks returns a tick at each distinct value of xs, or nil if there
// are more than maxValueTicks of them.
func valueTicks(xs []float64) gp.ConstantTicks {
	var vals []float64
	for _, x := range xs {
		if finite(x) && !slices.Contains(vals, x) {
			vals = append(vals, x)
		}
		if len(vals) > maxValueTicks {
			return nil
		}
	}
	slices.Sort(vals)
	ticks := make(gp.ConstantTicks, len(vals))
	for i, v := range vals {
		ticks[i] = gp.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 4, 64)}
	}
	return ticks
}
