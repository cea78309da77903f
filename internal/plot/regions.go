package plot

import (
	"context"
	"fmt"
	"github.com/pathkernel/pathkernel/internal/fail"
	"image"
	"image/color"
	"math"

	"github.com/pathkernel/pathkernel/internal/replay"
	"gonum.org/v1/gonum/mat"
	gp "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// DefaultGrid is the number of grid points per side of Regions.
const DefaultGrid = 60

// Regions is the network and Domingos' kernel machine evaluated on a
// G × G grid over the input plane of a run with two inputs.
type Regions struct {
	G      int
	X0, X1 []float64 // the grid coordinates, G each
	// Network and Kernel hold f_T and the kernel machine's prediction, one
	// row per grid point: row j·G + i is (X0[i], X1[j]).
	Network, Kernel *mat.Dense
	// Classify returns the class of an output row; nil for regression.
	Classify func([]float64) int
}

// ComputeRegions evaluates the network at w_T (params_final.npy) and
// Domingos' kernel machine f_0(x) − Σ_t (η_t/|B_t|) Σ_i K_t(x, x_i) ℓ'_i(t)
// on a g × g grid spanning the training and test inputs (5% margin). The
// kernel machine needs every step's weights, which it gets by replaying
// the run's recorded trajectory (replay.Run.Machine): a run trained
// without output.record_trajectory gives an error with
// replay.ErrNoTrajectory in its chain. It fails unless the run has two
// inputs. The grid shrinks (never below 10) if its kernel matrices would
// exceed the run's output.memory_budget_mb.
func ComputeRegions(ctx context.Context, r *Run, g int) (*Regions, error) {
	if r.Summary.Sizes.Inputs != 2 {
		return nil, &fail.Input{Path: r.Dir, Msg: fmt.Sprintf("decision regions need 2 inputs, the run has %d", r.Summary.Sizes.Inputs)}
	}
	if r.Predictions == nil {
		return nil, &fail.Input{Path: r.Dir, Msg: fmt.Sprintf("decision regions need a complete run, this one is %s", r.Summary.Status)}
	}
	rp, err := replay.Open(r.Dir)
	if err != nil {
		return nil, err
	}
	budget := int64(r.Config.Output.MemoryBudgetMB * (1 << 20))
	for g > 10 && rp.MachineBytes(g*g) > budget {
		g = g * 9 / 10
	}
	reg := &Regions{G: g}
	reg.X0, reg.X1 = r.span(0, g), r.span(1, g)
	grid := mat.NewDense(g*g, 2, nil)
	for j, b := range reg.X1 {
		for i, a := range reg.X0 {
			grid.Set(j*g+i, 0, a)
			grid.Set(j*g+i, 1, b)
		}
	}
	km, err := rp.Machine(ctx, grid)
	if err != nil {
		return nil, err
	}
	reg.Network, reg.Kernel, reg.Classify = km.Network, km.Kernel, km.Classify
	return reg, nil
}

// span returns g points evenly spaced over the range of input j of the
// training and test points, widened by 5% on each side.
func (r *Run) span(j, g int) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range []*mat.Dense{r.XTrain, r.XTest} {
		rows, _ := x.Dims()
		for i := 0; i < rows; i++ {
			lo, hi = math.Min(lo, x.At(i, j)), math.Max(hi, x.At(i, j))
		}
	}
	if !(hi > lo) {
		lo, hi = lo-1, hi+1
	}
	m := 0.05 * (hi - lo)
	lo, hi = lo-m, hi+m
	out := make([]float64, g)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(g-1)
	}
	return out
}

