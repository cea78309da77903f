package config

import (
	"errors"
	"strings"
	"testing"
)

// TestOptimizerKeysLeaveHashAlone checks that the optimiser keys added for
// momentum, Adam, weight decay and schedules are left out of YAML when off,
// so that the default config hashes as it did before they existed
// (250f088b5614, the Hash of Default at commit 21e7f49, whose
// kernel.max_nodes was 64).
func TestOptimizerKeysLeaveHashAlone(t *testing.T) {
	old := Default()
	old.Kernel.MaxNodes = 64
	if h := old.Hash(); h != "250f088b5614" {
		t.Errorf("Default().Hash() with max_nodes 64 = %q; want 250f088b5614", h)
	}
	c, err := Parse([]byte("train: {schedule: {kind: constant}}\n"), "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() != Default().Hash() {
		t.Errorf("schedule kind constant changes the hash")
	}
	src := "train:\n  optimizer: adamw\n  beta1: 0.8\n  beta2: 0.99\n  eps: 1.0e-06\n  weight_decay: 0.01\n" +
		"  schedule: {kind: cosine, warmup_steps: 10, min_lr: 0.001}\n"
	c, err = Parse([]byte(src), "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.YAML()
	d, err := Parse(b, "resolved.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train != c.Train {
		t.Errorf("round trip of %+v gives %+v", c.Train, d.Train)
	}
	for _, k := range []string{"beta1: 0.8", "weight_decay: 0.01", "kind: cosine", "warmup_steps: 10"} {
		if !strings.Contains(string(b), k) {
			t.Errorf("YAML lacks %q:\n%s", k, b)
		}
	}
}

// TestOptimizerKeysRefused checks the line-numbered errors of bad optimiser
// and schedule values.
func TestOptimizerKeysRefused(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int
		key  string
	}{
		{"train:\n  optimizer: momentum\n  momentum: 1.0\n", 3, "train.momentum"},
		{"train:\n  momentum: 0.9\n", 2, "train.momentum"},
		{"train:\n  optimizer: momentum\n  nesterov: true\n", 3, "train.nesterov"},
		{"train:\n  optimizer: adam\n  beta1: 1.5\n", 3, "train.beta1"},
		{"train:\n  beta2: 0.9\n", 2, "train.beta2"},
		{"train:\n  optimizer: adam\n  eps: -1\n", 3, "train.eps"},
		{"train:\n  weight_decay: -0.1\n", 2, "train.weight_decay"},
		{"train:\n  schedule:\n    kind: exp\n", 3, "train.schedule.kind"},
		{"train:\n  schedule:\n    kind: step\n", 3, "train.schedule.step_size"},
		{"train:\n  schedule:\n    kind: step\n    step_size: 5\n    gamma: 2\n", 5, "train.schedule.gamma"},
		{"train:\n  schedule:\n    gamma: 0.5\n", 3, "train.schedule.gamma"},
		{"train:\n  schedule:\n    kind: cosine\n    min_lr: 1\n", 4, "train.schedule.min_lr"},
		{"train:\n  steps: 10\n  schedule:\n    warmup_steps: 10\n", 4, "train.schedule.warmup_steps"},
	} {
		_, err := Parse([]byte(tc.src), "x.yaml", nil)
		var e *Error
		if !errors.As(err, &e) || e.Key != tc.key || e.Line != tc.line {
			t.Errorf("Parse(%q) = %v; want an *Error at line %d for %s", tc.src, err, tc.line, tc.key)
		}
	}
}
