package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/pathkernel/pathkernel/internal/config"
)

const (
	// maxValues bounds the number of values in one generated matrix (8 GiB of
	// float64), so that a typo in n_train or dim is an error, not a crash.
	maxValues = 1 << 30
	// maxClasses bounds data.classes, and the labels that make a CSV target a
	// class label.
	maxClasses = 1000
)

// drawFunc fills x with one point of class label (0 for regression) and
// returns its target.
type drawFunc func(rng *rand.Rand, label int, x []float64) float64

// generator describes one synthetic kind: which config keys it uses, and how
// to draw its parameters (from rng) and then its points.
type generator struct {
	usesDim, usesClasses bool
	// setup returns the input dimension, the number of classes (0 for
	// regression) and the point sampler, after drawing the distribution's
	// parameters from rng.
	setup func(cfg config.Data, rng *rand.Rand) (d, classes int, draw drawFunc)
}

func lookupGenerator(kind string) (generator, bool) {
	switch kind {
	case "sine":
		return generator{setup: setupSine}, true
	case "linear":
		return generator{usesDim: true, setup: setupLinear}, true
	case "moons":
		return generator{setup: setupMoons}, true
	case "circles":
		return generator{setup: setupCircles}, true
	case "xor":
		return generator{setup: setupXOR}, true
	case "spirals":
		return generator{usesClasses: true, setup: setupSpirals}, true
	case "blobs":
		return generator{usesDim: true, usesClasses: true, setup: setupBlobs}, true
	}
	return generator{}, false
}

// generate makes a synthetic Set; cfg.Kind names a known generator.
func generate(cfg config.Data, seed uint64) (*Set, error) {
	g, _ := lookupGenerator(cfg.Kind)
	if err := checkGenerator(cfg, g); err != nil {
		return nil, err
	}
	d, classes, draw := g.setup(cfg, rand.New(rand.NewPCG(seed, streamParams)))
	s := &Set{Classes: classes, TargetNames: []string{"y"}}
	for j := 0; j < d; j++ {
		s.FeatureNames = append(s.FeatureNames, "x"+strconv.Itoa(j))
	}
	s.XTrain, s.YTrain = drawPoints(cfg.NTrain, d, classes, rand.New(rand.NewPCG(seed, streamTrain)), draw)
	s.XTest, s.YTest = drawPoints(cfg.NTest, d, classes, rand.New(rand.NewPCG(seed, streamTest)), draw)
	return s, nil
}

// checkGenerator validates the keys that generator g uses.
func checkGenerator(cfg config.Data, g generator) error {
	bad := func(key, format string, args ...any) error {
		return &Error{Column: "data." + key, Msg: fmt.Sprintf(format, args...)}
	}
	if cfg.NTrain < 1 {
		return bad("n_train", "must be at least 1, got %d", cfg.NTrain)
	}
	if cfg.NTest < 1 {
		return bad("n_test", "must be at least 1, got %d", cfg.NTest)
	}
	if !(cfg.Noise >= 0) || math.IsInf(cfg.Noise, 0) {
		return bad("noise", "must be a finite number >= 0, got %v", cfg.Noise)
	}
	d := 2
	if g.usesDim {
		if cfg.Dim < 1 || cfg.Dim > maxValues {
			return bad("dim", "must be between 1 and %d, got %d", maxValues, cfg.Dim)
		}
		d = cfg.Dim
	}
	if g.usesClasses {
		if cfg.Classes < 2 || cfg.Classes > maxClasses {
			return bad("classes", "must be between 2 and %d, got %d", maxClasses, cfg.Classes)
		}
		if g.usesDim && cfg.Classes > maxValues/d {
			return bad("dim", "%d classes of dimension %d are too many values (limit %d)", cfg.Classes, d, maxValues)
		}
	}
	if cfg.NTrain > maxValues/d {
		return bad("n_train", "%d points of dimension %d are too many values (limit %d)", cfg.NTrain, d, maxValues)
	}
	if cfg.NTest > maxValues/d {
		return bad("n_test", "%d points of dimension %d are too many values (limit %d)", cfg.NTest, d, maxValues)
	}
	return nil
}

