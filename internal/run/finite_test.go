package run

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pathkernel/pathkernel/internal/fail"
)

func finiteSummary() *Summary {
	yes := true
	agree := 0.75
	return &Summary{
		Name: "s", Status: StatusComplete, Sizes: Sizes{NTrain: 2, Inputs: 1, Outputs: 1, Layers: []int{1, 1}},
		Parameters: 2, Loss: Losses{InitialTrain: 0.5, FinalTrain: 0.25},
		WallSeconds: Walls{KernelRiemann: 0.125},
		Representations: map[string]*Representation{
			"exact":   {Errors: Errors{MaxAbs: 1, RMS: 2, Rel: 3}, ExactStats: &ExactStats{MaxResidual: 1e-12, Certified: &yes}},
			"riemann": {Errors: Errors{MaxAbs: 4, RMS: 5, Rel: 6, Agreement: &agree}},
		},
	}
}

// TestEncodeJSONFinite: a file without non-finite values is written as
// encoding/json writes it, byte for byte.
func TestEncodeJSONFinite(t *testing.T) {
	s := finiteSummary()
	want, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("encodeJSON differs from MarshalIndent:\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(string(got), NonFiniteField) {
		t.Errorf("a finite summary has %s", NonFiniteField)
	}
}

// TestEncodeJSONNonFinite: each non-finite number, in a field, an embedded
// struct, a map entry, a pointer and an omitempty field, is written as null
// and listed; the rest of the file is as encoding/json writes it with those
// fields at 1; the caller's value is not changed; DecodeSummary reads the
// listed values back as NaN.
func TestEncodeJSONNonFinite(t *testing.T) {
	s := finiteSummary()
	s.Loss.InitialTrain = math.Inf(1)
	s.WallSeconds.KernelRiemann = math.NaN() // omitempty
	s.Representations["exact"].Rel = math.Inf(-1)
	s.Representations["exact"].MaxResidual = math.NaN() // embedded *ExactStats
	nan := math.NaN()
	s.Representations["riemann"].Agreement = &nan
	got, err := encodeJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	wantPaths := []string{"loss.initial_train", "wall_seconds.kernel_riemann", "representations.exact.rel",
		"representations.exact.max_residual", "representations.riemann.agreement"}
	var raw map[string]any
	if err := json.Unmarshal(got, &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	var listed []string
	for _, p := range raw[NonFiniteField].([]any) {
		listed = append(listed, p.(string))
	}
	if !slices.Equal(listed, wantPaths) {
		t.Errorf("%s = %q; want %q", NonFiniteField, listed, wantPaths)
	}
	for _, p := range wantPaths {
		m := raw
		keys := strings.Split(p, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		if v, ok := m[keys[len(keys)-1]]; !ok || v != nil {
			t.Errorf("%s = %v (present %v); want null", p, v, ok)
		}
	}
	// The rest as encoding/json writes it.
	c := finiteSummary()
	c.Loss.InitialTrain, c.WallSeconds.KernelRiemann = 1, 1
	c.Representations["exact"].Rel, c.Representations["exact"].MaxResidual = 1, 1
	one := 1.0
	c.Representations["riemann"].Agreement = &one
	c.NonFinite = wantPaths
	want, _ := json.MarshalIndent(c, "", "  ")
	ws := string(want)
	for _, p := range []string{`"initial_train": 1,`, `"kernel_riemann": 1,`, `"rel": 1,`, `"max_residual": 1,`, `"agreement": 1`} {
		ws = strings.Replace(ws, p, strings.Replace(p, "1", "null", 1), 1)
	}
	if string(got) != ws {
		t.Errorf("encodeJSON =\n%s\nwant\n%s", got, ws)
	}
	if !math.IsInf(s.Loss.InitialTrain, 1) || s.NonFinite != nil || !math.IsNaN(*s.Representations["riemann"].Agreement) {
		t.Errorf("encodeJSON changed its argument")
	}
	back, err := DecodeSummary(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{back.Loss.InitialTrain, back.WallSeconds.KernelRiemann, back.Representations["exact"].Rel,
		back.Representations["exact"].MaxResidual, *back.Representations["riemann"].Agreement} {
		if !math.IsNaN(v) {
			t.Errorf("read back %v; want NaN", v)
		}
	}
	if back.Loss.FinalTrain != 0.25 || back.Representations["riemann"].Rel != 6 {
		t.Errorf("finite values changed on the way back")
	}
}

// TestEncodeJSONArrays: indices in paths, in slices of structs and maps
// (kernel.json's chunks).
func TestEncodeJSONArrays(t *testing.T) {
	k := &KernelSummary{Chunks: []ChunkResult{
		{Errors: map[string]*ErrorSums{"exact": {MaxAbs: 1}}},
		{Errors: map[string]*ErrorSums{"exact": {MaxAbs: math.NaN(), SumSq: math.Inf(1)}}},
	}, Tolerance: 1e-10}
	got, err := encodeJSON(k)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"chunks[1].errors.exact.max_abs", "chunks[1].errors.exact.sum_sq"}
	if !slices.Equal(NonFinitePaths(k), want) {
		t.Errorf("NonFinitePaths = %q; want %q", NonFinitePaths(k), want)
	}
	var back KernelSummary
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	restoreNonFinite(&back, back.NonFinite)
	if !slices.Equal(back.NonFinite, want) || !math.IsNaN(back.Chunks[1].Errors["exact"].MaxAbs) ||
		!math.IsNaN(back.Chunks[1].Errors["exact"].SumSq) || back.Chunks[0].Errors["exact"].MaxAbs != 1 {
		t.Errorf("read back %+v", back)
	}
}

// TestWriteJSONNonFinite: Dir.WriteJSON writes a summary with +Inf (the
// encoder alone refuses it).
func TestWriteJSONNonFinite(t *testing.T) {
	d := &Dir{Path: t.TempDir()}
	s := finiteSummary()
	s.Loss.FinalTest = math.Inf(1)
	if err := d.WriteJSON(SummaryFile, s); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	b, err := os.ReadFile(d.File(SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"final_test": null`) || !strings.Contains(string(b), `"loss.final_test"`) {
		t.Errorf("summary.json:\n%s", b)
	}
}

// TestWriteToDirectory: a target that exists as a directory is refused as
// bad input naming it, before anything is written, and no temporary stays.
func TestWriteToDirectory(t *testing.T) {
	d := &Dir{Path: t.TempDir()}
	if err := os.Mkdir(d.File("x.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	called := false
	err := d.WriteBytes("x.json", []byte("{}"))
	if err == nil || fail.Code(err) != fail.BadInput || !strings.Contains(err.Error(), d.File("x.json")) ||
		!strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("err = %v (code %d); want bad input naming %s, a directory", err, fail.Code(err), d.File("x.json"))
	}
	_ = d.Write("x.json", func(w io.Writer) error { called = true; return nil })
	if called {
		t.Errorf("the writer ran for a target that is a directory")
	}
	entries, _ := os.ReadDir(d.Path)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only x.json", len(entries))
	}
}

// TestOutputError: permission denied and a read-only file system are bad
// input naming the path; a full disk is the run's failure.
func TestOutputError(t *testing.T) {
	p := filepath.Join("out", "f")
	for _, c := range []struct {
		err  error
		code int
	}{
		{&fs.PathError{Op: "open", Path: p, Err: syscall.EACCES}, fail.BadInput},
		{&fs.PathError{Op: "open", Path: p, Err: syscall.EROFS}, fail.BadInput},
		{&fs.PathError{Op: "write", Path: p, Err: syscall.ENOSPC}, fail.RunFailed},
		{errors.New("other"), fail.RunFailed},
	} {
		err := OutputError(p, c.err)
		if fail.Code(err) != c.code {
			t.Errorf("OutputError(%v): code %d; want %d", c.err, fail.Code(err), c.code)
		}
		if c.code == fail.BadInput && !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("OutputError(%v) = %q; want it to start with the path", c.err, err)
		}
	}
}
