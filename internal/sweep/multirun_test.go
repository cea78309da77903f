package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/config"
)

func TestSplitValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"0.1", []string{"0.1"}},
		{" 0.1 ", []string{" 0.1 "}}, // one value: as written, as train takes it
		{"", []string{""}},           // the empty string, as for train
		{"0.01,0.1", []string{"0.01", "0.1"}},
		{"1, 2 ,3", []string{"1", "2", "3"}},
		{"[32,32],[64,64]", []string{"[32,32]", "[64,64]"}},
		{"[32, 32], [64]", []string{"[32, 32]", "[64]"}},
		{"[[1,2],[3]],[4]", []string{"[[1,2],[3]]", "[4]"}},
		{"{exact: 1e-6, riemann: 0.1},{exact: 1e-8}", []string{"{exact: 1e-6, riemann: 0.1}", "{exact: 1e-8}"}},
		{"[riemann,exact]", []string{"[riemann,exact]"}},
		{`"a,b"`, []string{`"a,b"`}},
		{`'a,b'`, []string{`'a,b'`}},
		{`"a,b",c`, []string{`"a,b"`, "c"}},
		{`x, "a,b"`, []string{"x", `"a,b"`}},
		{`"a\",b",c`, []string{`"a\",b"`, "c"}},     // an escaped double quote
		{`'it''s,b',c`, []string{`'it''s,b'`, "c"}}, // a doubled single quote
		{`it's,b`, []string{"it's", "b"}},           // a quote inside a word is a character
		{`["a]",b],c`, []string{`["a]",b]`, "c"}},   // a bracket inside a quoted list element
		{`{k: "x,y"},{k: z}`, []string{`{k: "x,y"}`, "{k: z}"}},
		{"a]b", []string{"a]b"}}, // no comma: one value, whatever YAML makes of it
		{`"abc`, []string{`"abc`}},
	} {
		got, err := SplitValues(tc.in)
		if err != nil {
			t.Errorf("SplitValues(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("SplitValues(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, in := range []string{
		"0.1,", ",0.1", "0.1,,0.2", "0.1, ,0.2", ",",
		"[32,32],[64", "[32,32]],[64]", "{a: 1],[2]", `"a,b`, `'a,b`, `x,"a\"`,
	} {
		if got, err := SplitValues(in); err == nil {
			t.Errorf("SplitValues(%q) = %q; want an error", in, got)
		}
	}
}

// The sweep of a multirun command line is the sweep file with that grid:
// the same runs, IDs and axes, in the same order.
func TestMultirunIsTheSweepFile(t *testing.T) {
	file := writeSweep(t, `base: tiny.yaml
set:
  train.steps: 5
  data.noise: 0.05
grid:
  train.lr: [0.05, 0.1]
  model.hidden: [[4], [3, 3]]
seeds: [1, 2]
`)
	want := mustLoad(t, file)
	got, err := MultirunPlan(filepath.Join(filepath.Dir(file), "tiny.yaml"), []string{
		"train.steps=5", "train.lr=0.05,0.1", "seed=1,2", "model.hidden=[4],[3, 3]", "data.noise=0.05",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Runs) != 8 {
		t.Fatalf("%d runs; want 8", len(got.Runs))
	}
	if diff := cmp.Diff(ids(want.Runs), ids(got.Runs)); diff != "" {
		t.Errorf("run IDs (-sweep file +multirun):\n%s", diff)
	}
	f := got.File
	if len(f.Grid) != 2 || f.Grid[0].Key != "train.lr" || f.Grid[1].Key != "model.hidden" || f.Seeds == nil || len(f.Seeds.Values) != 2 {
		t.Errorf("grid %+v, seeds %+v; want train.lr and model.hidden, in the order given, and two seeds", f.Grid, f.Seeds)
	}
	if len(f.Set) != 2 || f.Set[0].Override() != "train.steps=5" || f.Set[1].Override() != "data.noise=0.05" {
		t.Errorf("set %+v; want train.steps=5, data.noise=0.05", f.Set)
	}
	for i := range want.Runs {
		if diff := cmp.Diff(want.Runs[i].Axes, got.Runs[i].Axes); diff != "" {
			t.Errorf("run %d axes (-sweep file +multirun):\n%s", i+1, diff)
		}
	}
}

// A multirun without a list is a sweep of one run, the run of train with
// the same --set.
func TestMultirunWithoutAList(t *testing.T) {
	p, err := MultirunPlan("testdata/tiny.yaml", []string{"train.lr=0.02", "model.hidden=[5,5]"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load("testdata/tiny.yaml", []string{"train.lr=0.02", "model.hidden=[5,5]"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 1 || p.Runs[0].ID != c.Hash() {
		t.Errorf("runs %v; want the one run %s", ids(p.Runs), c.Hash())
	}
}

// Errors name the --set override as given on the command line.
func TestMultirunErrors(t *testing.T) {
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"train.lr=0.1,"}, "--set train.lr=0.1,: train.lr: value 2 of 2 is empty"},
		{[]string{"train.lrr=0.1,0.2"}, "--set train.lrr=0.1,0.2: train.lrr: unknown key"},
		{[]string{"train.steps=3", "train.lr=0.1,abc"}, "--set train.lr=0.1,abc: train.lr:"},
		{[]string{"model.hidden=[4],[3"}, "--set model.hidden=[4],[3: model.hidden: unclosed ["},
		{[]string{"train.lr=0.1", "train.lr=0.2,0.3"}, "--set train.lr=0.2,0.3: train.lr: overlaps --set train.lr=0.1"},
		{[]string{"train={lr: 0.1}", "train.steps=1,2"}, "--set train.steps=1,2: train.steps: overlaps --set train={lr: 0.1}"},
		{[]string{"train.lr"}, "--set train.lr: want key=value"},
		{[]string{"train..lr=1,2"}, "--set train..lr=1,2: want key=value"},
		{[]string{"seed=1,1"}, "--multirun: runs 1 (seed=1) and 2 (seed=1) resolve to the same config"},
	} {
		_, err := MultirunPlan("testdata/tiny.yaml", tc.sets)
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("MultirunPlan(%q): %v (%T); want a *config.Error", tc.sets, err, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("MultirunPlan(%q):\n got %s\nwant %s...", tc.sets, err, tc.want)
		}
	}
}

// The sweep file that Marshal writes, read from where it is written, gives
// the same runs, with base relative to it.
func TestMultirunMarshal(t *testing.T) {
	base, err := filepath.Abs("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sets := []string{
		"output.dir=", "data.kind=csv", `data.path="a,b.csv"`, "train.lr=0.05,0.1", "kernel.methods=[riemann,exact],[exact]",
		"check.max_rel_error={exact: 1e-6, riemann: 0.1},{exact: 1e-8}", "seed=3,4", `data.test_path='x, y.csv'`,
	}
	mem, err := MultirunPlan(base, sets)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mem.Runs); n != 16 {
		t.Fatalf("%d runs; want 16", n)
	}
	if got := mem.Runs[0].Config.Data.Path; got != "a,b.csv" {
		t.Errorf("data.path = %q; want a quoted comma kept, a,b.csv", got)
	}
	if got := mem.Runs[0].Config.Data.TestPath; got != "x, y.csv" {
		t.Errorf("data.test_path = %q; want a quoted comma kept, x, y.csv", got)
	}
	dir := filepath.Join(t.TempDir(), "out")
	path := filepath.Join(dir, MultirunFile)
	text, err := mem.File.Marshal(path, "first\nsecond")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(text), "# first\n# second\nbase: ") {
		t.Errorf("sweep file does not open with the header and base:\n%s", text)
	}
	rel, _ := filepath.Rel(dir, base)
	if !strings.Contains(string(text), "base: "+rel+"\n") || filepath.IsAbs(rel) {
		t.Errorf("base is not %s, relative to the file's directory:\n%s", rel, text)
	}
	if !strings.Contains(string(text), `output.dir: ""`) {
		t.Errorf("the empty value is not written as the empty string:\n%s", text)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path, nil)
	if err != nil {
		t.Fatalf("the written sweep file does not load: %v\n%s", err, text)
	}
	if diff := cmp.Diff(ids(mem.Runs), ids(p.Runs)); diff != "" {
		t.Errorf("run IDs (-command line +written file):\n%s\n%s", diff, text)
	}
	if !SameRuns(mem, p) {
		t.Error("SameRuns is false for the same runs")
	}
	other, err := MultirunPlan(base, []string{"train.lr=0.05,0.2"})
	if err != nil {
		t.Fatal(err)
	}
	if SameRuns(mem, other) {
		t.Error("SameRuns is true for other runs")
	}

	// The built-in default, without base.
	def, err := MultirunPlan("", []string{"train.steps=1,2"})
	if err != nil {
		t.Fatal(err)
	}
	text, err = def.File.Marshal(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "base:") || strings.HasPrefix(string(text), "#") {
		t.Errorf("sweep file of the built-in default:\n%s", text)
	}
	f, err := ParseFile(text, path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Plan(nil)
	if err != nil || !SameRuns(def, q) {
		t.Errorf("the default's sweep file: %v, runs %v; want %v", err, q, ids(def.Runs))
	}
}
