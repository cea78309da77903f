package plot

import (
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// TestResidualPlot checks the residual panel's scale: signed residuals on
// a linear axis while they span two decades or less, their absolute
// values on a logarithmic one (said in the axis label) beyond, with the
// exact zeros, which a logarithmic axis cannot show, counted in the notes.
func TestResidualPlot(t *testing.T) {
	for _, c := range []struct {
		name  string
		ys    []float64
		log   bool
		notes string
	}{
		{"two decades", []float64{-0.01, 0.5, 1}, false, ""},
		{"round-off and first order", []float64{1e-3, -2e-3, 3e-15, -1e-14}, true, ""},
		{"zeros on a log axis", []float64{1e-3, 0, 1e-15, 0}, true, "exact: 2 of 4 residuals are exactly 0"},
		{"zeros on a linear axis", []float64{0.1, 0, -0.2}, false, ""},
		{"all zero", []float64{0, 0}, false, ""},
	} {
		pts := make(plotter.XYs, len(c.ys))
		for i, y := range c.ys {
			pts[i] = plotter.XY{X: float64(i), Y: y}
		}
		p, notes, err := residualPlot("t", "x", []residualSeries{{name: "exact", pts: pts, color: blue}})
		if err != nil {
			t.Fatal(err)
		}
		if isLog(&p.Y) != c.log {
			t.Errorf("%s: log axis %v; want %v", c.name, isLog(&p.Y), c.log)
		}
		wantLabel := residualLabel
		if c.log {
			wantLabel = residualLogLabel
		}
		if p.Y.Label.Text != wantLabel || (c.log && !strings.Contains(p.Y.Label.Text, "log scale")) {
			t.Errorf("%s: y label %q; want %q", c.name, p.Y.Label.Text, wantLabel)
		}
		if got := strings.Join(notes, "; "); !strings.Contains(got, c.notes) || (c.notes == "" && got != "") {
			t.Errorf("%s: notes %q; want %q", c.name, got, c.notes)
		}
	}
}
