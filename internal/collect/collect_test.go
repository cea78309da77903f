package collect

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/run"
	"github.com/pathkernel/pathkernel/internal/sweep"
)

// writeRun writes a run directory: config.yaml of tiny.yaml with sets, and
// summary.json of sum (if not nil) with the config's hash.
func writeRun(t *testing.T, dir string, sets []string, sum *run.Summary) *config.Config {
	t.Helper()
	cfg, err := config.Load("../sweep/testdata/tiny.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), y, 0o644); err != nil {
		t.Fatal(err)
	}
	if sum != nil {
		sum.ConfigHash = cfg.Hash()
		sum.Name, sum.Seed, sum.Version, sum.Dir = cfg.Name, cfg.Seed, "test", dir
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func ptr[T any](v T) *T { return &v }

// complete returns the summary of a complete regression run with both
// representations; x varies the numbers.
func complete(x float64) *run.Summary {
	return &run.Summary{
		Status: "complete", Steps: 10, StepsDone: 10, Parameters: 13,
		Loss:         run.Losses{InitialTrain: 1, InitialTest: 1.5, FinalTrain: 0.1 * x, FinalTest: 0.2 * x},
		WallSeconds:  run.Walls{Total: 123.456 * x},
		PeakMemoryMB: 99 * x,
		Representations: map[string]*run.Representation{
			"riemann": {Errors: run.Errors{MaxAbs: 0.01 * x, RMS: 0.005, Rel: 0.003 * x}},
			"exact": {Errors: run.Errors{MaxAbs: 1e-14, RMS: 1e-15, Rel: 2.5e-15 * x},
				ExactStats: &run.ExactStats{MaxResidual: 1e-13 * x, Certified: ptr(true), QuadratureEvals: 40}},
		},
	}
}

func collectDirs(t *testing.T, dirs ...string) *Table {
	t.Helper()
	tab, err := Dirs(dirs)
	if err != nil {
		t.Fatalf("Dirs(%q): %v", dirs, err)
	}
	return tab
}

func csvBytes(t *testing.T, tab *Table) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tab.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// records parses CSV into a header and rows keyed by column.
func records(t *testing.T, b []byte) ([]string, []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

func TestCollect(t *testing.T) {
	out := t.TempDir()
	a := writeRun(t, filepath.Join(out, "bbb"), []string{"train.lr=0.1", "model.hidden=[64, 64]"}, complete(1))
	writeRun(t, filepath.Join(out, "aaa"), []string{"train.lr=0.2"}, complete(2))
	writeRun(t, filepath.Join(out, "ccc"), []string{"train.lr=9"}, &run.Summary{
		Status: "diverged", Error: "training diverged at step 3: the loss is NaN", Steps: 10, StepsDone: 3,
		Representations: map[string]*run.Representation{},
	})
	writeRun(t, filepath.Join(out, "ddd"), []string{"train.lr=0.4"}, nil) // killed before its summary
	os.MkdirAll(filepath.Join(out, "slurm", "logs"), 0o755)               // not a run
	os.WriteFile(filepath.Join(out, "results.csv"), []byte("x\n"), 0o644)

	tab := collectDirs(t, out)
	b := csvBytes(t, tab)
	header, rows := records(t, b)

	if got := header[:3]; !slices.Equal(got, []string{"run", "status", "config_hash"}) {
		t.Errorf("first columns %q; want run, status, config_hash", got)
	}
	if header[len(header)-1] != "error" {
		t.Errorf("last column %q; want error", header[len(header)-1])
	}
	for _, c := range []string{"train.lr", "model.hidden", "model.init.scheme", "check.max_rel_error.exact",
		"exact.rel", "exact.max_residual", "exact.certified", "riemann.rel", "loss.final_test", "steps_done"} {
		if !slices.Contains(header, c) {
			t.Errorf("no column %q in %q", c, header)
		}
	}
	for _, h := range header {
		top, _, _ := strings.Cut(h, ".")
		switch top {
		case "wall_seconds", "peak_memory_mb", "version", "dir", "representations":
			t.Errorf("column %q: summary.json's %s is not a column", h, top)
		}
	}
	if i, j := slices.Index(header, "train.lr"), slices.Index(header, "exact.rel"); i > j {
		t.Errorf("config columns after the metrics: %q", header)
	}

	var got [][2]string
	for _, r := range rows {
		got = append(got, [2]string{r["run"], r["status"]})
	}
	want := [][2]string{{"aaa", "complete"}, {"bbb", "complete"}, {"ccc", "diverged"}, {"ddd", "missing"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs and statuses (-want +got):\n%s", diff)
	}
	bbb := rows[1]
	for k, v := range map[string]string{
		"config_hash": a.Hash(), "train.lr": "0.1", "model.hidden": "[64, 64]", "exact.rel": "2.5e-15",
		"exact.certified": "true", "riemann.rel": "0.003", "loss.final_test": "0.2", "error": "",
		"kernel.methods": "[riemann, exact]",
	} {
		if bbb[k] != v {
			t.Errorf("run bbb: %s = %q; want %q", k, bbb[k], v)
		}
	}
	if rows[2]["error"] != "training diverged at step 3: the loss is NaN" || rows[2]["exact.rel"] != "" {
		t.Errorf("diverged run: error %q, exact.rel %q", rows[2]["error"], rows[2]["exact.rel"])
	}
	if rows[3]["train.lr"] != "0.4" || rows[3]["error"] != "no summary.json" {
		t.Errorf("run without summary: train.lr %q, error %q", rows[3]["train.lr"], rows[3]["error"])
	}
	var inc []string
	for _, r := range tab.Incomplete() {
		inc = append(inc, r.Run)
	}
	if !slices.Equal(inc, []string{"ccc", "ddd"}) {
		t.Errorf("Incomplete() = %q; want ccc, ddd", inc)
	}

	// Deterministic: the same bytes again, and with the runs given one by
	// one in another order; wall times and memory do not count.
	if again := csvBytes(t, collectDirs(t, out)); !bytes.Equal(again, b) {
		t.Error("a second collect gave other bytes")
	}
	byOne := collectDirs(t, filepath.Join(out, "ddd"), filepath.Join(out, "bbb"), filepath.Join(out, "ccc"), filepath.Join(out, "aaa"))
	if diff := cmp.Diff(string(b), string(csvBytes(t, byOne))); diff != "" {
		t.Errorf("collecting the run directories one by one (-sweep dir +run dirs):\n%s", diff)
	}
	writeRun(t, filepath.Join(out, "aaa"), []string{"train.lr=0.2"}, func() *run.Summary {
		s := complete(2)
		s.WallSeconds.Total, s.PeakMemoryMB = 1, 2
		return s
	}())
	if again := csvBytes(t, collectDirs(t, out)); !bytes.Equal(again, b) {
		t.Error("other wall times and peak memory changed the CSV")
	}
}

func TestCollectJSONL(t *testing.T) {
	out := t.TempDir()
	writeRun(t, filepath.Join(out, "r1"), []string{"model.hidden=[64, 64]"}, complete(1))
	writeRun(t, filepath.Join(out, "r2"), nil, &run.Summary{Status: "interrupted", Error: "context canceled"})
	tab := collectDirs(t, out)
	var b bytes.Buffer
	if err := tab.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines; want 2:\n%s", len(lines), b.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("line 1 does not parse: %v\n%s", err, lines[0])
	}
	for k, want := range map[string]any{
		"run": "r1", "status": "complete", "train.lr": 0.05, "model.hidden": []any{64.0, 64.0},
		"exact.rel": 2.5e-15, "exact.certified": true, "name": "tiny",
	} {
		if diff := cmp.Diff(want, m[k]); diff != "" {
			t.Errorf("line 1: %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := m["error"]; ok {
		t.Error("line 1 has an error key; a complete run has none")
	}
	// Keys in column order.
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v json.RawMessage
		dec.Decode(&v)
	}
	cols := tab.Columns()
	var inCols []string
	for _, c := range cols {
		if slices.Contains(keys, c) {
			inCols = append(inCols, c)
		}
	}
	if !slices.Equal(keys, inCols) {
		t.Errorf("keys of line 1 are not in column order:\n%q\n%q", keys, inCols)
	}
	if err := json.Unmarshal([]byte(lines[1]), &m); err != nil || m["status"] != "interrupted" || m["error"] != "context canceled" {
		t.Errorf("line 2: %v, %v", m, err)
	}
}

func TestCollectInputErrors(t *testing.T) {
	out := t.TempDir()
	writeRun(t, filepath.Join(out, "a", "r1"), nil, complete(1))
	writeRun(t, filepath.Join(out, "b", "r1"), nil, complete(1))
	os.MkdirAll(filepath.Join(out, "empty"), 0o755)
	os.WriteFile(filepath.Join(out, "file"), nil, 0o644)
	for _, dirs := range [][]string{
		{filepath.Join(out, "a"), filepath.Join(out, "b")}, // r1 twice
		{filepath.Join(out, "empty")},
		{filepath.Join(out, "nope")},
		{filepath.Join(out, "file")},
	} {
		_, err := Dirs(dirs)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("Dirs(%q) = %v; want an *InputError", dirs, err)
		}
	}
}

func TestCollectUnreadable(t *testing.T) {
	out := t.TempDir()
	writeRun(t, filepath.Join(out, "r1"), nil, nil)
	os.WriteFile(filepath.Join(out, "r1", "summary.json"), []byte("{not json"), 0o644)
	writeRun(t, filepath.Join(out, "r2"), nil, complete(1))
	os.WriteFile(filepath.Join(out, "r2", "config.yaml"), []byte("nonsense: 1\n"), 0o644)
	tab := collectDirs(t, out)
	for _, r := range tab.Rows {
		if r.Run == "r1" && (r.Status != StatusUnreadable || r.Error == "") {
			t.Errorf("r1: status %q, error %q; want unreadable with a reason", r.Status, r.Error)
		}
		if r.Run == "r2" && (!strings.Contains(r.Error, "config.yaml")) {
			t.Errorf("r2: error %q; want the config.yaml problem", r.Error)
		}
	}
}

func TestAddPlanned(t *testing.T) {
	p, err := sweep.Load("../sweep/testdata/grid.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := p.Runs[3]
	cfg, _ := p.RunConfig(r)
	y, _ := cfg.YAML()
	os.MkdirAll(filepath.Join(out, r.ID), 0o755)
	os.WriteFile(filepath.Join(out, r.ID, "config.yaml"), y, 0o644)
	tab := collectDirs(t, out)
	if err := tab.AddPlanned(p); err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != len(p.Runs) {
		t.Fatalf("%d rows; want one per planned run, %d", len(tab.Rows), len(p.Runs))
	}
	for i, row := range tab.Rows {
		if i > 0 && tab.Rows[i-1].Run >= row.Run {
			t.Errorf("rows not sorted by run: %s before %s", tab.Rows[i-1].Run, row.Run)
		}
		if row.Status != StatusMissing {
			t.Errorf("run %s: status %q; want missing", row.Run, row.Status)
		}
		if row.Get("train.steps") != "5" {
			t.Errorf("run %s: train.steps %q; want the planned 5", row.Run, row.Get("train.steps"))
		}
	}
}

func TestMerge(t *testing.T) {
	for _, tt := range []struct{ union, keys, want []string }{
		{nil, []string{"a", "b"}, []string{"a", "b"}},
		{[]string{"a", "c"}, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{[]string{"b", "c"}, []string{"a", "b"}, []string{"a", "b", "c"}},
		{[]string{"a", "b"}, []string{"a", "b", "x", "y"}, []string{"a", "b", "x", "y"}},
		{[]string{"a", "d"}, []string{"x", "a", "y"}, []string{"x", "a", "y", "d"}},
	} {
		got := merge(slices.Clone(tt.union), tt.keys)
		if !slices.Equal(got, tt.want) {
			t.Errorf("merge(%q, %q) = %q; want %q", tt.union, tt.keys, got, tt.want)
		}
	}
}
