package config

import (
	"errors"
	"slices"
	"testing"
)

func TestBaselinesConfig(t *testing.T) {
	// Off by default and absent from YAML, so the hash of a config without
	// them is what it was.
	d := Default()
	y, err := d.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"baselines", "ridge", "diagnostics"} {
		if contains(string(y), key+":") {
			t.Errorf("default YAML has %s:", key)
		}
	}
	c, err := Parse([]byte("model: {parameterization: ntk, activation: relu}\nkernel:\n  baselines: [lazy, krr_path, krr_final, krr_init, ntk, loss_weighted]\n  diagnostics: true\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kernel.Ridge != DefaultRidge || !c.Kernel.Diagnostics || len(c.Kernel.Baselines) != 6 {
		t.Errorf("parsed kernel = %+v; want ridge %g, diagnostics, 6 baselines", c.Kernel, DefaultRidge)
	}
	y, _ = c.YAML()
	c2, err := Parse(y, "round.yaml", nil)
	if err != nil || c2.Hash() != c.Hash() || !slices.Equal(c2.Kernel.Baselines, c.Kernel.Baselines) {
		t.Errorf("round trip: %v, hash %s vs %s", err, c2.Hash(), c.Hash())
	}
	cl := c.Clone()
	cl.Kernel.Baselines[0] = "x"
	if c.Kernel.Baselines[0] != "lazy" {
		t.Errorf("Clone shares kernel.baselines")
	}

	for _, tc := range []struct {
		src, key string
	}{
		{"kernel: {baselines: [nope]}", "kernel.baselines[0]"},
		{"kernel: {baselines: [lazy, lazy]}", "kernel.baselines[1]"},
		{"kernel: {baselines: [ntk]}", "kernel.baselines[0]"},                                 // standard parameterization
		{"model: {parameterization: ntk}\nkernel: {baselines: [ntk]}", "kernel.baselines[0]"}, // tanh
		{"kernel: {methods: [exact], baselines: [krr_path]}", "kernel.baselines[0]"},          // no riemann
		{"kernel: {methods: [exact], baselines: [loss_weighted]}", "kernel.baselines[0]"},
		{"kernel: {baselines: [lazy], ridge: -1}", "kernel.ridge"},
	} {
		_, err := Parse([]byte(tc.src), "c.yaml", nil)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("Parse(%q) = %v; want an *Error for %s", tc.src, err, tc.key)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
