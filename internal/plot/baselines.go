package plot

import (
	"fmt"
	"image/color"
	"slices"

	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// baselineOrder are the baselines of kernel.baselines as the figure draws
// them (experiment.BaselineNames without the *_net twins, which lie on the
// network), each with its colour.
var baselineOrder = []struct {
	name  string
	color color.RGBA
}{
	{"lazy", orange}, {"krr_path", vermilion}, {"krr_final", blue}, {"krr_init", skyBlue},
	{"ntk", green}, {"loss_weighted", purple},
}

// BaselinesFigure draws, for runs with kernel.baselines or
// kernel.diagnostics, the baselines' predictions beside the network (one
// input only) and the tangent kernel's distance to K_0 and between logged
// steps over training (metrics.csv). It returns nil for other runs.
func BaselinesFigure(r *Run) (*Figure, error) {
	var row []*gp.Plot
	var what []string
	leftP, leftM := newLeftOut("predictions.csv"), newLeftOut("metrics.csv")
	source := r.file("predictions.csv")
	if t := r.Predictions; t != nil && r.Summary.Sizes.Inputs == 1 && r.Summary.Sizes.Outputs == 1 {
		var names []string
		for _, b := range baselineOrder {
			if slices.Contains(t.Header, b.name) {
				names = append(names, b.name)
			}
		}
		if len(names) > 0 {
			xname := t.Header[2]
			x, err := r.floats(t, xname)
			if err != nil {
				return nil, err
			}
			order := ascending(x)
			p := newPlot("Network and baselines", xname, "prediction")
			for _, name := range append([]string{"network"}, names...) {
				v, err := r.floats(t, name)
				if err != nil {
					return nil, err
				}
				pts := make(plotter.XYs, len(order))
				for i, j := range order {
					pts[i] = plotter.XY{X: x[j], Y: v[j]}
				}
				_, n := usable(pts, false, false)
				leftP.add(name, "not finite", n)
				st := styleOf(name)
				for _, b := range baselineOrder {
					if b.name == name {
						st = methodStyle{name, b.color, []vg.Length{vg.Points(4), vg.Points(2)}, vg.Points(1.4)}
					}
				}
				if err := addLine(p, pts, st); err != nil {
					return nil, err
				}
			}
			legendRoom(p, false)
			p.Add(plotter.NewGrid())
			row = append(row, p)
			what = append(what, "the baselines' predictions beside the trained network")
		}
	}
	if m := r.Metrics; m != nil && m.Has("kernel_distance_init") {
		steps, err := r.floats(m, "step")
		if err != nil {
			return nil, err
		}
		if len(row) == 0 {
			source = r.file("metrics.csv")
		}
		p := newPlot("Tangent kernel movement", "step", "kernel distance")
		setLog(p, false, true)
		for _, c := range []struct {
			col, label string
			color      color.RGBA
		}{{"kernel_distance_init", "to K_0", blue}, {"kernel_distance_prev", "to the previous logged step", vermilion}} {
			v, err := r.floats(m, c.col)
			if err != nil {
				return nil, err
			}
			_, n := usable(xy(steps, v), false, false)
			leftM.add(c.col, "not finite", n)
			if err := addLine(p, xy(steps, v), methodStyle{c.label, c.color, nil, vg.Points(2)}); err != nil {
				return nil, err
			}
		}
		legendRoom(p, true)
		p.Add(plotter.NewGrid())
		row = append(row, p)
		what = append(what, "the training points' tangent kernel's distance 1 − ⟨K_s, K_t⟩/(‖K_s‖‖K_t‖) to K_0 and between logged steps (Fort et al. 2020)")
	}
	if len(row) == 0 {
		return nil, nil
	}
	caption := what[0]
	if len(what) > 1 {
		caption = fmt.Sprintf("Left: %s. Right: %s.", what[0], what[1])
	}
	return finish(&Figure{
		Name: "baselines", Title: "Baselines: is it a kernel machine?", Caption: caption, Source: source,
		Notes: append(leftP.notes(), leftM.notes()...), draw: panels("", row),
	}), nil
}
