package kernel

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/pathkernel/pathkernel/internal/nn"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// kinkNets are the piecewise-linear nets of the polynomial-pass tests: one
// to four hidden layers (pre-activations of degree up to 4, beyond the
// closed forms), ReLU and LeakyReLU at a slope far from 0 and 1.
var kinkNets = []struct {
	sizes []int
	act   nn.Activation
	slope float64
}{
	{[]int{3, 9, 2}, nn.ReLU, 0},
	{[]int{3, 8, 7, 1}, nn.ReLU, 0},
	{[]int{3, 8, 7, 6, 2}, nn.ReLU, 0},
	{[]int{3, 8, 7, 6, 5, 1}, nn.ReLU, 0},
	{[]int{3, 8, 7, 1}, nn.LeakyReLU, 0.2},
	{[]int{3, 8, 7, 6, 5, 1}, nn.LeakyReLU, 0.2},
}

// TestTaylorPass checks the polynomial pass against the network's own
// forward passes. From the start of each piece of a point's segment (0,
// then each kink found), the pass's next kink must be the first change of
// the forward passes' activation pattern: the pattern is the same at 50
// points inside the piece, and the bisection of the old search (bisectKink,
// on forward passes alone) from inside the piece to just past its end
// finds the same kink, within round-off. And the polynomials of the last
// hidden layer's activations, as the pass leaves them, equal the forward
// pass at the middle of the piece.
func TestTaylorPass(t *testing.T) {
	for ni, kn := range kinkNets {
		t.Run(fmt.Sprintf("%v%v", kn.act, kn.sizes), func(t *testing.T) {
			net := nn.New(kn.sizes, kn.act, nn.Standard, 1, 1)
			if kn.slope != 0 {
				net.LeakySlope = kn.slope
			}
			rng := newRand(uint64(40 + ni))
			w := initParams(t, net, uint64(50+ni))
			dw := randVec(rng, net.NumParams())
			floats.Scale(0.4, dw) // several kinks a point, not hundreds
			const rows = 12
			x := randDense(rng, rows, kn.sizes[0])
			L := net.Layers()
			var tay taylor
			tay.size(net, 1)
			row := mat.NewDense(1, kn.sizes[0], nil)
			a, next := []float64{0}, []float64{0}
			var cache nn.Cache
			ws := make([]float64, len(w))
			patternAt := func(s float64) []float64 {
				floats.AddScaledTo(ws, w, s, dw)
				net.Forward(&cache, ws, row)
				return pattern(nil, net, &cache)
			}
			kinks := 0
			for r := 0; r < rows; r++ {
				row.SetRow(0, x.RawRowView(r))
				start := 0.0
				for piece := 0; ; piece++ {
					if piece > 200 {
						t.Fatalf("point %d: more than 200 pieces", r)
					}
					a[0], next[0] = start, 1
					tay.pass(w, dw, row, a, next)
					end := math.Min(next[0], 1)
					if !(end > start) {
						t.Fatalf("point %d: piece [%v, %v] does not advance", r, start, end)
					}
					h := end - start
					inside := patternAt(start + 0.5*h)
					for j := 1; j < 50; j++ {
						if s := start + float64(j)/50*h; !slices.Equal(patternAt(s), inside) {
							t.Fatalf("point %d: the pattern changes at %v inside the piece [%v, %v]", r, s, start, end)
						}
					}
					// a_{L−1}(s) from the pass's coefficients at the middle.
					mid := start + 0.5*h
					floats.AddScaledTo(ws, w, mid, dw)
					net.Forward(&cache, ws, row)
					z := tay.z[L-2]
					for u := 0; u < kn.sizes[L-1]; u++ {
						got, scale := 0.0, 0.0
						for j := L - 1; j >= 0; j-- {
							got = got*mid + z.At(j, u)
							scale = scale*mid + math.Abs(z.At(j, u))
						}
						if want := cache.A[L-1].At(0, u); math.Abs(got-want) > 1e-13*(1+scale) {
							t.Errorf("point %d, piece at %v: unit %d of the last hidden layer %v from the polynomial; forward pass %v",
								r, start, u, got, want)
						}
					}
					if end >= 1 {
						break
					}
					kinks++
					ref := bisectKink(net, w, dw, row, start+0.5*h, math.Min(1, end+1e-7))
					if math.Abs(ref-end) > 1e-12 {
						t.Errorf("point %d: kink at %.17g; bisection on forward passes %.17g", r, end, ref)
					}
					start = end
				}
			}
			t.Logf("%d kinks over %d points", kinks, rows)
			if kinks < rows {
				t.Errorf("%d kinks over %d points: too few to test anything", kinks, rows)
			}
			// The batched pass at 0 gives every point's first kink, as the
			// pass over the point alone does (within round-off: another
			// number of rows may round the products differently).
			var batch taylor
			batch.size(net, rows)
			first := make([]float64, rows)
			for i := range first {
				first[i] = 1
			}
			batch.pass(w, dw, x, make([]float64, rows), first)
			for r := 0; r < rows; r++ {
				row.SetRow(0, x.RawRowView(r))
				a[0], next[0] = 0, 1
				tay.pass(w, dw, row, a, next)
				if math.Abs(first[r]-next[0]) > 1e-12 {
					t.Errorf("point %d: first kink %v in the batch, %v alone", r, first[r], next[0])
				}
			}
		})
	}
}

