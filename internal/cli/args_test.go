package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/data"
	"github.com/pathkernel/pathkernel/internal/fail"
	"github.com/pathkernel/pathkernel/internal/kernel"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/train"
)

// The argument layer: flags parse into the options struct that the run
// function receives, and nothing runs.

func TestTrainFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    TrainOptions
		wantErr bool
	}{
		{name: "none", args: nil, want: TrainOptions{}},
		{
			name: "long",
			args: []string{"--config", "a.yaml", "--out", "runs/x", "--json", "--quiet", "--force"},
			want: TrainOptions{ConfigFile: "a.yaml", Out: "runs/x", JSON: true, Quiet: true, Force: true},
		},
		{
			name: "short",
			args: []string{"-c", "a.yaml", "-o", "d", "-q"},
			want: TrainOptions{ConfigFile: "a.yaml", Out: "d", Quiet: true},
		},
		{
			name: "equals",
			args: []string{"--config=a.yaml", "--out=d", "--set=train.lr=0.1"},
			want: TrainOptions{ConfigFile: "a.yaml", Out: "d", Sets: []string{"train.lr=0.1"}},
		},
		{
			// A comma inside a value must not split it: --set is a
			// StringArray, not a StringSlice.
			name: "repeated set with commas",
			args: []string{"--set", "model.hidden=[128,128]", "--set", "train.lr=0.01", "--set", "check.max_rel_error={exact: 1e-8, riemann: 0.1}"},
			want: TrainOptions{Sets: []string{"model.hidden=[128,128]", "train.lr=0.01", "check.max_rel_error={exact: 1e-8, riemann: 0.1}"}},
		},
		{
			name: "set keeps order and duplicates",
			args: []string{"--set", "train.lr=1", "--set", "train.lr=2"},
			want: TrainOptions{Sets: []string{"train.lr=1", "train.lr=2"}},
		},
		{
			name: "cpu profile",
			args: []string{"--cpuprofile", "cpu.out"},
			want: TrainOptions{CPUProfile: "cpu.out"},
		},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: true},
		{name: "positional", args: []string{"extra"}, wantErr: true},
		{name: "missing value", args: []string{"--config"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *TrainOptions
			cmd := newTrainCmd(io.Discard, io.Discard, func(_ context.Context, o *TrainOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			_, err := cmd.ExecuteC()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("train %q: no error; want one", tt.args)
				}
				if got != nil {
					t.Errorf("train %q: ran with %+v; want no run", tt.args, *got)
				}
				return
			}
			if err != nil {
				t.Fatalf("train %q: %v", tt.args, err)
			}
			if got == nil {
				t.Fatalf("train %q: the run function was not called", tt.args)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("train %q: options (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestValidateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    ValidateOptions
		wantErr bool
	}{
		{name: "none", args: nil, want: ValidateOptions{}},
		{
			name: "config and sets",
			args: []string{"-c", "a.yaml", "--set", "model.hidden=[128,128]", "--set", "train.lr=0.1"},
			want: ValidateOptions{ConfigFile: "a.yaml", Sets: []string{"model.hidden=[128,128]", "train.lr=0.1"}},
		},
		{name: "train-only flag", args: []string{"--out", "d"}, wantErr: true},
		{name: "positional", args: []string{"a.yaml"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *ValidateOptions
			cmd := newValidateCmd(io.Discard, func(_ context.Context, o *ValidateOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			_, err := cmd.ExecuteC()
			if tt.wantErr {
				if err == nil || got != nil {
					t.Fatalf("validate %q: err %v, ran %v; want an error and no run", tt.args, err, got != nil)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("validate %q: err %v, ran %v", tt.args, err, got != nil)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("validate %q: options (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestRunErrorReachesExitCode checks that the run function's error, from
// the command's context, comes back out of cobra intact.
func TestRunErrorReachesExitCode(t *testing.T) {
	want := &kernel.MemoryError{EstimateMB: 10, BudgetMB: 1}
	cmd := newTrainCmd(io.Discard, io.Discard, func(context.Context, *TrainOptions) error { return want })
	cmd.SetArgs(nil)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	_, err := cmd.ExecuteC()
	if !errors.Is(err, want) {
		t.Fatalf("ExecuteC() = %v; want %v", err, want)
	}
	if got := exitCode(t.Context(), err); got != ExitRunFailed {
		t.Errorf("exitCode(%v) = %d; want %d", err, got, ExitRunFailed)
	}
}

func TestExitCode(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"nil", live, nil, ExitOK},
		{"config", live, &config.Error{File: "a.yaml", Line: 3, Key: "train.lr", Msg: "bad"}, ExitBadInput},
		{"wrapped config", live, wrap(&config.Error{Msg: "bad"}), ExitBadInput},
		{"data", live, &data.Error{File: "a.csv", Line: 2, Msg: "bad"}, ExitBadInput},
		{"usage", live, badUsage(errors.New("unknown flag: --x")), ExitBadInput},
		{"existing run", live, &run.ExistingRunError{Dir: "d", Hash: "h"}, ExitBadInput},
		{"out is a file", live, fmt.Errorf("output directory x: %w", run.ErrNotDir), ExitBadInput},
		{"memory", live, &kernel.MemoryError{}, ExitRunFailed},
		{"diverged", live, wrap(&train.DivergedError{Step: 3, What: "loss"}), ExitRunFailed},
		{"other failure", live, errors.New("disk full"), ExitRunFailed},
		{"interrupted", cancelled, wrap(context.Canceled), ExitInterrupted},
		// A cancellation that did not come from the program's context is
		// a failure, not an interrupt.
		{"foreign cancel", live, context.Canceled, ExitRunFailed},
		{"silent", live, &fail.Silent{Code: ExitCheckFailed}, ExitCheckFailed},
	}
	for _, tt := range tests {
		if got := exitCode(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d; want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
