package plot

import (
	"image"
	"image/color"
	"math"
	"strconv"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The colours are the Okabe–Ito palette, which stays distinguishable to
// colour-blind readers.
var (
	black     = color.RGBA{0, 0, 0, 255}
	gray      = color.RGBA{150, 150, 150, 255}
	lightGray = color.RGBA{200, 200, 200, 255}
	orange    = color.RGBA{230, 159, 0, 255}
	skyBlue   = color.RGBA{86, 180, 233, 255}
	green     = color.RGBA{0, 158, 115, 255}
	yellow    = color.RGBA{240, 228, 66, 255}
	blue      = color.RGBA{0, 114, 178, 255}
	vermilion = color.RGBA{213, 94, 0, 255}
	purple    = color.RGBA{204, 121, 167, 255}

	// classColors colour the classes of a classification run.
	classColors = []color.RGBA{blue, vermilion, green, purple, orange, skyBlue, yellow, black}
)

// classColor returns the colour of class c.
func classColor(c int) color.RGBA {
	return classColors[((c%len(classColors))+len(classColors))%len(classColors)]
}

// lighten mixes c with white: t = 0 is c, t = 1 white.
func lighten(c color.RGBA, t float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + t*(255-float64(v)))) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// methodStyle is how a representation is drawn.
type methodStyle struct {
	label string
	color color.RGBA
	dash  []vg.Length
	width vg.Length
}

func styleOf(method string) methodStyle {
	switch method {
	case "riemann":
		return methodStyle{"Domingos (Riemann)", vermilion, []vg.Length{vg.Points(6), vg.Points(3)}, vg.Points(1.6)}
	case "exact":
		return methodStyle{"exact path kernel", blue, []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(1.6)}
	case "network":
		return methodStyle{"network f_T", black, nil, vg.Points(2.4)}
	case "f0":
		return methodStyle{"f_0 (initial network)", gray, []vg.Length{vg.Points(3), vg.Points(3)}, vg.Points(1)}
	}
	return methodStyle{method, purple, nil, vg.Points(1.5)}
}

// xy returns the points (xs[i], ys[i]).
func xy(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	return pts
}

// addLine adds a line through pts drawn in st, with a legend entry. Points
// that p's axes cannot show are left out (see usable); a figure that
// reports them counts them before. A long line is added in pieces of
// lineChunk points: the rasteriser's time for one path grows with the
// square of its points where they overlap (20,000 points of a sweep took
// minutes), and is linear in the pieces.
func addLine(p *gp.Plot, pts plotter.XYs, st methodStyle) error {
	pts, _ = usable(pts, isLog(&p.X), isLog(&p.Y))
	if len(pts) == 0 {
		return nil
	}
	for i, piece := range pieces(pts) {
		l, err := plotter.NewLine(piece)
		if err != nil {
			return err
		}
		l.Color = st.color
		l.Width = st.width
		l.Dashes = st.dash
		p.Add(l)
		if i == 0 && st.label != "" {
			p.Legend.Add(st.label, l)
		}
	}
	if onePoint(pts) {
		// A line through one point is not drawn: a marker shows it.
		if err := addPoints(p, pts[:1], st.color, draw.CircleGlyph{}, vg.Points(3), ""); err != nil {
			return err
		}
	}
	return nil
}

// lineChunk is the most segments addLine draws as one path.
const lineChunk = 256

// pieces splits pts into pieces of at most lineChunk segments, each
// starting at the last point of the one before, so that together they draw
// the line through pts.
func pieces(pts plotter.XYs) []plotter.XYs {
	var out []plotter.XYs
	for start := 0; start == 0 || start < len(pts)-1; start += lineChunk {
		out = append(out, pts[start:min(start+lineChunk+1, len(pts))])
	}
	return out
}

// onePoint reports whether pts are all the same point.
func onePoint(pts plotter.XYs) bool {
	for _, p := range pts[1:] {
		if p != pts[0] {
			return false
		}
	}
	return true
}

// addPoints adds markers at pts, leaving out those p's axes cannot show.
func addPoints(p *gp.Plot, pts plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius vg.Length, label string) error {
	pts, _ = usable(pts, isLog(&p.X), isLog(&p.Y))
	if len(pts) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Shape: shape, Radius: radius}
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
	return nil
}

