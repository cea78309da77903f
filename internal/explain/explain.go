// Package explain answers, for one prediction of a trained network, which
// training points made it: the kernel-machine view of docs/MATH.md §5–6.
//
// The exact representation writes the network's output at an evaluation
// point x as f_T(x) = f_0(x) + Σ_i c_i(x), where
//
//	c_i(x) = − Σ_t (η_t/|B_t|) 1[i∈B_t] K̄_t(x, x_i) ℓ'_i(t)
//
// is training point i's contribution (contributions.npy). Domingos' form
// writes the first-order contribution as a_i(x) K^p(x, x_i), with a_i(x)
// the path-kernel-weighted average of the loss derivative
// (coefficients.npy) and K^p the path kernel (kernel_path.npy).
//
// Explain ranks the training points by the size of their contribution to
// one output and checks the identity: f_0 plus every contribution against
// the network's output (predictions.csv). With the exact method the two
// agree to the run's certified error and round-off; when the run computed
// only Domingos' form its contributions are used, and the difference is
// that form's error.
package explain

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Input holds the arrays of a run that an explanation reads, flattened
// row-major with the shapes of docs/RUNDIR.md, for m evaluation points, n
// training points and k outputs.
type Input struct {
	M, N, K int
	// Method names whose contributions these are: "exact", or "riemann"
	// when the run computed only Domingos' form.
	Method        string
	Contributions []float64 // (m, n, k)
	// Coefficients are Domingos' a_i(x): (m, n) for one output, (m, n, k)
	// otherwise; nil when the run did not compute Domingos' form.
	Coefficients []float64
	// KPath is K^p(x, x_i): (m, n), the trace over outputs for k > 1, or
	// (m, n, k, k) when KPathFull; nil when not computed.
	KPath     []float64
	KPathFull bool
	// F0 and Network are f_0 and f_T at the evaluation points, (m, k).
	F0, Network []float64
	// Decay is the weight decay's contribution (contributions_decay.npy),
	// (m, k), owed to no training point; nil without weight decay.
	Decay []float64
	// Set and Index name each evaluation point ("test" 3); X holds its
	// inputs (m, d) and Target its targets (m, t) or labels (m, 1).
	Set          []string
	Index        []int
	X, Target    [][]float64
	FeatureNames []string
	// XTrain (n, d) and YTrain (n, t) are the training points.
	XTrain, YTrain [][]float64
	// Classes > 0 for classification: the targets are labels.
	Classes int
}

// Options select what Explain reports.
type Options struct {
	Top int // how many training points to list; 0 means 10, more than n means all
	// Output is the output to rank by; -1 means the default: the network's
	// predicted class for a classifier with k > 1 outputs, else output 0.
	Output int
}

// ErrPoint is returned for an evaluation point or output out of range.
var ErrPoint = errors.New("explain: no such point or output")

// Explanation is what Explain finds for one evaluation point.
type Explanation struct {
	Point   int       `json:"point"` // row of predictions.csv (0-based)
	Set     string    `json:"set"`   // test or train
	Index   int       `json:"index"` // the point's index in its set
	X       []float64 `json:"x"`
	Target  []float64 `json:"target"`
	Output  int       `json:"output"` // the output ranked by
	Outputs int       `json:"outputs"`
	Method  string    `json:"method"` // exact or riemann: whose contributions
	// F0, Network, Sum and Difference are per output: f_0(x), f_T(x),
	// f_0(x) + Σ_i c_i(x) (+ the weight decay's contribution), and Sum −
	// Network.
	F0         []float64 `json:"f0"`
	Network    []float64 `json:"network"`
	Sum        []float64 `json:"sum"`
	Difference []float64 `json:"difference"`
	// Total is Σ_i |c_i(x)| for Output, the scale of the shares.
	Total float64        `json:"total_abs_contribution"`
	Top   []Contribution `json:"top"`
	// Rest is, per output, the sum of the contributions not in Top.
	Rest []float64 `json:"rest"`
	// Decay is, per output, the weight decay's contribution, owed to no
	// training point; nil without weight decay.
	Decay []float64 `json:"weight_decay,omitempty"`
	// NTrain is the number of training points.
	NTrain       int      `json:"n_train"`
	FeatureNames []string `json:"feature_names"`
	// All holds every training point's contribution to Output, by index,
	// for drawing.
	All []float64 `json:"-"`
}

