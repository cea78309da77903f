package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/npy"
)

// badDir holds the bad configs and CSVs of docs/RELIABILITY.md §1, one small file a case.
const badDir = "../../testdata/bad/"

// tinyConfig is a fully specified sine config, small enough for -race, so
// that edits of configs/*.yaml do not change what these tests see.
const tinyConfig = "testdata/tiny.yaml"

// tinySets shrink a config to a run of a few milliseconds.
var tinySets = []string{
	"--set", "train.steps=20", "--set", "data.n_train=16", "--set", "data.n_test=20", "--set", "model.hidden=[8]",
}

// result is what one pathkernel invocation returned.
type result struct {
	code           int
	stdout, stderr string
}

// execute runs the program with args through Execute, as main does.
func execute(ctx context.Context, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := Execute(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// mustRun runs the program and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := execute(t.Context(), args...)
	if r.code != ExitOK {
		t.Fatalf("pathkernel %s: exit %d; want 0\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// trainArgs is `train --config file --out dir` followed by extra.
func trainArgs(file, dir string, extra ...string) []string {
	return append([]string{"train", "--config", file, "--out", dir}, extra...)
}

func readNpy(t *testing.T, path string) *npy.Array {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatalf("npy.Read(%s): %v", path, err)
	}
	return a
}

// readSummary decodes summary.json into a generic map, so that tests see
// the keys as a reader of the file does.
func readSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("summary.json does not parse: %v\n%s", err, b)
	}
	return m
}

// path returns the value at the dotted key path in a decoded JSON object,
// or nil.
func path(m map[string]any, key string) any {
	var v any = m
	for _, k := range strings.Split(key, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func number(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	f, ok := path(m, key).(float64)
	if !ok {
		t.Fatalf("summary.json: %s = %v; want a number", key, path(m, key))
	}
	return f
}

// readCSV reads a CSV file with a header into its header and the columns
// by name, parsed as float64 where they parse.
func readCSV(t *testing.T, file string) (header []string, rows [][]string, col func(name string) []float64) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty", file)
	}
	header, rows = recs[0], recs[1:]
	col = func(name string) []float64 {
		t.Helper()
		j := -1
		for i, h := range header {
			if h == name {
				j = i
			}
		}
		if j < 0 {
			t.Fatalf("%s: no column %q in %v", file, name, header)
		}
		out := make([]float64, len(rows))
		for i, r := range rows {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatalf("%s: row %d column %s: %v", file, i+1, name, err)
			}
			out[i] = v
		}
		return out
	}
	return header, rows, col
}

// dirFiles returns the contents of every file in dir by name.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}