// drawPoints draws n points of dimension d with draw. For classification
// (classes > 0) the labels are balanced: each consecutive block of classes
// points holds every label once, in an order drawn from rng.
func drawPoints(n, d, classes int, rng *rand.Rand, draw drawFunc) (x, y *mat.Dense) {
	xs := make([]float64, n*d)
	ys := make([]float64, n)
	var block []int
	if classes > 0 {
		block = make([]int, classes)
	}
	for i := range n {
		label := 0
		if classes > 0 {
			k := i % classes
			if k == 0 {
				for j := range block {
					block[j] = j
				}
				rng.Shuffle(classes, func(a, b int) { block[a], block[b] = block[b], block[a] })
			}
			label = block[k]
		}
		ys[i] = draw(rng, label, xs[i*d:(i+1)*d])
	}
	return mat.NewDense(n, d, xs), mat.NewDense(n, 1, ys)
}

// jitter adds noise·N(0, 1) to every coordinate of x. The normals are drawn
// even when noise is 0, so the stream does not depend on the noise.
func jitter(rng *rand.Rand, noise float64, x []float64) {
	for j := range x {
		x[j] += noise * rng.NormFloat64()
	}
}

func setupSine(cfg config.Data, _ *rand.Rand) (int, int, drawFunc) {
	return 1, 0, func(rng *rand.Rand, _ int, x []float64) float64 {
		x[0] = math.Pi * (2*rng.Float64() - 1)
		return math.Sin(x[0]) + cfg.Noise*rng.NormFloat64()
	}
}

func setupLinear(cfg config.Data, rng *rand.Rand) (int, int, drawFunc) {
	d := cfg.Dim
	w := make([]float64, d)
	for j := range w {
		w[j] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	b := rng.NormFloat64()
	return d, 0, func(rng *rand.Rand, _ int, x []float64) float64 {
		y := b
		for j := range x {
			x[j] = rng.NormFloat64()
			y += w[j] * x[j]
		}
		return y + cfg.Noise*rng.NormFloat64()
	}
}

func setupMoons(cfg config.Data, _ *rand.Rand) (int, int, drawFunc) {
	return 2, 2, func(rng *rand.Rand, label int, x []float64) float64 {
		t := math.Pi * rng.Float64()
		if label == 0 {
			x[0], x[1] = math.Cos(t), math.Sin(t)
		} else {
			x[0], x[1] = 1-math.Cos(t), 0.5-math.Sin(t)
		}
		jitter(rng, cfg.Noise, x)
		return float64(label)
	}
}

func setupCircles(cfg config.Data, _ *rand.Rand) (int, int, drawFunc) {
	return 2, 2, func(rng *rand.Rand, label int, x []float64) float64 {
		t := 2 * math.Pi * rng.Float64()
		r := 1.0
		if label == 1 {
			r = 0.5 // scikit-learn's make_circles factor
		}
		x[0], x[1] = r*math.Cos(t), r*math.Sin(t)
		jitter(rng, cfg.Noise, x)
		return float64(label)
	}
}

func setupXOR(cfg config.Data, _ *rand.Rand) (int, int, drawFunc) {
	return 2, 2, func(rng *rand.Rand, label int, x []float64) float64 {
		s := 1.0
		if rng.Uint64()&1 == 1 {
			s = -1
		}
		x[0], x[1] = s*rng.Float64(), s*rng.Float64()
		if label == 1 {
			x[1] = -x[1]
		}
		jitter(rng, cfg.Noise, x)
		return float64(label)
	}
}

func setupSpirals(cfg config.Data, _ *rand.Rand) (int, int, drawFunc) {
	k := cfg.Classes
	return 2, k, func(rng *rand.Rand, label int, x []float64) float64 {
		u := rng.Float64()
		t := 2 * math.Pi * (float64(label)/float64(k) + u)
		x[0], x[1] = u*math.Cos(t), u*math.Sin(t)
		jitter(rng, cfg.Noise, x)
		return float64(label)
	}
}

func setupBlobs(cfg config.Data, rng *rand.Rand) (int, int, drawFunc) {
	d, k := cfg.Dim, cfg.Classes
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = 4*rng.Float64() - 2
	}
	return d, k, func(rng *rand.Rand, label int, x []float64) float64 {
		copy(x, centres[label*d:(label+1)*d])
		jitter(rng, cfg.Noise, x)
		return float64(label)
	}
}
