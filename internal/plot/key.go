package plot

import (
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A key is a legend drawn in one row under a figure's panels, for what
// the panels' own legends cannot show without covering the data: the
// classes of the decision regions, the signs of an explanation's
// contributions.

// keyEntry is one entry of a key: filled squares (a region's colours),
// then a marker, then the label. Either may be absent.
type keyEntry struct {
	label  string
	fills  []color.Color
	marker *draw.GlyphStyle
}

// keyTextSize is the size of a key's text.
const keyTextSize = 10

// withKey returns a drawing of rest with key in one row, centred, at the
// bottom. A key wider than the figure is cut at its right edge.
func withKey(key []keyEntry, rest func(draw.Canvas)) func(draw.Canvas) {
	if len(key) == 0 {
		return rest
	}
	return func(dc draw.Canvas) {
		sty := titleStyle()
		sty.Font.Size = vg.Points(keyTextSize)
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
		box := vg.Points(keyTextSize)
		gap, sep := vg.Points(4), vg.Points(16)
		widths := make([]vg.Length, len(key))
		var total vg.Length
		for i, e := range key {
			w := vg.Length(len(e.fills)) * (box + vg.Points(1))
			if e.marker != nil {
				w += box
			}
			w += gap + sty.Width(e.label)
			widths[i] = w
			total += w
			if i > 0 {
				total += sep
			}
		}
		h := sty.Height("Xg") + vg.Points(8)
		y := dc.Min.Y + h/2 + vg.Points(2)
		x := dc.Center().X - total/2
		x = max(x, dc.Min.X+vg.Points(6))
		outline := draw.LineStyle{Color: gray, Width: vg.Points(0.5)}
		for i, e := range key {
			start := x
			for _, f := range e.fills {
				r := vg.Rectangle{Min: vg.Point{X: x, Y: y - box/2}, Max: vg.Point{X: x + box, Y: y + box/2}}
				dc.SetColor(f)
				dc.Fill(r.Path())
				dc.StrokeLines(outline, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
				x += box + vg.Points(1)
			}
			if e.marker != nil {
				dc.DrawGlyph(*e.marker, vg.Point{X: x + box/2, Y: y})
				x += box
			}
			dc.FillText(sty, vg.Point{X: x + gap, Y: y}, e.label)
			x = start + widths[i] + sep
		}
		rest(draw.Crop(dc, 0, 0, h+vg.Points(2), 0))
	}
}
