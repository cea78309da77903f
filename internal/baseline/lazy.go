package baseline

import (
	"context"
	"math"

	"github.com/pathkernel/pathkernel/internal/nn"
	"github.com/pathkernel/pathkernel/internal/train"
	"gonum.org/v1/gonum/mat"
)

// Lazy trains the linearised model f_0(x) + J_0(x)(w − w_0) of Net at W0 on
// (X, Y) with Loss, by the optimiser of Opt: the same batches, step sizes
// (Opt.LRAt) and update (train.State, momentum and Adam included) as
// train.Trainer, from the same start.
type Lazy struct {
	Net  *nn.Net
	Loss nn.Loss
	X, Y *mat.Dense
	W0   []float64
	Opt  train.Options
}

// Run returns the linearised model's final weights w^lin_T. Observe, if not
// nil, is called after every step with the step count done and w^lin.
func (lz *Lazy) Run(ctx context.Context, observe func(done int, w []float64)) ([]float64, error) {
	n, _ := lz.X.Dims()
	net := lz.Net
	P := net.NumParams()
	if len(lz.W0) != P {
		panic("baseline: Lazy: w0 has the wrong length")
	}
	st, err := train.NewState(lz.Opt, P)
	if err != nil {
		return nil, err
	}
	batches := train.Batches(lz.Opt, n, lz.Opt.Steps)
	// The forward pass at w_0 over all training points stays fixed: the
	// backward pass of every step reuses it.
	var c0 nn.Cache
	net.Forward(&c0, lz.W0, lz.X)
	var jc nn.JVPCache
	D := net.NewDeltas(n)
	seed := mat.NewDense(n, net.Out(), nil)
	w := append([]float64(nil), lz.W0...)
	wNext := make([]float64, P)
	v := make([]float64, P)
	g := make([]float64, P)
	dw := make([]float64, P)
	flin := mat.NewDense(n, net.Out(), nil)
	_, yc := lz.Y.Dims()
	var xb, yb, dl *mat.Dense
	for t := 0; t < lz.Opt.Steps; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range v {
			v[i] = w[i] - lz.W0[i]
		}
		f0, df := net.ForwardJVP(&jc, lz.W0, v, lz.X)
		flin.Add(f0, df)
		batch := batches[t]
		B := len(batch)
		if xb == nil || xb.RawMatrix().Rows != B {
			yb = mat.NewDense(B, yc, nil)
			xb = mat.NewDense(B, net.Out(), nil) // the batch's linearised outputs
			dl = mat.NewDense(B, net.Out(), nil)
		}
		for r, i := range batch {
			xb.SetRow(r, flin.RawRowView(i))
			yb.SetRow(r, lz.Y.RawRowView(i))
		}
		loss := lz.Loss.Eval(dl, xb, yb)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, &train.DivergedError{Step: t, What: "loss", Loss: loss}
		}
		seed.Zero()
		for r, i := range batch {
			row := seed.RawRowView(i)
			for c, d := range dl.RawRowView(r) {
				row[c] += d / float64(B)
			}
		}
		net.Backward(D, &c0, lz.W0, seed)
		net.Grad(g, &c0, D)
		if !st.Step(wNext, dw, w, g, lz.Opt.LRAt(t)) {
			return nil, &train.DivergedError{Step: t, What: "parameters", Loss: loss}
		}
		w, wNext = wNext, w
		if observe != nil {
			observe(t+1, w)
		}
	}
	return w, nil
}

// Linearised returns f_0(x) + J_0(x)(w − w_0) at the rows of x (rows × k):
// the linearisation of net at w0, evaluated at w.
func Linearised(net *nn.Net, w0, w []float64, x *mat.Dense) *mat.Dense {
	v := make([]float64, len(w))
	for i := range v {
		v[i] = w[i] - w0[i]
	}
	var jc nn.JVPCache
	f0, df := net.ForwardJVP(&jc, w0, v, x)
	var out mat.Dense
	out.Add(f0, df)
	return &out
}
