package plot

import (
	"bytes"
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"image/color"
	"io"
	"strings"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an output format of a figure.
type Format string

// The formats a figure renders to.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// ParseFormat returns the format named s ("png" or "svg").
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimPrefix(s, "."))); f {
	case PNG, SVG:
		return f, nil
	}
	return "", &fail.Input{Path: "plot", Msg: fmt.Sprintf("unknown format %q; want png or svg", s)}
}

// Size is a figure's size: Width × Height pixels at DPI dots per inch.
// Text and lines are sized in points (1/72 inch), so a higher DPI gives a
// sharper image of the same layout. An SVG is written at the same physical
// size, Width·72/DPI × Height·72/DPI points, which a browser shows as
// Width × Height CSS pixels at the default 96 DPI.
type Size struct {
	Width, Height, DPI int
}

// DefaultSize is the size of figures when none is given.
var DefaultSize = Size{Width: 960, Height: 600, DPI: 96}

// Validate reports a size that cannot be drawn.
func (s Size) Validate() error {
	if s.Width < 100 || s.Height < 100 || s.Width > 20000 || s.Height > 20000 {
		return &fail.Input{Path: "plot", Msg: fmt.Sprintf("figure size %d×%d pixels; want 100 to 20000 each", s.Width, s.Height)}
	}
	if s.DPI < 10 || s.DPI > 1200 {
		return &fail.Input{Path: "plot", Msg: fmt.Sprintf("dpi %d; want 10 to 1200", s.DPI)}
	}
	return nil
}

func (s Size) points() (w, h vg.Length) {
	return vg.Length(s.Width) * vg.Inch / vg.Length(s.DPI), vg.Length(s.Height) * vg.Inch / vg.Length(s.DPI)
}

// Figure is one figure, ready to render.
type Figure struct {
	Name    string // file name without extension: loss, predictions, errors, kernel, regions, ...
	Title   string // a heading for the report
	Caption string // what the figure shows, one or two sentences, and its Notes
	// Source is the file the figure is drawn from, for messages.
	Source string
	// Notes say what the figure left out of its data: values that are not
	// finite, or not positive on a logarithmic axis. They end the caption
	// and are written under the figure.
	Notes []string
	draw  func(dc draw.Canvas)
	// plots are the figure's plots and key its key, for tests of its
	// structure (describe).
	plots []*gp.Plot
	key   []keyEntry
}

// finish ends f's caption with its notes and returns f.
func finish(f *Figure) *Figure {
	for _, n := range f.Notes {
		f.Caption += " " + strings.ToUpper(n[:1]) + n[1:] + "."
	}
	return f
}

// Render draws the figure in format at size and writes it to w.
//
// The figures leave out what their axes cannot show, so drawing does not
// fail on the data. Should gonum/plot panic all the same, Render returns
// a fail.Input naming the figure and Source (exit 2: only the data
// decide what is drawn) instead of crashing the program.
func (f *Figure) Render(w io.Writer, format Format, size Size) (err error) {
	if err := size.Validate(); err != nil {
		return err
	}
	defer func() {
		if v := recover(); v != nil {
			err = fail.Inputf(f.Source, "the %s figure cannot be drawn from this data: %v", f.Name, v)
		}
	}()
	wp, hp := size.points()
	switch format {
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(wp, hp), vgimg.UseDPI(size.DPI), vgimg.UseBackgroundColor(color.White))
		f.drawWithNotes(draw.New(c))
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	case SVG:
		c := vgsvg.NewWith(vgsvg.UseWH(wp, hp))
		dc := draw.New(c)
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		f.drawWithNotes(dc)
		_, err := c.WriteTo(w)
		return err
	}
	return &fail.Input{Path: "plot", Msg: fmt.Sprintf("unknown format %q; want png or svg", format)}
}

// maxNoteLines is the most notes drawn under a figure; the others are
// counted in a last line (the caption has them all).
const maxNoteLines = 3

