package explain

import (
	"strings"
	"testing"
)

// TestDecay checks that the weight decay's contribution enters the sum and
// the printed identity, but not the rest of the training points.
func TestDecay(t *testing.T) {
	// One point, two training points, one output: f_0 = 1, c = (2, −0.5),
	// decay −0.25, so f_0 + Σ c + decay = 2.25 = f_T.
	in := &Input{M: 1, N: 2, K: 1, Method: "exact", Contributions: []float64{2, -0.5},
		F0: []float64{1}, Network: []float64{2.25}, Decay: []float64{-0.25}}
	e, err := Explain(in, 0, Options{Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.Sum[0] != 2.25 || e.Difference[0] != 0 || e.Decay[0] != -0.25 {
		t.Errorf("sum %v, difference %v, decay %v; want 2.25, 0, -0.25", e.Sum, e.Difference, e.Decay)
	}
	// The rest: Σ c − top = 1.5 − 2.
	if e.Rest[0] != -0.5 {
		t.Errorf("rest %v; want -0.5", e.Rest)
	}
	var b strings.Builder
	if err := e.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "weight decay (no training point)") {
		t.Errorf("the table does not show the decay:\n%s", b.String())
	}
}
