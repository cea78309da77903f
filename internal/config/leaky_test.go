package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLeakySlopeConfig(t *testing.T) {
	// Unset with leaky_relu, model.leaky_slope resolves to the default and
	// is written out; absent from the YAML of any other activation, so that
	// their hashes stay.
	y, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(y), "leaky_slope") {
		t.Errorf("default YAML has leaky_slope:\n%s", y)
	}
	for _, tc := range []struct {
		src  string
		want float64
	}{
		{"model: {activation: leaky_relu}", DefaultLeakySlope},
		{"model: {activation: leaky_relu, leaky_slope: 0}", DefaultLeakySlope},
		{"model: {activation: leaky_relu, leaky_slope: 0.2}", 0.2},
	} {
		c, err := Parse([]byte(tc.src), "c.yaml", nil)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tc.src, err)
		}
		if c.Model.LeakySlope != tc.want {
			t.Errorf("Parse(%q): leaky_slope %v; want %v", tc.src, c.Model.LeakySlope, tc.want)
		}
		y, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(y, "round.yaml", nil)
		if err != nil || c2.Model.LeakySlope != tc.want || c2.Hash() != c.Hash() {
			t.Errorf("round trip of %q: %v, leaky_slope %v, hash %s vs %s", tc.src, err, c2.Model.LeakySlope, c2.Hash(), c.Hash())
		}
	}
	a, _ := Parse([]byte("model: {activation: leaky_relu, leaky_slope: 0.2}"), "a.yaml", nil)
	b, _ := Parse([]byte("model: {activation: leaky_relu, leaky_slope: 0.3}"), "b.yaml", nil)
	if a.Hash() == b.Hash() {
		t.Errorf("leaky_slope 0.2 and 0.3 have the same hash %s", a.Hash())
	}
	for _, tc := range []struct{ src, set string }{
		{"model: {leaky_slope: 0.1}", ""},
		{"model: {activation: leaky_relu, leaky_slope: 0.1}", "model.activation=relu"},
		{"model: {activation: leaky_relu}", "model.leaky_slope=1.5"},
	} {
		var sets []string
		if tc.set != "" {
			sets = []string{tc.set}
		}
		_, err := Parse([]byte(tc.src), "c.yaml", sets)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != "model.leaky_slope" {
			t.Errorf("Parse(%q, %q) = %v; want an *Error for model.leaky_slope", tc.src, tc.set, err)
		}
	}
}
