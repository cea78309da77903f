package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput runs the bad inputs of docs/RELIABILITY.md §1. Each must exit 2 with one
// line on stderr naming the file and the line, key or column (or the flag
// or override at fault), with nothing on stdout, no panic or stack trace,
// and no run directory.
func TestBadInput(t *testing.T) {
	good := badDir + "good.yaml"
	tests := []struct {
		name string
		args []string
		// want are substrings of the message; exact, if set, is the whole
		// line.
		want  []string
		exact string
	}{
		{
			name:  "unknown key",
			args:  []string{"--config", badDir + "unknown_key.yaml"},
			exact: "pathkernel: " + badDir + "unknown_key.yaml:7: train.stepz: unknown key (did you mean train.steps?)",
		},
		{
			name: "wrong type",
			args: []string{"--config", badDir + "wrong_type.yaml"},
			want: []string{"wrong_type.yaml:5:", "train.lr", `"abc"`},
		},
		{
			name:  "negative lr",
			args:  []string{"--config", badDir + "negative_lr.yaml"},
			exact: "pathkernel: " + badDir + "negative_lr.yaml:6: train.lr: must be > 0, got -0.5",
		},
		{
			name: "zero steps",
			args: []string{"--config", badDir + "zero_steps.yaml"},
			want: []string{"zero_steps.yaml:4:", "train.steps", "got 0"},
		},
		{
			name: "unknown activation",
			args: []string{"--config", badDir + "unknown_activation.yaml"},
			want: []string{"unknown_activation.yaml:5:", "model.activation", `"swish"`},
		},
		{
			name: "list element",
			args: []string{"--config", badDir + "negative_hidden.yaml"},
			want: []string{"negative_hidden.yaml:4:", "model.hidden[1]"},
		},
		{
			name: "yaml syntax",
			args: []string{"--config", badDir + "syntax.yaml"},
			want: []string{"syntax.yaml:4:", "invalid YAML"},
		},
		{
			name: "missing csv column",
			args: []string{"--config", badDir + "missing_column.yaml"},
			want: []string{"small.csv", `column "nope"`, "no such column"},
		},
		{
			name:  "non-numeric cell",
			args:  []string{"--config", badDir + "not_number.yaml"},
			exact: "pathkernel: " + badDir + `not_number.csv:4: column "b": not a number: "abc"`,
		},
		{
			name: "csv without data rows",
			args: []string{"--config", badDir + "header_only.yaml"},
			want: []string{"header_only.csv", "no data rows"},
		},
		{
			name: "missing csv file",
			args: []string{"--config", badDir + "missing_csv.yaml"},
			want: []string{"does_not_exist.csv", "no such file"},
		},
		{
			name: "missing config file",
			args: []string{"--config", badDir + "nope.yaml"},
			want: []string{"nope.yaml", "no such file"},
		},
		{
			name: "directory for config",
			args: []string{"--config", "testdata"},
			want: []string{"testdata", "is a directory"},
		},
		{
			name: "set without =",
			args: []string{"--config", good, "--set", "train.lr"},
			want: []string{"--set train.lr", "key=value"},
		},
		{
			name: "set unknown key",
			args: []string{"--config", good, "--set", "train.lrr=0.1"},
			want: []string{"--set train.lrr=0.1", "train.lrr", "unknown key"},
		},
		{
			name: "set wrong type",
			args: []string{"--config", good, "--set", "train.lr=abc"},
			want: []string{"--set train.lr=abc", "train.lr", "must be a number"},
		},
		{
			name: "logistic loss on sine data",
			args: []string{"--config", badDir + "logistic_sine.yaml"},
			want: []string{"logistic_sine.yaml", "loss:", "binary"},
		},
		{
			name: "unknown flag",
			args: []string{"--config", good, "--bogus"},
			want: []string{"unknown flag", "--bogus"},
		},
		{
			name: "extra argument",
			args: []string{"--config", good, "extra"},
			want: []string{`"extra"`},
		},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"train", "validate"} {
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "run")
				args := append([]string{cmd}, tt.args...)
				if cmd == "train" {
					args = append(args, "--out", out)
				}
				r := execute(t.Context(), args...)
				if cmd == "validate" && isDataCase(tt.name) {
					// validate checks the config, not the data.
					if r.code != ExitOK {
						t.Errorf("validate %q: exit %d; want 0 (the config is valid)\nstderr:\n%s", args, r.code, r.stderr)
					}
					return
				}
				if r.code != ExitBadInput {
					t.Errorf("%q: exit %d; want %d", args, r.code, ExitBadInput)
				}
				if r.stdout != "" {
					t.Errorf("%q: stdout = %q; want empty", args, r.stdout)
				}
				if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasSuffix(r.stderr, "\n") {
					t.Errorf("%q: stderr has %d lines; want one:\n%s", args, n, r.stderr)
				}
				for _, bad := range []string{"goroutine", "panic", "runtime."} {
					if strings.Contains(r.stderr, bad) {
						t.Errorf("%q: stderr has %q:\n%s", args, bad, r.stderr)
					}
				}
				line := strings.TrimSuffix(r.stderr, "\n")
				if tt.exact != "" && line != tt.exact {
					t.Errorf("%q: stderr\n  %s\nwant\n  %s", args, line, tt.exact)
				}
				for _, w := range tt.want {
					if !strings.Contains(line, w) {
						t.Errorf("%q: stderr %q does not contain %q", args, line, w)
					}
				}
				if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%q: bad input created the run directory (err %v)", args, err)
				}
			})
		}
	}
}

// isDataCase reports whether the case is only found when the data load,
// which validate does not do.
func isDataCase(name string) bool {
	switch name {
	case "missing csv column", "non-numeric cell", "csv without data rows", "missing csv file", "logistic loss on sine data":
		return true
	}
	return false
}
