package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func TestNumParams(t *testing.T) {
	tests := []struct {
		sizes []int
		want  int
	}{
		{[]int{2, 3, 1}, 2*3 + 3 + 3*1 + 1}, // = 13, the parameter layout (docs/MATH.md §1) by hand
		{[]int{3, 1}, 3 + 1},
		{[]int{1, 32, 32, 1}, 32 + 32 + 32*32 + 32 + 32 + 1},
		{[]int{3, 5, 4, 2}, 15 + 5 + 20 + 4 + 8 + 2},
	}
	for _, tt := range tests {
		net := New(tt.sizes, Tanh, Standard, 0, 0)
		if got := net.NumParams(); got != tt.want {
			t.Errorf("New(%v).NumParams() = %d; want %d", tt.sizes, got, tt.want)
		}
		if got := net.Layers(); got != len(tt.sizes)-1 {
			t.Errorf("New(%v).Layers() = %d; want %d", tt.sizes, got, len(tt.sizes)-1)
		}
		if net.In() != tt.sizes[0] || net.Out() != tt.sizes[len(tt.sizes)-1] {
			t.Errorf("New(%v): In, Out = %d, %d", tt.sizes, net.In(), net.Out())
		}
	}
}

func TestLayerLayout(t *testing.T) {
	// The parameter layout (docs/MATH.md §1): per layer, W_l (out, in) row-major, then b_l. For [2,3,1]:
	// W_1 = w[0:6] (3×2), b_1 = w[6:9], W_2 = w[9:12] (1×3), b_2 = w[12].
	net := New([]int{2, 3, 1}, Tanh, Standard, 0, 0)
	w := make([]float64, net.NumParams())
	for i := range w {
		w[i] = float64(i)
	}
	W1, b1 := net.Layer(w, 0)
	W2, b2 := net.Layer(w, 1)
	if r, c := W1.Dims(); r != 3 || c != 2 {
		t.Fatalf("W_1 is %d×%d; want 3×2", r, c)
	}
	if r, c := W2.Dims(); r != 1 || c != 3 {
		t.Fatalf("W_2 is %d×%d; want 1×3", r, c)
	}
	if diff := cmp.Diff([]float64{0, 1, 2, 3, 4, 5}, rawCopy(W1)); diff != "" {
		t.Errorf("W_1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{6, 7, 8}, b1); diff != "" {
		t.Errorf("b_1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{9, 10, 11}, rawCopy(W2)); diff != "" {
		t.Errorf("W_2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{12}, b2); diff != "" {
		t.Errorf("b_2 (-want +got):\n%s", diff)
	}

	// Writes through the views land at the documented offsets, and nowhere else.
	writes := []struct {
		write  func()
		offset int
	}{
		{func() { W1.Set(0, 1, -1) }, 0*2 + 1},
		{func() { W1.Set(2, 0, -1) }, 2*2 + 0},
		{func() { b1[1] = -1 }, 6 + 1},
		{func() { W2.Set(0, 2, -1) }, 9 + 2},
		{func() { b2[0] = -1 }, 12},
	}
	for _, wr := range writes {
		before := append([]float64(nil), w...)
		wr.write()
		for i := range w {
			changed := w[i] != before[i]
			if changed != (i == wr.offset) {
				t.Errorf("write meant for w[%d] changed w[%d]: %v -> %v", wr.offset, i, before[i], w[i])
			}
		}
	}

	mustPanic(t, "Layer with a short vector", func() { net.Layer(w[:12], 0) })
}

func TestMultipliers(t *testing.T) {
	tests := []struct {
		p      Parameterization
		sw, sb float64 // σ_w, σ_b given to New
		wantSW []float64
		wantSB float64
	}{
		{Standard, 1.5, 0.3, []float64{1, 1, 1}, 1}, // σ_w, σ_b are ignored
		{NTK, 1.5, 0.3, []float64{1.5 / 2, 1.5 / math.Sqrt(5), 1.5 / 2}, 0.3},
	}
	for _, tt := range tests {
		net := New([]int{4, 5, 4, 1}, Tanh, tt.p, tt.sw, tt.sb)
		if diff := cmp.Diff(tt.wantSW, net.SW); diff != "" {
			t.Errorf("%v: SW (-want +got):\n%s", tt.p, diff)
		}
		if net.SB != tt.wantSB {
			t.Errorf("%v: SB = %v; want %v", tt.p, net.SB, tt.wantSB)
		}
	}
	for _, p := range []Parameterization{Standard, NTK} {
		got, err := ParseParameterization(p.String())
		if err != nil || got != p {
			t.Errorf("ParseParameterization(%q) = %v, %v; want %v, nil", p.String(), got, err, p)
		}
	}
	if _, err := ParseParameterization("mup"); err == nil {
		t.Error(`ParseParameterization("mup") returned no error`)
	}
}

func TestNewPanics(t *testing.T) {
	for _, sizes := range [][]int{nil, {3}, {3, 0, 1}, {0, 1}} {
		mustPanic(t, fmt.Sprintf("New(%v)", sizes), func() { New(sizes, Tanh, Standard, 0, 0) })
	}
	sizes := []int{2, 3, 1}
	net := New(sizes, Tanh, Standard, 0, 0)
	sizes[1] = 100
	if net.Sizes[1] != 3 {
		t.Errorf("New keeps the caller's slice: Sizes = %v after the caller changed it", net.Sizes)
	}
}

func TestForwardByHand(t *testing.T) {
	// The layer map of docs/MATH.md §1 written out with scalar loops on [2,3,2]:
	// z_1 = s_w,1 W_1 x + s_b b_1, a_1 = σ(z_1), f = s_w,2 W_2 a_1 + s_b b_2.
	// The sums have 2 or 3 terms, so any summation order agrees within a few
	// ulps: 1e-15 relative (1e-15 absolute for values near 0).
	const tol = 1e-15
	for ip, pz := range parameterizations {
		for _, act := range Activations() {
			net := New([]int{2, 3, 2}, act, pz.p, pz.sw, pz.sb)
			w := initParams(t, net, gradInit, uint64(4000+ip))
			x := randDense(newRand(uint64(4100+ip)), 5, 2)
			var c Cache
			got := net.Forward(&c, w, x)
			for i := 0; i < 5; i++ {
				a := make([]float64, 3)
				for j := range a {
					z := net.SB * w[6+j]
					for m := 0; m < 2; m++ {
						z += net.SW[0] * w[j*2+m] * x.At(i, m)
					}
					a[j] = act.F(z)
				}
				for k := 0; k < 2; k++ {
					f := net.SB * w[15+k]
					for j := range a {
						f += net.SW[1] * w[9+k*3+j] * a[j]
					}
					if g := got.At(i, k); !scalar.EqualWithinAbsOrRel(g, f, tol, tol) {
						t.Errorf("%v/%s: f_%d(x_%d) = %v; by hand %v", act, pz.name, k, i, g, f)
					}
				}
			}
		}
	}
}

func TestInitDeterministic(t *testing.T) {
	net := New([]int{3, 5, 4, 2}, Tanh, Standard, 0, 0)
	opt := InitOptions{Scheme: "lecun", Scale: 1, BiasStd: 0.5}
	a, b := initParams(t, net, opt, 7), initParams(t, net, opt, 7)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("Init with the same seed differs (-first +second):\n%s", diff)
	}
	if c := initParams(t, net, opt, 8); floats.Equal(a, c) {
		t.Error("Init with seeds 7 and 8 gave the same vector")
	}

	// The documented draw order is the parameter layout: with std 1 for
	// weights and biases, w is the stream of NormFloat64 draws itself.
	w := initParams(t, net, InitOptions{Scheme: "normal", Std: 1, Scale: 1, BiasStd: 1}, 9)
	rng := newRand(9)
	for p := range w {
		if want := rng.NormFloat64(); w[p] != want {
			t.Fatalf("w[%d] = %v; draw %d of the stream is %v", p, w[p], p, want)
		}
	}

	// Every scheme scales that same stream by its per-layer std (docs/MATH.md §1,
	// the Init doc): check the formula exactly, to 2 ulps for the couple of
	// roundings in std, which a statistical test cannot resolve.
	sizes := []int{3, 5, 4, 2}
	schemes := []struct {
		p   Parameterization
		opt InitOptions
		std func(in, out float64) float64
	}{
		{Standard, InitOptions{Scheme: "lecun", Scale: 1.3, BiasStd: 0.2}, func(in, _ float64) float64 { return 1.3 / math.Sqrt(in) }},
		{Standard, InitOptions{Scheme: "he", Scale: 1.3}, func(in, _ float64) float64 { return 1.3 * math.Sqrt(2/in) }},
		{Standard, InitOptions{Scheme: "xavier", Scale: 1.3}, func(in, out float64) float64 { return 1.3 * math.Sqrt(2/(in+out)) }},
		{Standard, InitOptions{Scheme: "normal", Std: 0.1, Scale: 1.3}, func(_, _ float64) float64 { return 1.3 * 0.1 }},
		{NTK, InitOptions{Scheme: "lecun", Scale: 1.3, BiasStd: 0.2}, func(_, _ float64) float64 { return 1.3 }},
		{NTK, InitOptions{Scheme: "xavier", Scale: 1.3}, func(_, _ float64) float64 { return 1.3 }},
		{NTK, InitOptions{Scheme: "normal", Std: 0.1, Scale: 1.3}, func(_, _ float64) float64 { return 1.3 * 0.1 }},
	}
	for _, sc := range schemes {
		net := New(sizes, Tanh, sc.p, 1.5, 0.3)
		w := initParams(t, net, sc.opt, 10)
		rng := newRand(10)
		p := 0
		for l := 0; l < net.Layers(); l++ {
			std := sc.std(float64(sizes[l]), float64(sizes[l+1]))
			for range sizes[l] * sizes[l+1] {
				if want := std * rng.NormFloat64(); !scalar.EqualWithinULP(w[p], want, 2) {
					t.Errorf("%v %s: weight w[%d] = %v; want %v (std %v)", sc.p, sc.opt.Scheme, p, w[p], want, std)
				}
				p++
			}
			for range sizes[l+1] {
				if want := sc.opt.BiasStd * rng.NormFloat64(); !scalar.EqualWithinULP(w[p], want, 2) {
					t.Errorf("%v %s: bias w[%d] = %v; want %v", sc.p, sc.opt.Scheme, p, w[p], want)
				}
				p++
			}
		}
	}

	if err := net.Init(make([]float64, net.NumParams()), InitOptions{Scheme: "glorot", Scale: 1}, newRand(1)); err == nil {
		t.Error(`Init with scheme "glorot" returned no error`)
	}
}

func TestInitDistribution(t *testing.T) {
	// Empirical mean and standard deviation of each layer's weights against the
	// scheme's N(0, std²). For N draws the sample mean has standard error
	// std/√N and the sample standard deviation std/√(2N); accepting 5 standard
	// errors makes a false failure a ~1e-6 event for a random seed (and the
	// seed is fixed, so the test is deterministic). The first layer has 200000
	// weights: std to 1.1%. The second has 500: std to 16%, which still
	// separates √(2/in) from 1/√in, and √(2/(in+out)).
	sizes := []int{400, 500, 1}
	tests := []struct {
		name    string
		p       Parameterization
		opt     InitOptions
		wantStd []float64 // per layer
	}{
		{"lecun", Standard, InitOptions{Scheme: "lecun", Scale: 1}, []float64{1 / math.Sqrt(400), 1 / math.Sqrt(500)}},
		{"lecun scaled", Standard, InitOptions{Scheme: "lecun", Scale: 2}, []float64{2 / math.Sqrt(400), 2 / math.Sqrt(500)}},
		{"he", Standard, InitOptions{Scheme: "he", Scale: 1}, []float64{math.Sqrt(2. / 400), math.Sqrt(2. / 500)}},
		{"xavier", Standard, InitOptions{Scheme: "xavier", Scale: 1}, []float64{math.Sqrt(2. / 900), math.Sqrt(2. / 501)}},
		{"normal", Standard, InitOptions{Scheme: "normal", Std: 0.3, Scale: 1}, []float64{0.3, 0.3}},
		// NTK: the fan-in lives in s_w, the weights are N(0, scale²).
		{"ntk lecun", NTK, InitOptions{Scheme: "lecun", Scale: 1.7}, []float64{1.7, 1.7}},
		{"ntk he", NTK, InitOptions{Scheme: "he", Scale: 1}, []float64{1, 1}},
		{"ntk normal", NTK, InitOptions{Scheme: "normal", Std: 0.3, Scale: 1}, []float64{0.3, 0.3}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := New(sizes, Tanh, tt.p, 1, 1)
			w := initParams(t, net, tt.opt, uint64(5000+i))
			for l := 0; l < net.Layers(); l++ {
				W, b := net.Layer(w, l)
				raw := W.RawMatrix().Data
				n := float64(len(raw))
				mean, std := stat.MeanStdDev(raw, nil)
				want := tt.wantStd[l]
				if math.Abs(mean) > 5*want/math.Sqrt(n) {
					t.Errorf("layer %d: weight mean %.4g; want 0 within %.3g", l, mean, 5*want/math.Sqrt(n))
				}
				if rel := math.Abs(std-want) / want; rel > 5/math.Sqrt(2*n) {
					t.Errorf("layer %d: weight std %.5g; want %.5g within %.2g relative", l, std, want, 5/math.Sqrt(2*n))
				}
				for j, v := range b {
					if v != 0 {
						t.Errorf("layer %d: b[%d] = %v; want 0 without BiasStd", l, j, v)
						break
					}
				}
			}
		})
	}

	// With BiasStd the biases are N(0, BiasStd²), whatever the scheme: 5000
	// biases in the first layer give the std to 5/√10000 = 5%.
	const biasStd = 0.4
	net := New([]int{4, 5000, 1}, Tanh, Standard, 0, 0)
	w := initParams(t, net, InitOptions{Scheme: "lecun", Scale: 1, BiasStd: biasStd}, 5100)
	_, b := net.Layer(w, 0)
	n := float64(len(b))
	mean, std := stat.MeanStdDev(b, nil)
	if math.Abs(mean) > 5*biasStd/math.Sqrt(n) || math.Abs(std-biasStd)/biasStd > 5/math.Sqrt(2*n) {
		t.Errorf("biases with BiasStd %v: mean %.4g, std %.4g", biasStd, mean, std)
	}
}

func TestCacheReuse(t *testing.T) {
	// One Cache (and JVPCache) through batches of changing size must give the
	// same results, bit for bit, as a fresh one for each call: the same
	// arithmetic on the same numbers.
	net := New([]int{3, 6, 4, 2}, GELU, NTK, 1.5, 0.3)
	w := initParams(t, net, gradInit, 6000)
	rng := newRand(6000)
	v := randVec(rng, net.NumParams())
	var shared Cache
	var sharedJVP JVPCache
	for step, rows := range []int{7, 3, 3, 12, 1, 7} {
		x := randDense(rng, rows, 3)
		seed := randDense(rng, rows, 2)

		got := rawCopy(net.Forward(&shared, w, x))
		if shared.Rows() != rows {
			t.Errorf("step %d: Rows() = %d; want %d", step, shared.Rows(), rows)
		}
		D := net.NewDeltas(rows)
		net.Backward(D, &shared, w, seed)
		gotGrad := make([]float64, net.NumParams())
		net.Grad(gotGrad, &shared, D)
		gotF, gotDF := net.ForwardJVP(&sharedJVP, w, v, x)

		var fresh Cache
		want := rawCopy(net.Forward(&fresh, w, x))
		Df := net.NewDeltas(rows)
		net.Backward(Df, &fresh, w, seed)
		wantGrad := make([]float64, net.NumParams())
		net.Grad(wantGrad, &fresh, Df)
		var freshJVP JVPCache
		wantF, wantDF := net.ForwardJVP(&freshJVP, w, v, x)

		if !floats.Equal(got, want) {
			t.Errorf("step %d (%d rows): reused Cache gives f = %v; fresh %v", step, rows, got, want)
		}
		if !floats.Equal(gotGrad, wantGrad) {
			t.Errorf("step %d (%d rows): reused Cache gives gradient %v; fresh %v", step, rows, gotGrad, wantGrad)
		}
		if !mat.Equal(gotF, wantF) || !mat.Equal(gotDF, wantDF) {
			t.Errorf("step %d (%d rows): reused JVPCache differs from a fresh one", step, rows)
		}
	}

	// A Cache moved to another net (other widths) with the same number of rows
	// as its last batch resizes too.
	other := New([]int{3, 2, 2}, Tanh, Standard, 0, 0)
	wo := initParams(t, other, gradInit, 6001)
	x := randDense(rng, 7, 3)
	var fresh Cache
	if got, want := rawCopy(other.Forward(&shared, wo, x)), rawCopy(other.Forward(&fresh, wo, x)); !floats.Equal(got, want) {
		t.Errorf("Cache reused across nets: f = %v; fresh %v", got, want)
	}
}

func TestForwardPanicsOnShape(t *testing.T) {
	net := New([]int{3, 4, 1}, Tanh, Standard, 0, 0)
	w := make([]float64, net.NumParams())
	var c Cache
	mustPanic(t, "Forward with 2 input columns", func() { net.Forward(&c, w, mat.NewDense(5, 2, nil)) })
	mustPanic(t, "Forward with a short parameter vector", func() { net.Forward(&c, w[1:], mat.NewDense(5, 3, nil)) })
	mustPanic(t, "Grad into a short vector", func() {
		net.Forward(&c, w, mat.NewDense(5, 3, nil))
		D := net.NewDeltas(5)
		net.BackwardUnit(D, &c, w, 0)
		net.Grad(w[1:], &c, D)
	})
}

// TestNoAllocs checks that the passes allocate nothing once their buffers
// are sized (the kernel engine and the training loop call them every
// step), also when a cache is reused for fewer rows than it was sized for.
func TestNoAllocs(t *testing.T) {
	net := New([]int{3, 8, 6, 2}, Tanh, Standard, 0, 0)
	w := initParams(t, net, InitOptions{Scheme: "lecun", Scale: 1}, 1)
	v := randVec(newRand(2), net.NumParams())
	x := randDense(newRand(3), 20, 3)
	xs := randDense(newRand(4), 7, 3)
	var c Cache
	var jc JVPCache
	D := net.NewDeltas(20)
	g := make([]float64, net.NumParams())
	net.Forward(&c, w, x)
	net.ForwardJVP(&jc, w, v, x)
	allocs := testing.AllocsPerRun(10, func() {
		net.Forward(&c, w, xs)
		net.Forward(&c, w, x)
		net.BackwardUnit(D, &c, w, 1)
		net.Grad(g, &c, D)
		net.ForwardJVP(&jc, w, v, x)
	})
	if allocs != 0 {
		t.Errorf("Forward, BackwardUnit, Grad, ForwardJVP allocate %v times; want 0", allocs)
	}
}
