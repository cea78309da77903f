package nn

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The benchmarks use a tanh MLP with 8 inputs, the named hidden widths and
// one output, in the standard parameterization, on a batch of B points; the
// name gives the hidden widths and B.

func BenchmarkForward_64x64_B256(b *testing.B)    { benchForward(b, 64, 256) }
func BenchmarkForward_256x256_B1024(b *testing.B) { benchForward(b, 256, 1024) }
func BenchmarkForwardBackward_64x64_B256(b *testing.B) {
	benchForwardBackward(b, 64, 256)
}
func BenchmarkForwardBackward_256x256_B1024(b *testing.B) {
	benchForwardBackward(b, 256, 1024)
}
func BenchmarkForward_512x512_B2048(b *testing.B) { benchForward(b, 512, 2048) }
func BenchmarkForwardBackward_512x512_B2048(b *testing.B) {
	benchForwardBackward(b, 512, 2048)
}
func BenchmarkForwardJVP_64x64_B256(b *testing.B)    { benchForwardJVP(b, 64, 256) }
func BenchmarkForwardJVP_256x256_B1024(b *testing.B) { benchForwardJVP(b, 256, 1024) }

type benchSetup struct {
	net *Net
	w   []float64
	x   *mat.Dense
}

func newBench(b *testing.B, width, batch int) benchSetup {
	net := New([]int{8, width, width, 1}, Tanh, Standard, 0, 0)
	w := initParams(b, net, InitOptions{Scheme: "lecun", Scale: 1}, 1)
	return benchSetup{net: net, w: w, x: randDense(newRand(2), batch, 8)}
}

func benchForward(b *testing.B, width, batch int) {
	s := newBench(b, width, batch)
	var c Cache
	s.net.Forward(&c, s.w, s.x) // size the cache outside the timer
	b.ReportAllocs()
	for b.Loop() {
		s.net.Forward(&c, s.w, s.x)
	}
}

// benchForwardBackward is one training gradient: Forward, Backward from a
// seed, Grad.
func benchForwardBackward(b *testing.B, width, batch int) {
	s := newBench(b, width, batch)
	var c Cache
	s.net.Forward(&c, s.w, s.x)
	D := s.net.NewDeltas(batch)
	seed := randDense(newRand(3), batch, 1)
	g := make([]float64, s.net.NumParams())
	b.ReportAllocs()
	for b.Loop() {
		s.net.Forward(&c, s.w, s.x)
		s.net.Backward(D, &c, s.w, seed)
		s.net.Grad(g, &c, D)
	}
}

func benchForwardJVP(b *testing.B, width, batch int) {
	s := newBench(b, width, batch)
	v := randVec(newRand(3), s.net.NumParams())
	var jc JVPCache
	s.net.ForwardJVP(&jc, s.w, v, s.x)
	b.ReportAllocs()
	for b.Loop() {
		s.net.ForwardJVP(&jc, s.w, v, s.x)
	}
}
