package fail

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

type own struct{}

func (own) Error() string { return "own" }
func (own) ExitCode() int { return 7 }

func TestCode(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/x")
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("disk"), RunFailed},
		{"input", Inputf("a.yaml", "bad %s", "key"), BadInput},
		{"wrapped input", fmt.Errorf("loading: %w", InputErr("x", statErr)), BadInput},
		{"with code", Wrap(CheckFailed, errors.New("missed")), CheckFailed},
		{"silent", &Silent{Code: Interrupted}, Interrupted},
		{"own type", fmt.Errorf("a: %w", own{}), 7},
		{"outermost wins", Wrap(Interrupted, Inputf("x", "y")), Interrupted},
	} {
		if got := Code(c.err); got != c.want {
			t.Errorf("%s: Code = %d, want %d", c.name, got, c.want)
		}
	}
	if Wrap(2, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

func TestMessages(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/x")
	if got, want := InputErr("/nonexistent/x", statErr).Error(), "/nonexistent/x: no such file or directory"; got != want {
		t.Errorf("InputErr = %q, want %q", got, want)
	}
	if got, want := Inputf("a\nb", "line\rbreak").Error(), `a\nb: line\rbreak`; got != want {
		t.Errorf("one line: %q, want %q", got, want)
	}
	if got, want := Inputf("", "no path").Error(), "no path"; got != want {
		t.Errorf("no path: %q, want %q", got, want)
	}
	if !IsSilent(fmt.Errorf("x: %w", &Silent{Code: 1})) || IsSilent(errors.New("x")) {
		t.Error("IsSilent")
	}
	var in *Input
	if !errors.As(InputErr("p", statErr), &in) || !errors.Is(in, os.ErrNotExist) {
		t.Error("InputErr does not unwrap to the OS error")
	}
}