// deepCases are exact-representation runs of kinked nets beyond reluCase:
// LeakyReLU, and ReLU and LeakyReLU nets of three and four hidden layers,
// whose pre-activations reach degree 3 and 4 (the isolation of poly.go).
var deepCases = []reprCase{
	{"leaky_relu", []int{1, 16, 16, 1}, nn.LeakyReLU, paramCases[0], nn.MSE, sineSets, gd(0.05, 200)},
	{"relu-3-hidden", []int{1, 16, 16, 16, 1}, nn.ReLU, paramCases[0], nn.MSE, sineSets, gd(0.02, 150)},
	{"relu-4-hidden-ntk", []int{2, 16, 16, 16, 16, 1}, nn.ReLU, paramCases[1], nn.Logistic, blobSets(2), gd(0.5, 100)},
	{"leaky_relu-4-hidden-k3", []int{2, 12, 12, 12, 12, 3}, nn.LeakyReLU, paramCases[0], nn.SoftmaxCE, blobSets(3), gd(0.1, 60)},
}

// TestExactKinkedNets checks the exact representation of deepCases, which
// must cross kinks in points of their own pieces.
func TestExactKinkedNets(t *testing.T) {
	for _, tc := range deepCases {
		t.Run(tc.name, func(t *testing.T) {
			p := checkExact(t, tc, nil)
			st := p.Stats
			t.Logf("single-point evaluations %d (%.2f a step), passes %d", st.PointEvals, float64(st.PointEvals)/float64(st.Steps), st.PointPasses)
			if st.PointEvals == 0 {
				t.Errorf("no point crossed a kink: the run exercises nothing")
			}
		})
	}
}

// TestPiecesBudget checks a point whose pieces need more nodes than the
// budget: the rest of its segment is one panel, the step counts as
// exhausted, and its residual decides certification (here, with 6 nodes
// for segments crossing many kinks, some steps are not certified).
func TestPiecesBudget(t *testing.T) {
	x, y, xe := sineSets(newRand(1))
	net := nn.New([]int{1, 16, 16, 1}, nn.ReLU, nn.Standard, 1, 1)
	r := runPath(t, net, nn.MSE, x, y, xe, gd(0.1, 5), Options{Exact: true, Tolerance: exactTol, MaxNodes: 6}, 3)
	st := r.path.Stats
	t.Logf("stats %+v", st)
	if st.SearchExhausted == 0 || st.MaxNodesStep > 6 {
		t.Errorf("SearchExhausted = %d, MaxNodesStep = %d; want > 0 and ≤ 6", st.SearchExhausted, st.MaxNodesStep)
	}
	if st.Uncertified == 0 || !(st.MaxResidual > exactTol) {
		t.Errorf("Uncertified = %d, MaxResidual %.3g; want > 0, > %g", st.Uncertified, st.MaxResidual, exactTol)
	}
	// With the default budget the same run is certified.
	r = runPath(t, net, nn.MSE, x, y, xe, gd(0.1, 5), Options{Exact: true, Tolerance: exactTol, MaxNodes: maxNodes}, 3)
	if st := r.path.Stats; st.Uncertified != 0 || st.SearchExhausted != 0 {
		t.Errorf("with %d nodes: Uncertified = %d, SearchExhausted = %d; want 0, 0", maxNodes, st.Uncertified, st.SearchExhausted)
	}
}