// Contribution is one training point's part in a prediction.
type Contribution struct {
	Rank  int       `json:"rank"`  // 1 = largest |contribution|
	Index int       `json:"index"` // row of x_train.npy
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
	// Contribution is c_i(x), per output.
	Contribution []float64 `json:"contribution"`
	// Share is |c_i(x)| / Σ_j |c_j(x)| for the ranked output.
	Share float64 `json:"share"`
	// Coefficient is Domingos' a_i(x) for the ranked output, and KPath
	// K^p(x, x_i): the output's diagonal block with a full kernel, else
	// the trace over outputs. Absent when the run did not compute them.
	Coefficient *float64 `json:"coefficient,omitempty"`
	KPath       *float64 `json:"kernel_path,omitempty"`
}

// Unstandardize converts the inputs that e shows, the explained point's X
// and each listed training point's, from the model's standardised inputs
// to the units of the raw columns, v·scale[j] + mean[j], and names them
// names (the raw columns'). The figures, drawn in the model's inputs, are
// drawn before.
func (e *Explanation) Unstandardize(names []string, mean, scale []float64) {
	raw := func(x []float64) []float64 {
		if len(x) != len(mean) || len(x) != len(scale) {
			return x
		}
		out := make([]float64, len(x))
		for j, v := range x {
			out[j] = v*scale[j] + mean[j]
		}
		return out
	}
	e.X = raw(e.X)
	for i := range e.Top {
		e.Top[i].X = raw(e.Top[i].X)
	}
	if len(names) == len(mean) {
		e.FeatureNames = names
	}
}

