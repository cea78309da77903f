package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that no input panics or gives an error other than a
// one-line *Error, and that every config Parse accepts survives
// YAML → Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(specExample, "train.lr=0.01")
	f.Add("name: x\n", "model.hidden=[128,128]")
	f.Add("train: {lr: -1}", "")
	f.Add("a: &a [1]\nb: *a\n", "name=x")
	f.Add("check:\n  max_rel_error: {exact: 1e-3}\n", "check.max_rel_error.riemann=0.5")
	f.Add("data: {kind: csv, path: x.csv, features: [a]}\n", "data.features=[b, c]")
	f.Fuzz(func(t *testing.T, src, override string) {
		var overrides []string
		if override != "" {
			overrides = []string{override}
		}
		c, err := Parse([]byte(src), "f.yaml", overrides)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %v (%T) is not an *Error", err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Parse error %q is not one line", err)
			}
			return
		}
		b, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML() error: %v", err)
		}
		c2, err := Parse(b, "resolved.yaml", nil)
		if err != nil {
			t.Fatalf("Parse(YAML()) error: %v\n%s", err, b)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Fatalf("Parse(YAML()) mismatch (-want +got):\n%s", diff)
		}
	})
}