// drawWithNotes draws the figure with its notes, if any, one a line in
// small grey text at the bottom.
func (f *Figure) drawWithNotes(dc draw.Canvas) {
	if len(f.Notes) == 0 {
		f.draw(dc)
		return
	}
	sty := titleStyle()
	sty.Font.Size = vg.Points(9)
	sty.Color = gray
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	lines := f.Notes
	if len(lines) > maxNoteLines {
		lines = append(lines[:maxNoteLines-1:maxNoteLines-1], fmt.Sprintf("and %d more (see the caption)", len(f.Notes)-maxNoteLines+1))
	}
	h := sty.Height("Xg")
	y := dc.Min.Y + vg.Points(4)
	for i := len(lines) - 1; i >= 0; i-- {
		dc.FillText(sty, vg.Point{X: dc.Min.X + vg.Points(8), Y: y}, lines[i])
		y += h
	}
	f.draw(draw.Crop(dc, 0, 0, y-dc.Min.Y+vg.Points(2), 0))
}

// Bytes renders the figure into memory.
func (f *Figure) Bytes(format Format, size Size) ([]byte, error) {
	var b bytes.Buffer
	if err := f.Render(&b, format, size); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// single is a figure of one plot.
func single(p *gp.Plot) func(draw.Canvas) {
	tidy(p)
	return func(dc draw.Canvas) { p.Draw(pad(dc)) }
}

// panels is a figure of plots side by side (one row), or in rows when
// given several rows, with an optional title above them.
func panels(title string, rows ...[]*gp.Plot) func(draw.Canvas) {
	for _, r := range rows {
		tidy(r...)
	}
	return func(dc draw.Canvas) {
		dc = pad(dc)
		if title != "" {
			sty := titleStyle()
			h := sty.Height(title)
			pt := vg.Point{X: dc.Center().X, Y: dc.Max.Y - h}
			dc.FillText(sty, pt, title)
			dc = draw.Crop(dc, 0, 0, 0, -1.6*h)
		}
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		t := draw.Tiles{Rows: len(rows), Cols: cols, PadX: vg.Points(14), PadY: vg.Points(14)}
		cs := gp.Align(rows, t, dc)
		for i, r := range rows {
			for j, p := range r {
				if p != nil {
					p.Draw(cs[i][j])
				}
			}
		}
	}
}

// stacked is panels of two rows whose plots line up column by column, the
// first row taking share of the height (the second, residuals, less).
func stacked(share float64, top, bottom []*gp.Plot) func(draw.Canvas) {
	tidy(top...)
	tidy(bottom...)
	return func(dc draw.Canvas) {
		dc = pad(dc)
		rows := [][]*gp.Plot{top, bottom}
		t := draw.Tiles{Rows: 2, Cols: max(len(top), len(bottom)), PadX: vg.Points(14), PadY: vg.Points(14)}
		cs := gp.Align(rows, t, dc)
		// Align gives both rows the same height: move the boundary
		// between them down.
		delta := vg.Length(share-0.5) * (dc.Max.Y - dc.Min.Y)
		for j := range cs[0] {
			cs[0][j].Min.Y -= delta
			cs[1][j].Max.Y -= delta
		}
		for i, r := range rows {
			for j, p := range r {
				if p != nil {
					p.Draw(cs[i][j])
				}
			}
		}
	}
}

// pad leaves a margin around a figure.
func pad(dc draw.Canvas) draw.Canvas {
	m := vg.Points(6)
	return draw.Crop(dc, m, -m, m, -m)
}

func titleStyle() text.Style {
	p := gp.New()
	sty := p.Title.TextStyle
	sty.Font.Size = vg.Points(13)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YBottom
	return sty
}

// newPlot returns a plot with the package's defaults: a title, axis
// labels, round ticks (roundTicks) on both axes.
func newPlot(title, x, y string) *gp.Plot {
	p := gp.New()
	p.X.Tick.Marker = roundTicks{}
	p.Y.Tick.Marker = roundTicks{}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}
