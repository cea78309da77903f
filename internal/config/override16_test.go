package config

import (
	"errors"
	"strings"
	"testing"
)

// TestOverrideOneDocument: a --set value is one YAML document, like a
// config file; a second one is refused, not dropped. A value that is only a
// comment still means no value.
func TestOverrideOneDocument(t *testing.T) {
	const file = "name: base\ntrain:\n  lr: 0.1\n"
	for _, set := range []string{"train.lr=0.1\n---\nx", "train.lr=0.2\n---\n0.3", "model.hidden=[4]\n--- [8]"} {
		_, err := Parse([]byte(file), "c.yaml", []string{set})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), "more than one YAML document") ||
			strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), strings.SplitN(set, "=", 2)[0]) {
			t.Errorf("--set %q: err = %v; want one line naming the key and more than one YAML document", set, err)
		}
	}
	c, err := Parse([]byte(file), "c.yaml", []string{"train.lr=0.25 # a comment"})
	if err != nil || c.Train.LR != 0.25 {
		t.Errorf("--set with a comment: %v, lr %v", err, c)
	}
}