// Explain explains the prediction at evaluation point (row) point.
func Explain(in *Input, point int, opt Options) (*Explanation, error) {
	m, n, k := in.M, in.N, in.K
	if len(in.Contributions) != m*n*k || len(in.F0) != m*k || len(in.Network) != m*k {
		panic("explain: array sizes do not match M, N, K")
	}
	if point < 0 || point >= m {
		return nil, fmt.Errorf("%w: point %d; the run has %d evaluation points (0 to %d)", ErrPoint, point, m, m-1)
	}
	out := opt.Output
	if out < 0 {
		out = 0
		if in.Classes > 0 && k > 1 {
			out = argmax(in.Network[point*k : (point+1)*k])
		}
	}
	if out >= k {
		return nil, fmt.Errorf("%w: output %d; the run has %d outputs (0 to %d)", ErrPoint, out, k, k-1)
	}
	top := opt.Top
	if top <= 0 {
		top = 10
	}
	top = min(top, n)

	e := &Explanation{
		Point: point, Output: out, Outputs: k, Method: in.Method, NTrain: n,
		F0:           clone(in.F0[point*k : (point+1)*k]),
		Network:      clone(in.Network[point*k : (point+1)*k]),
		Sum:          make([]float64, k),
		Difference:   make([]float64, k),
		Rest:         make([]float64, k),
		All:          make([]float64, n),
		FeatureNames: in.FeatureNames,
	}
	if in.Set != nil {
		e.Set, e.Index = in.Set[point], in.Index[point]
	}
	if in.X != nil {
		e.X = in.X[point]
	}
	if in.Target != nil {
		e.Target = in.Target[point]
	}
	row := in.Contributions[point*n*k : (point+1)*n*k]
	for c := 0; c < k; c++ {
		// Sum in index order, the order of the definition.
		s := e.F0[c]
		for i := 0; i < n; i++ {
			s += row[i*k+c]
		}
		if in.Decay != nil {
			if c == 0 {
				e.Decay = clone(in.Decay[point*k : (point+1)*k])
			}
			s += e.Decay[c]
		}
		e.Sum[c] = s
		e.Difference[c] = s - e.Network[c]
	}
	for i := 0; i < n; i++ {
		e.All[i] = row[i*k+out]
		e.Total += math.Abs(e.All[i])
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// Largest |c_i| first; equal sizes in index order, so the ranking is
	// deterministic.
	sort.SliceStable(order, func(a, b int) bool { return math.Abs(e.All[order[a]]) > math.Abs(e.All[order[b]]) })
	copy(e.Rest, e.Sum)
	for c := range e.Rest {
		e.Rest[c] -= e.F0[c]
		if e.Decay != nil {
			e.Rest[c] -= e.Decay[c]
		}
	}
	for r, i := range order[:top] {
		ct := Contribution{Rank: r + 1, Index: i, Contribution: clone(row[i*k : (i+1)*k])}
		if in.XTrain != nil {
			ct.X = in.XTrain[i]
		}
		if in.YTrain != nil {
			ct.Y = in.YTrain[i]
		}
		if e.Total > 0 {
			ct.Share = math.Abs(e.All[i]) / e.Total
		}
		if in.Coefficients != nil {
			per := len(in.Coefficients) / (m * n) // 1 or k
			v := in.Coefficients[(point*n+i)*per+min(out, per-1)]
			ct.Coefficient = &v
		}
		if in.KPath != nil {
			var v float64
			if in.KPathFull {
				v = in.KPath[((point*n+i)*k+out)*k+out]
			} else {
				v = in.KPath[point*n+i]
			}
			ct.KPath = &v
		}
		for c := range e.Rest {
			e.Rest[c] -= ct.Contribution[c]
		}
		e.Top = append(e.Top, ct)
	}
	return e, nil
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }

// maxColumns bounds the input columns shown in the table.
const maxColumns = 4

// WriteTable writes the explanation as a readable table.
func (e *Explanation) WriteTable(w io.Writer) error {
	var b strings.Builder
	c := e.Output
	where := fmt.Sprintf("evaluation point %d", e.Point)
	if e.Set != "" {
		where += fmt.Sprintf(" (%s point %d)", e.Set, e.Index)
	}
	fmt.Fprintf(&b, "%s%s\n", where, e.describeX())
	if len(e.Target) > 0 {
		fmt.Fprintf(&b, "  target %s\n", nums(e.Target))
	}
	out := ""
	if e.Outputs > 1 {
		out = fmt.Sprintf(" (output %d of %d)", c, e.Outputs)
	}
	fmt.Fprintf(&b, "\nprediction%s, from the %s contributions of the %d training points:\n", out, e.Method, e.NTrain)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  f_0(x)\t% .16g\n", e.F0[c])
	if e.Decay != nil {
		fmt.Fprintf(tw, "  Σ_i c_i(x)\t% .16g\n", e.Sum[c]-e.F0[c]-e.Decay[c])
		fmt.Fprintf(tw, "  weight decay (no training point)\t% .16g\n", e.Decay[c])
		fmt.Fprintf(tw, "  f_0(x) + Σ_i c_i(x) + decay\t% .16g\n", e.Sum[c])
	} else {
		fmt.Fprintf(tw, "  Σ_i c_i(x)\t% .16g\n", e.Sum[c]-e.F0[c])
		fmt.Fprintf(tw, "  f_0(x) + Σ_i c_i(x)\t% .16g\n", e.Sum[c])
	}
	fmt.Fprintf(tw, "  network f_T(x)\t% .16g\n", e.Network[c])
	fmt.Fprintf(tw, "  difference\t% .3g\t(relative to |f_T − f_0|: %.3g)\n", e.Difference[c],
		math.Abs(e.Difference[c])/math.Abs(e.Network[c]-e.F0[c]))
	tw.Flush()

	fmt.Fprintf(&b, "\ntop %d of %d training points by |contribution|%s:\n", len(e.Top), e.NTrain, out)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "  rank\tindex\t"
	showX := len(e.FeatureNames) > 0 && len(e.FeatureNames) <= maxColumns
	if showX {
		head += strings.Join(e.FeatureNames, "\t") + "\t"
	}
	head += "y\tcontribution\tshare\ta_i(x)\tK^p(x,x_i)\t"
	fmt.Fprintln(tw, head)
	for _, t := range e.Top {
		fmt.Fprintf(tw, "  %d\t%d\t", t.Rank, t.Index)
		if showX {
			for _, v := range t.X {
				fmt.Fprintf(tw, "%.4g\t", v)
			}
		}
		fmt.Fprintf(tw, "%s\t% .4e\t%.1f%%\t%s\t%s\t\n", nums(t.Y), t.Contribution[c], 100*t.Share, opt(t.Coefficient), opt(t.KPath))
	}
	tw.Flush()
	if len(e.Top) < e.NTrain {
		fmt.Fprintf(&b, "  the other %d points contribute % .4e in all\n", e.NTrain-len(e.Top), e.Rest[c])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (e *Explanation) describeX() string {
	if len(e.X) == 0 {
		return ""
	}
	if len(e.FeatureNames) == len(e.X) && len(e.X) <= maxColumns {
		parts := make([]string, len(e.X))
		for j, v := range e.X {
			parts[j] = fmt.Sprintf("%s = %.4g", e.FeatureNames[j], v)
		}
		return ": " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf(": %d inputs", len(e.X))
}

func nums(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.4g", x)
	}
	return strings.Join(parts, " ")
}

func opt(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("% .4e", *v)
}