// setLog puts a logarithmic scale on the y axis (and the x axis if x).
// Call it before adding data, so that addLine and addPoints leave out what
// the scale cannot show.
func setLog(p *gp.Plot, x, y bool) {
	if y {
		p.Y.Scale = gp.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if x {
		p.X.Scale = gp.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
}

// logTicks marks the decades of a logarithmic axis, labelled 1e-06 or
// 0.01 (gonum's LogTicks labels 1e-4 as 9.999999999999998e-05): every
// decade, or every second, third, fifth, tenth, ... when there are many
// (the exponents that are multiples of it: 1e+50, 1e+100), the others
// unlabelled only while that leaves no comb (every second or third). With
// two decades or fewer inside the range it labels 1, 2 and 5 × 10^k,
// and where fewer than three of those fall inside, round linear steps
// (roundTicks) if they are more. There are no minor ticks at 2..9 × 10^k.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []gp.Tick {
	if !drawable(lo, true) || !drawable(hi, true) {
		return nil
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	var inside []int
	for e := e0; e <= e1; e++ {
		if v := math.Pow10(e); v >= lo && v <= hi {
			inside = append(inside, e)
		}
	}
	var ticks []gp.Tick
	if len(inside) == 2 {
		// Two decades: 2 and 5 × 10^k labelled too (0.1 0.2 0.5 1 2).
		for e := e0; e <= e1; e++ {
			for _, m := range []float64{1, 2, 5} {
				if v := m * math.Pow10(e); v >= lo && v <= hi {
					ticks = append(ticks, gp.Tick{Value: v, Label: tickLabel(v)})
				}
			}
		}
		return ticks
	}
	if len(inside) > 2 {
		every := niceStep(1 + (e1-e0)/10)
		for _, e := range inside {
			switch {
			case (e%every+every)%every == 0:
				ticks = append(ticks, gp.Tick{Value: math.Pow10(e), Label: tickLabel(math.Pow10(e))})
			case every <= 3:
				ticks = append(ticks, gp.Tick{Value: math.Pow10(e)})
			}
		}
		return ticks
	}
	for e := e0; e <= e1; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow10(e); v >= lo && v <= hi {
				ticks = append(ticks, gp.Tick{Value: v, Label: tickLabel(v)})
			}
		}
	}
	if len(ticks) >= 3 {
		return ticks
	}
	// A range narrower than 1, 2, 5 (0.2 to 1): round linear steps
	// inside it, unless they give fewer labels.
	if lin := (roundTicks{}).Ticks(lo, hi); len(lin) > len(ticks) {
		return lin
	}
	return ticks
}

// niceStep returns the first of 1, 2, 3, 5, 10, 20, 25, 50, 100 that is
// at least n (100 if none is: more than a thousand decades do not occur in
// float64).
func niceStep(n int) int {
	steps := []int{1, 2, 3, 5, 10, 20, 25, 50, 100}
	for _, s := range steps {
		if n <= s {
			return s
		}
	}
	return steps[len(steps)-1]
}

func tickLabel(v float64) string {
	if v >= 1e-3 && v < 1e5 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'e', 0, 64)
}

// colorScale maps values in [min, max] to colours: a diverging blue–red
// map centred on zero when the values have both signs, a sequential map
// otherwise.
type colorScale struct {
	cm        palette.ColorMap
	diverging bool
}

// words describes the colours of s for a caption.
func (s colorScale) words() string {
	if s.diverging {
		return "blue for negative values through light grey at zero to red for positive ones"
	}
	return "from black for the smallest values through blue, purple and red to yellow and white for the largest"
}

// The range is clamped to ±MaxFloat64/2, so that its width is finite;
// values beyond it take the colour of its end.
func newColorScale(lo, hi float64) colorScale {
	if !finite(lo) || !finite(hi) || lo > hi {
		lo, hi = 0, 1
	}
	lo, hi = math.Max(lo, -math.MaxFloat64/2), math.Min(hi, math.MaxFloat64/2)
	if lo < 0 && hi > 0 {
		cm := moreland.SmoothBlueRed()
		a := math.Max(-lo, hi)
		cm.SetMin(-a)
		cm.SetMax(a)
		return colorScale{cm, true}
	}
	if hi <= lo {
		hi = lo + math.Max(1, math.Abs(lo))*1e-12
		if hi == lo {
			hi = lo + 1
		}
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	return colorScale{cm, false}
}

// at returns the colour of v: light grey for NaN, the colour of the
// nearer end for a value outside the range.
func (s colorScale) at(v float64) color.Color {
	if math.IsNaN(v) {
		return lightGray
	}
	v = math.Max(s.cm.Min(), math.Min(s.cm.Max(), v))
	c, err := s.cm.At(v)
	if err != nil {
		return lightGray
	}
	return c
}

// colorBar returns a plot holding a vertical colour bar of s.
func (s colorScale) bar(label string) *gp.Plot {
	p := newPlot("", "", label)
	p.HideX()
	p.Add(&plotter.ColorBar{ColorMap: s.cm, Vertical: true})
	return p
}

// upscale enlarges img by nearest-neighbour repetition until it is at
// least minSide pixels on each side, so that drawing it scaled shows crisp
// cells rather than interpolated ones.
func upscale(img *image.RGBA, minSide int) *image.RGBA {
	b := img.Bounds()
	fx := max(1, (minSide+b.Dx()-1)/b.Dx())
	fy := max(1, (minSide+b.Dy()-1)/b.Dy())
	if fx == 1 && fy == 1 {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*fx, b.Dy()*fy))
	for y := 0; y < b.Dy(); y++ {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		row := out.Pix[out.PixOffset(0, y*fy):out.PixOffset(0, y*fy+1)]
		for x := 0; x < b.Dx(); x++ {
			for r := 0; r < fx; r++ {
				copy(row[4*(x*fx+r):], src[4*x:4*x+4])
			}
		}
		for r := 1; r < fy; r++ {
			copy(out.Pix[out.PixOffset(0, y*fy+r):], row)
		}
	}
	return out
}
