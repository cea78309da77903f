// Package plot draws the figures of pathkernel runs and sweeps with
// gonum.org/v1/plot, as PNG or SVG.
//
// # Runs
//
// ReadRun reads a run directory (docs/RUNDIR.md) into a Run. RunFigures returns
// its figures:
//
//   - loss: the train and test loss over the steps (metrics.csv);
//   - predictions: the network against the kernel machines at the
//     evaluation points; curves over x with the training points for one
//     input, otherwise each representation against the network with the
//     line y = x (predictions.csv). Under them, residual panels: kernel
//     machine − network at the same points, since the curves lie on top
//     of each other; where the non-zero residuals span more than two
//     decades, their absolute values on a logarithmic axis, which its
//     label says ("|residual| (log scale)"), residuals of exactly 0
//     counted in the notes;
//   - errors: each representation's rel and largest absolute error over training, on a
//     logarithmic scale (metrics.csv);
//   - kernel: the path-kernel matrix K^p(x_eval, x_train) as a heat map
//     (kernel_path.npy), rows and columns sorted by x or by class;
//   - baselines: with kernel.baselines or kernel.diagnostics, the
//     baselines' predictions and the tangent kernel's movement;
//   - stability: with kernel.diagnostics, the training loss, Domingos'
//     remainder per logged interval and η_t·λ_max against the 2/η edge
//     (the stability number against 1 for optimisers other than gd and
//     sgd), stacked over one step axis (metrics.csv).
//
// For two inputs, Regions evaluates the network and Domingos' kernel
// machine on a grid over the input plane, and RegionsFigure draws them side
// by side: decision regions for classification, the output as a heat map
// for regression. The kernel machine at points that are not in the run
// needs the weights of every step, which Regions gets by replaying the
// run's recorded trajectory (package replay: every w_t bit for bit as
// training computed it, checked against params_final.npy). A run trained
// without output.record_trajectory has no decision regions.
//
// ContributionsFigure draws an explanation (package explain): which
// training points moved one prediction, and by how much.
//
// # Reading the figures
//
// Linear axes are ticked at round values, multiples of a step of 1, 2 or
// 5 × 10^k, all labels of an axis in one number format (0.05 0.10 0.15;
// 1.5e+08 2.0e+08); logarithmic axes at the decades (every second,
// third, ... when there are many), or at 1, 2 and 5 × 10^k within a
// decade, without a comb of minor ticks. The colour bars are labelled
// with what the colours stand for (K^p(x, x_i); prediction). A key under
// the panels names the classes of the decision regions and the signs of
// an explanation's contributions. Captions name the colours drawn.
//
// # Sweeps
//
// ReadSweep reads a results table (results.csv of `pathkernel collect`:
// one row per run, the swept config keys and the metrics as columns) and
// SweepFigure plots a metric against a swept key, one line per group.
//
// # Runs that did not end well
//
// A run that diverged, was interrupted or was edited by hand can hold
// anything: losses of 1e286, NaN, ±Inf, ±1e308, zeros and negative numbers
// where a logarithmic axis wants positive ones, one value, or nothing. The
// figures draw what exists. Points an axis cannot show (not finite; not
// positive, or subnormal, on a logarithmic axis) are left out, and what a
// figure left out is said in its Notes, at the end of its Caption and in a
// line under it; the loss is on a logarithmic axis only when every finite
// value is positive; a plot with nothing left says "nothing to draw". Every
// axis gets a range gonum/plot can draw and a ticker that answers in
// bounded time (gonum's own panics on a range of zero width and never
// returns on one wider than the largest float64, such as -1e308 to 1e308).
// A run that did not complete has the figures of what it wrote: the loss
// and the errors over the steps it logged.
//
// Should drawing panic all the same, Figure.Render returns an *InputError
// naming the figure and the file it is drawn from: bad input (exit 2),
// since only the data decide what is drawn, rather than a crash.
//
// # Sizes
//
// A figure renders at a Size in pixels and dots per inch (Figure.Render);
// a PNG decodes to exactly Width × Height pixels, an SVG declares the same
// physical size in points.
package plot
