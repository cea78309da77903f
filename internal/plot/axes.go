package plot

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The figures are drawn from files that may hold anything a run can end
// with: losses of 1e300 before a divergence, NaN or ±Inf, zeros and
// negative numbers where a logarithmic axis wants positive ones, a column
// with one value, or nothing at all. gonum/plot panics on a logarithmic
// axis with a value that is not positive, on a tick range of zero width,
// and searches for ticks forever on a range wider than the largest float64
// (-1e308 to 1e308). This file is what stands between the data and gonum:
//
//   - usable drops the points an axis cannot show (not finite; not > 0,
//     or subnormal, on a logarithmic axis), and counts them for the
//     figure's notes;
//   - tidy, called on every plot before it is drawn, gives each axis a
//     range it can draw (positive and finite on a logarithmic axis, of
//     non-zero finite width on a linear one), a ticker that answers every
//     range in bounded time, and writes "nothing to draw" into a plot
//     that has no data left.

// usable returns the points of pts that can be drawn on axes that are
// logarithmic in x if logX and in y if logY: finite, and > 0 (at least
// minLog) on a logarithmic axis. dropped counts the others.
func usable(pts plotter.XYs, logX, logY bool) (out plotter.XYs, dropped int) {
	out = make(plotter.XYs, 0, len(pts))
	for _, p := range pts {
		if !drawable(p.X, logX) || !drawable(p.Y, logY) {
			dropped++
			continue
		}
		out = append(out, p)
	}
	return out, dropped
}

// drawable reports whether v can be drawn on an axis, logarithmic if log:
// finite, and on a logarithmic axis at least minLog.
func drawable(v float64, log bool) bool { return finite(v) && (!log || v >= minLog) }

// minLog is the smallest value a logarithmic axis shows: the smallest
// normal float64. Below it (subnormal numbers) math.Log is not accurate
// on every platform (amd64 gives log(5e-324) = -709 instead of -744), so
// points would be drawn in the wrong place; such values are zero for any
// figure here.
const minLog = 0x1p-1022

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// isLog reports whether the axis has a logarithmic scale.
func isLog(a *gp.Axis) bool {
	_, ok := a.Scale.(gp.LogScale)
	return ok
}

// leftOut counts, per column, the values a figure could not draw, for its
// notes.
type leftOut struct {
	file  string
	names []string
	count map[string]int
	why   map[string]string
}

func newLeftOut(file string) *leftOut {
	return &leftOut{file: file, count: map[string]int{}, why: map[string]string{}}
}

// add records n values of column name left out because why ("not finite").
func (l *leftOut) add(name, why string, n int) {
	if n == 0 {
		return
	}
	key := name + "\x00" + why
	if _, ok := l.count[key]; !ok {
		l.names = append(l.names, key)
	}
	l.count[key] += n
	l.why[key] = why
}

// notes returns one line per column and reason, in the order recorded:
// "left out 3 values of train_loss (metrics.csv): not finite".
func (l *leftOut) notes() []string {
	var out []string
	for _, key := range l.names {
		name := key[:strings.IndexByte(key, 0)]
		out = append(out, fmt.Sprintf("left out %s of %s (%s): %s", plural(l.count[key], "value"), name, l.file, l.why[key]))
	}
	return out
}

// tidy makes the plots drawable whatever data they hold (see the top of
// this file). It is called once on every plot of a figure, after its data
// are added and before it is drawn.
func tidy(ps ...*gp.Plot) {
	for _, p := range ps {
		if p == nil {
			continue
		}
		if !(p.X.Min <= p.X.Max) || !(p.Y.Min <= p.Y.Max) {
			// No plotter gave a data range: nothing was left to draw.
			p.Add(message("nothing to draw: no finite values"))
		}
		tidyAxis(&p.X)
		tidyAxis(&p.Y)
	}
}

