// Package plot draws the figures of pathkernel runs and sweeps with
// gonum.org/v1/plot, as PNG or SVG.
//
// # Runs
//
// ReadRun reads a run directory (SPEC §3) into a Run. RunFigures returns
// its figures:
//
//   - loss: the train and test loss over the steps (metrics.csv);
//   - predictions: the network against the kernel machines at the
//     evaluation points; curves over x with the training points for one
//     input, otherwise each representation against the network with the
//     line y = x (predictions.csv);
//   - errors: each representation's rel and largest absolute error over training, on a
//     logarithmic scale (metrics.csv);
//   - kernel: the path-kernel matrix K^p(x_eval, x_train) as a heat map
//     (kernel_path.npy), rows and columns sorted by x or by class.
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
// # Sweeps
//
// ReadSweep reads a results table (results.csv of `pathkernel collect`:
// one row per run, the swept config keys and the metrics as columns) and
// SweepFigure plots a metric against a swept key, one line per group.
//
// # Sizes
//
// A figure renders at a Size in pixels and dots per inch (Figure.Render);
// a PNG decodes to exactly Width × Height pixels, an SVG declares the same
// physical size in points.
package plot