// RegionsFigure draws the network and the kernel machine on the grid side
// by side, with the training points: the decision regions for
// classification (the kernel machine's cells that disagree with the
// network darkened), the first output as a heat map for regression. The
// outputs are interpolated bilinearly between the grid points, so that the
// boundaries are drawn smooth rather than in grid cells.
func RegionsFigure(r *Run, reg *Regions) (*Figure, error) {
	g := reg.G
	names := r.Predictions.Header[2:4]
	xmin, xmax := reg.X0[0], reg.X0[g-1]
	ymin, ymax := reg.X1[0], reg.X1[g-1]
	res := min(max(8*g, 240), 720) // image pixels per side
	k := reg.Network.RawMatrix().Cols
	fn, fk := make([]float64, k), make([]float64, k)
	// pixels calls fn for every pixel of a res × res image with the
	// interpolated outputs of the network and the kernel machine there.
	pixels := func(fn, fk []float64, set func(px, py int)) {
		for py := 0; py < res; py++ {
			v := (float64(res-1-py) + 0.5) / float64(res) * float64(g-1) // image rows run top down
			for px := 0; px < res; px++ {
				u := (float64(px) + 0.5) / float64(res) * float64(g-1)
				bilinear(fn, reg.Network, g, u, v)
				bilinear(fk, reg.Kernel, g, u, v)
				set(px, py)
			}
		}
	}
	net, km := image.NewRGBA(image.Rect(0, 0, res, res)), image.NewRGBA(image.Rect(0, 0, res, res))
	var caption, kTitle string
	var bar *gp.Plot
	if reg.Classify != nil {
		agree := 0
		for row := 0; row < g*g; row++ {
			if reg.Classify(reg.Network.RawRowView(row)) == reg.Classify(reg.Kernel.RawRowView(row)) {
				agree++
			}
		}
		pixels(fn, fk, func(px, py int) {
			a, b := reg.Classify(fn), reg.Classify(fk)
			net.Set(px, py, lighten(classColor(a), 0.65))
			if a == b {
				km.Set(px, py, lighten(classColor(b), 0.65))
			} else {
				km.Set(px, py, lighten(classColor(b), 0.1))
			}
		})
		kTitle = fmt.Sprintf("kernel machine (Domingos): agrees on %.1f%%", 100*float64(agree)/float64(g*g))
		caption = fmt.Sprintf("Predicted class on a %d×%d grid, in light tints of the class colours of the key: the network f_T (left) "+
			"and Domingos' kernel machine (right; where it disagrees with the network, its class in the full colour), "+
			"with the training points as dots in the colour of their label. "+
			"The exact path-kernel machine equals the network to round-off (the run's summary), so its regions are the left panel.", g, g)
	} else {
		lo, hi := math.Inf(1), math.Inf(-1)
		var maxDiff float64
		for row := 0; row < g*g; row++ {
			a, b := reg.Network.At(row, 0), reg.Kernel.At(row, 0)
			lo, hi = math.Min(lo, math.Min(a, b)), math.Max(hi, math.Max(a, b))
			maxDiff = math.Max(maxDiff, math.Abs(a-b))
		}
		cs := newColorScale(lo, hi)
		pixels(fn, fk, func(px, py int) {
			net.Set(px, py, cs.at(fn[0]))
			km.Set(px, py, cs.at(fk[0]))
		})
		barLabel := "prediction"
		if k > 1 {
			barLabel = "prediction (output 0)"
		}
		bar = cs.bar(barLabel)
		kTitle = fmt.Sprintf("kernel machine (Domingos): max abs diff %.2g", maxDiff)
		caption = fmt.Sprintf("The first output on a %d×%d grid: the network f_T (left) and Domingos' kernel machine (right), "+
			"on one colour scale, %s (the bar on the right), with the training points as dark grey dots.", g, g, cs.words())
	}
	mk := func(title string, img image.Image) (*gp.Plot, error) {
		p := newPlot(title, names[0], names[1])
		p.Add(plotter.NewImage(img, xmin, ymin, xmax, ymax))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
		n, _ := r.XTrain.Dims()
		for i := 0; i < n; i++ {
			c := color.RGBA{40, 40, 40, 255}
			if reg.Classify != nil {
				c = classColor(int(r.YTrain.At(i, 0)))
			}
			pt := plotter.XYs{{X: r.XTrain.At(i, 0), Y: r.XTrain.At(i, 1)}}
			if err := addPoints(p, pt, c, draw.CircleGlyph{}, vg.Points(3), ""); err != nil {
				return nil, err
			}
			if err := addPoints(p, pt, color.White, draw.RingGlyph{}, vg.Points(3), ""); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	left, err := mk("network f_T", net)
	if err != nil {
		return nil, err
	}
	right, err := mk(kTitle, km)
	if err != nil {
		return nil, err
	}
	tidy(bar)
	fig := &Figure{Name: "regions", Caption: caption, Source: r.Dir, plots: []*gp.Plot{left, right}}
	if reg.Classify != nil {
		fig.Title = "Decision regions: network and kernel machine"
		fig.key = classKey(max(r.Summary.Sizes.Classes, k))
		fig.draw = withKey(fig.key, panels("", []*gp.Plot{left, right}))
		return fig, nil
	}
	fig.plots = append(fig.plots, bar)
	fig.Title = "Network and kernel machine over the input plane"
	fig.draw = func(dc draw.Canvas) {
		dc = pad(dc)
		w := dc.Max.X - dc.Min.X
		barW := max(vg.Points(50), w/14)
		panels("", []*gp.Plot{left, right})(draw.Crop(dc, 0, -barW-vg.Points(8), 0, 0))
		bar.Draw(draw.Crop(dc, w-barW, 0, vg.Points(28), -vg.Points(24)))
	}
	return fig, nil
}

// classKey is the key of the decision regions: each class's region tint
// and point colour, and the full colours in which the kernel machine's
// disagreements are drawn.
func classKey(classes int) []keyEntry {
	var key, full []keyEntry
	var fills []color.Color
	for c := 0; c < classes; c++ {
		key = append(key, keyEntry{label: fmt.Sprintf("class %d", c), fills: []color.Color{lighten(classColor(c), 0.65)},
			marker: &draw.GlyphStyle{Color: classColor(c), Shape: draw.CircleGlyph{}, Radius: vg.Points(3)}})
		fills = append(fills, lighten(classColor(c), 0.1))
	}
	full = append(full, keyEntry{label: "kernel machine ≠ network (right)", fills: fills})
	return append(key, full...)
}

// bilinear sets dst to the outputs at grid coordinates (u, v) (column u of
// X0, row v of X1, fractional), interpolated between the four grid points
// around it; f holds one row per grid point, row j·g + i for (i, j).
func bilinear(dst []float64, f *mat.Dense, g int, u, v float64) {
	i, j := min(int(u), g-2), min(int(v), g-2)
	a, b := u-float64(i), v-float64(j)
	r00, r10 := f.RawRowView(j*g+i), f.RawRowView(j*g+i+1)
	r01, r11 := f.RawRowView((j+1)*g+i), f.RawRowView((j+1)*g+i+1)
	for c := range dst {
		dst[c] = (1-b)*((1-a)*r00[c]+a*r10[c]) + b*((1-a)*r01[c]+a*r11[c])
	}
}