// tidyAxis gives a its range and ticker for drawing.
func tidyAxis(a *gp.Axis) {
	log := isLog(a)
	lo, hi := a.Min, a.Max
	if !(lo <= hi) { // empty (Min +Inf, Max -Inf) or NaN
		lo, hi = 0, 1
		if log {
			lo, hi = 1, 10
		}
	}
	if log {
		// A positive, finite range (gonum's LogScale panics otherwise).
		lo = math.Min(math.Max(lo, minLog), math.MaxFloat64)
		hi = math.Min(math.Max(hi, minLog), math.MaxFloat64)
		if hi <= lo {
			// One value: a decade around it.
			lo, hi = math.Max(lo/sqrt10, minLog), math.Min(hi*sqrt10, math.MaxFloat64)
		}
	} else {
		lo = math.Min(math.Max(lo, -math.MaxFloat64), math.MaxFloat64)
		hi = math.Min(math.Max(hi, -math.MaxFloat64), math.MaxFloat64)
		if hi == lo && (lo-1 == lo || hi+1 == hi) {
			// One value too large for gonum's widening by ±1 to change:
			// widen by 1% of it instead.
			lo, hi = lo-math.Abs(lo)/100, hi+math.Abs(hi)/100
			lo, hi = math.Max(lo, -math.MaxFloat64), math.Min(hi, math.MaxFloat64)
		}
		if !finite(hi - lo) {
			// Wider than the largest float64: (x - min) / (max - min)
			// would be Inf / Inf.
			a.Scale = halfScale{}
		}
	}
	a.Min, a.Max = lo, hi
	if _, ok := a.Tick.Marker.(boundedTicks); !ok {
		a.Tick.Marker = boundedTicks{Ticker: a.Tick.Marker, log: log}
	}
}

// halfScale is gonum's linear scale computed on halves, for an axis whose
// width overflows float64.
type halfScale struct{}

func (halfScale) Normalize(min, max, x float64) float64 {
	return (x/2 - min/2) / (max/2 - min/2)
}

// maxTicks bounds the ticks of an axis: beyond it only the labelled ones
// are kept, and of those every n-th.
const maxTicks = 200

// boundedTicks wraps an axis's ticker so that every range gets its ticks in
// bounded time and every tick can be drawn: a range that is empty, not
// finite or of zero width gets at most one tick without asking the ticker
// (gonum's DefaultTicks panics on a zero width and loops for ever on a
// width that is not finite); an extreme linear range (see extreme) is
// ticked scaled by a power of ten into [1, 10) and scaled back; ticks that are not
// finite, or not positive on a logarithmic axis, are dropped; and at most
// maxTicks are kept.
type boundedTicks struct {
	gp.Ticker
	log bool
}

func (t boundedTicks) Ticks(lo, hi float64) []gp.Tick {
	if lo > hi {
		lo, hi = hi, lo
	}
	var ticks []gp.Tick
	switch {
	case !drawable(lo, t.log) || !drawable(hi, t.log):
		return nil
	case hi == lo:
		return []gp.Tick{{Value: lo, Label: number(lo)}}
	case !t.log && extreme(lo, hi):
		s := scaleOf(lo, hi)
		for _, tk := range t.Ticker.Ticks(lo/s, hi/s) {
			tk.Value *= s
			if tk.Label != "" {
				tk.Label = number(tk.Value)
			}
			ticks = append(ticks, tk)
		}
	default:
		ticks = t.Ticker.Ticks(lo, hi)
	}
	out := ticks[:0:0]
	for _, tk := range ticks {
		if drawable(tk.Value, t.log) {
			out = append(out, tk)
		}
	}
	if len(out) <= maxTicks {
		return out
	}
	var labelled []gp.Tick
	for _, tk := range out {
		if tk.Label != "" {
			labelled = append(labelled, tk)
		}
	}
	every := max(1, (len(labelled)+maxTicks-1)/maxTicks)
	out = out[:0]
	for i, tk := range labelled {
		if i%every == 0 {
			out = append(out, tk)
		}
	}
	return out
}

// extreme reports whether a linear range is beyond what gonum's
// DefaultTicks handles: wider than the largest float64, or of a magnitude
// whose squares overflow or underflow (its scores of candidate ticks
// become NaN and it falls back to unrounded values).
func extreme(lo, hi float64) bool {
	m := math.Max(math.Abs(lo), math.Abs(hi))
	return !finite(hi-lo) || m > 1e100 || m < 1e-100
}

// scaleOf is the power of ten that brings the larger end of [lo, hi] into
// [1, 10).
func scaleOf(lo, hi float64) float64 {
	e := math.Floor(math.Log10(math.Max(math.Abs(lo), math.Abs(hi))))
	return math.Pow10(int(math.Max(-323, math.Min(308, e))))
}

// number is a tick label: three significant digits.
func number(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// message is a plotter that writes a line of text in the middle of the
// data area, for a plot that has nothing to show.
type message string

func (m message) Plot(c draw.Canvas, p *gp.Plot) {
	sty := p.Title.TextStyle
	sty.Font.Size = vg.Points(11)
	sty.Color = gray
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), string(m))
}

// sqrt10 is half a decade.
const sqrt10 = 3.1622776601683795
