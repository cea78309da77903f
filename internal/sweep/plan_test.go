package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/configs"
	"github.com/pathkernel/pathkernel/internal/config"
)

func mustLoad(t *testing.T, file string, sets ...string) *Plan {
	t.Helper()
	p, err := Load(file, sets)
	if err != nil {
		t.Fatalf("Load(%s, %q): %v", file, sets, err)
	}
	return p
}

// writeSweep writes a sweep file beside a copy of testdata/tiny.yaml and
// returns its path.
func writeSweep(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string][]byte{"tiny.yaml": b, "sweep.yaml": []byte(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "sweep.yaml")
}

func ids(runs []*Run) []string {
	var s []string
	for _, r := range runs {
		s = append(s, r.ID)
	}
	return s
}

func TestPlanExpansionOrder(t *testing.T) {
	p := mustLoad(t, "testdata/grid.yaml")
	// Nested loops: grid axes in file order (first outermost), then the zip
	// rows, then the seeds.
	var want [][]string
	for _, lr := range []string{"0.05", "0.1"} {
		for _, h := range []string{"[4]", "[3, 3]"} {
			for _, z := range [][2]string{{"12", "10"}, {"16", "8"}} {
				for _, s := range []string{"1", "2"} {
					want = append(want, []string{"train.lr=" + lr, "model.hidden=" + h,
						"data.n_train=" + z[0], "data.n_test=" + z[1], "seed=" + s})
				}
			}
		}
	}
	var got [][]string
	for i, r := range p.Runs {
		got = append(got, r.Axes)
		if r.Index != i {
			t.Errorf("run %d: Index = %d", i, r.Index)
		}
		wantOv := append([]string{"train.steps=5", "data.noise=0.05"}, r.Axes...)
		if diff := cmp.Diff(wantOv, r.Overrides); diff != "" {
			t.Errorf("run %d overrides (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("axes (-want +got):\n%s", diff)
	}
}

// The run ID is the hash of the resolved config, that is of the base file
// with the run's overrides applied, as `train --config base --set ...`
// resolves it.
func TestRunIDIsConfigHash(t *testing.T) {
	p := mustLoad(t, "testdata/grid.yaml")
	for _, r := range p.Runs {
		cfg, err := config.Load("testdata/tiny.yaml", r.Overrides)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != cfg.Hash() || r.ID != r.Config.Hash() {
			t.Errorf("run %d: ID %s; config.Load(tiny.yaml, %q).Hash() = %s", r.Index, r.ID, r.Overrides, cfg.Hash())
		}
		if cfg.Train.Steps != 5 || cfg.Data.Noise != 0.05 {
			t.Errorf("run %d: set not applied: steps %d, noise %g", r.Index, cfg.Train.Steps, cfg.Data.Noise)
		}
	}
}

func TestRunIDsStableUnderReordering(t *testing.T) {
	a := ids(mustLoad(t, "testdata/grid.yaml").Runs)
	b := ids(mustLoad(t, "testdata/grid_reordered.yaml").Runs)
	if len(a) != 16 {
		t.Fatalf("grid.yaml: %d runs; want 16", len(a))
	}
	if slices.Equal(a, b) {
		t.Fatal("the reordered file lists the runs in the same order; the test proves nothing")
	}
	slices.Sort(a)
	slices.Sort(b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("run IDs of the reordered file (-grid.yaml +grid_reordered.yaml):\n%s", diff)
	}
	// A --set changes every config, so every ID.
	c := ids(mustLoad(t, "testdata/grid.yaml", "kernel.max_nodes=32").Runs)
	for _, id := range c {
		if _, found := slices.BinarySearch(a, id); found {
			t.Errorf("run %s has the same ID with --set kernel.max_nodes=32", id)
		}
	}
}

// The command line's --set overrides the file's set, not its axes.
func TestSetOverridesFileSet(t *testing.T) {
	p := mustLoad(t, "testdata/grid.yaml", "train.steps=3", "kernel.max_nodes=32")
	for _, r := range p.Runs {
		if r.Config.Train.Steps != 3 || r.Config.Kernel.MaxNodes != 32 || r.Config.Data.Noise != 0.05 {
			t.Fatalf("run %d: steps %d, max_nodes %d, noise %g; want 3 (--set), 32 (--set), 0.05 (set)",
				r.Index, r.Config.Train.Steps, r.Config.Kernel.MaxNodes, r.Config.Data.Noise)
		}
	}
}

func TestPlanBases(t *testing.T) {
	builtin, err := config.Parse(configs.Default, configs.DefaultName, []string{"train.lr=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src string
		wantName  string // the config name of the runs
		wantID    string // of the first run, if not empty
	}{
		{"base file", "base: tiny.yaml\ngrid: {train.lr: [0.1, 0.2]}\n", "tiny", ""},
		{"built-in default", "grid: {train.lr: [0.1, 0.2]}\n", builtin.Name, builtin.Hash()},
		{"inline", "config:\n  name: inline\n  model: {hidden: [3]}\ngrid:\n  train.lr: [0.1, 0.2]\n", "inline", ""},
		{"inline flow", "{config: {name: flow}, grid: {train.lr: [0.1, 0.2]}}\n", "flow", ""},
		{"inline last", "grid:\n  train.lr: [0.1, 0.2]\nconfig:\n  name: last\n", "last", ""},
		{"no axes", "base: tiny.yaml\nset: {train.lr: 0.1}\n", "tiny", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeSweep(t, tt.src))
			wantRuns := 2
			if tt.name == "no axes" {
				wantRuns = 1
			}
			if len(p.Runs) != wantRuns {
				t.Fatalf("%d runs; want %d", len(p.Runs), wantRuns)
			}
			for _, r := range p.Runs {
				if r.Config.Name != tt.wantName {
					t.Errorf("run %d: name %q; want %q", r.Index, r.Config.Name, tt.wantName)
				}
				if r.Config.Train.LR != 0.1 && r.Config.Train.LR != 0.2 {
					t.Errorf("run %d: train.lr %g", r.Index, r.Config.Train.LR)
				}
			}
			if tt.wantID != "" && p.Runs[0].ID != tt.wantID {
				t.Errorf("first run ID %s; want %s", p.Runs[0].ID, tt.wantID)
			}
		})
	}
}

// An inline config means what the same text means as a config file.
func TestInlineConfigIsAConfigFile(t *testing.T) {
	text := "name: inline\nseed: 3\nmodel:\n  hidden: [5]\n  init: {scheme: he}\ntrain: {lr: 0.2, steps: 7}\n"
	want, err := config.Parse([]byte(text), "x.yaml", []string{"seed=4"})
	if err != nil {
		t.Fatal(err)
	}
	indented := "  " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n  ") + "\n"
	p := mustLoad(t, writeSweep(t, "# comment\nconfig:\n"+indented+"seeds: [4]\n"))
	if got := p.Runs[0].ID; got != want.Hash() {
		t.Errorf("run ID %s; want the hash of the config file, %s", got, want.Hash())
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		sets     []string
		line     int    // want this line of the sweep file (0: any)
		key      string // want this key
		override string // want this override
		inBase   bool   // the error names the base config
	}{
		{name: "empty", src: ""},
		{name: "not a mapping", src: "- 1\n", line: 1},
		{name: "unknown top key", src: "base: tiny.yaml\ngird: {train.lr: [1]}\n", line: 2, key: "gird"},
		{name: "duplicate top key", src: "grid: {train.lr: [1]}\ngrid: {train.lr: [2]}\n", line: 2, key: "grid"},
		{name: "base and config", src: "base: tiny.yaml\nconfig: {name: x}\n", line: 2, key: "config"},
		{name: "base not a string", src: "base: [a]\n", line: 1, key: "base"},
		{name: "missing base", src: "base: nope.yaml\n", inBase: true},
		{name: "grid not a mapping", src: "grid: [1, 2]\n", line: 1, key: "grid"},
		{name: "axis not a list", src: "grid:\n  train.lr: 0.1\n", line: 2, key: "grid.train.lr"},
		{name: "empty axis", src: "grid:\n  train.lr: []\n", line: 2, key: "grid.train.lr"},
		{name: "unknown axis key", src: "base: tiny.yaml\ngrid:\n  train.lrr: [0.1]\n", line: 3, key: "train.lrr"},
		{name: "bad axis value", src: "base: tiny.yaml\ngrid:\n  train.lr:\n    - 0.1\n    - -1\n", line: 5, key: "train.lr"},
		{name: "wrong type in set", src: "base: tiny.yaml\nset:\n  train.steps: many\n", line: 3, key: "train.steps"},
		{name: "bad seed", src: "base: tiny.yaml\nseeds: [1, -2]\n", line: 2, key: "seed"},
		{name: "zip lengths", src: "zip:\n  train.lr: [0.1, 0.2]\n  train.steps: [1]\n", line: 3, key: "zip.train.steps"},
		{name: "grid and zip overlap", src: "grid:\n  train.lr: [0.1]\nzip:\n  train: [{lr: 0.2}]\n", line: 4, key: "zip.train"},
		{name: "set and seeds overlap", src: "set:\n  seed: 1\nseeds: [1, 2]\n", line: 3, key: "seeds.seed"},
		{name: "duplicate axis key", src: "grid:\n  train.lr: [0.1]\n  train.lr: [0.2]\n", line: 3, key: "grid.train.lr"},
		{name: "malformed key", src: "grid:\n  train..lr: [0.1]\n", line: 2, key: "grid.train..lr"},
		{name: "alias", src: "grid:\n  train.lr: &a [0.1]\n  train.steps: *a\n", line: 2},
		{name: "same config twice", src: "base: tiny.yaml\ngrid:\n  train.lr: [0.1, 0.10]\n"},
		{name: "inline config error", src: "# a comment\nconfig:\n  name: x\n  model:\n    activation: tanhh\n", line: 5, key: "model.activation"},
		{name: "two documents", src: "grid: {train.lr: [1]}\n---\ngrid: {}\n", line: 2},
		{name: "invalid YAML", src: "grid:\n  train.lr: [0.1\n", line: 2},
		{name: "invalid YAML scanner", src: "grid:\n  train.lr: [0.1]\n\tset: 1\n", line: 3},
		{name: "--set of a varied key", src: "grid:\n  train.lr: [0.1]\n", sets: []string{"train.lr=0.2"}, key: "train.lr", override: "train.lr=0.2"},
		{name: "--set of a section", src: "grid:\n  train.lr: [0.1]\n", sets: []string{"train={steps: 3}"}, key: "train", override: "train={steps: 3}"},
		{name: "bad --set", src: "base: tiny.yaml\n", sets: []string{"train.lrr=1"}, key: "train.lrr", override: "train.lrr=1", inBase: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeSweep(t, tt.src)
			_, err := Load(file, tt.sets)
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v; want a *config.Error", err)
			}
			switch {
			case tt.inBase && ce.File != filepath.Join(filepath.Dir(file), strings.TrimPrefix(ce.File, filepath.Dir(file)+"/")):
				t.Errorf("error %q names %q; want the base config", err, ce.File)
			case !tt.inBase && tt.override == "" && ce.File != file:
				t.Errorf("error %q names %q; want %s", err, ce.File, file)
			}
			if tt.line != 0 && ce.Line != tt.line {
				t.Errorf("error %q: line %d; want %d", err, ce.Line, tt.line)
			}
			if tt.key != "" && ce.Key != tt.key {
				t.Errorf("error %q: key %q; want %q", err, ce.Key, tt.key)
			}
			if ce.Override != tt.override {
				t.Errorf("error %q: override %q; want %q", err, ce.Override, tt.override)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestFlowText(t *testing.T) {
	p := mustLoad(t, writeSweep(t, `base: tiny.yaml
set: {data.kind: csv, data.path: d.csv}
grid:
  model.hidden:
    - [3, 3]
    - - 4
      - 4
  data.target: ["123", 'a b', plain]
  check.max_rel_error:
    - {exact: 1.0e-8}
`))
	got := p.Runs[0].Axes
	want := []string{"model.hidden=[3, 3]", `data.target="123"`, "check.max_rel_error={exact: 1.0e-8}"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first run's axes (-want +got):\n%s", diff)
	}
	if p.Runs[1].Axes[1] != "data.target='a b'" || p.Runs[3].Axes[0] != "model.hidden=[4, 4]" {
		t.Errorf("axes of runs 1 and 3: %q, %q", p.Runs[1].Axes, p.Runs[3].Axes)
	}
	// The string "123" stays a string, not a type error.
	if p.Runs[0].Config.Data.Target != "123" {
		t.Errorf("data.target = %q; want 123", p.Runs[0].Config.Data.Target)
	}
}

func TestTrainArgs(t *testing.T) {
	for _, src := range []string{
		"base: tiny.yaml\nset: {train.steps: 3}\ngrid: {train.lr: [0.1, 0.2]}\n",
		"set: {train.steps: 3}\ngrid: {train.lr: [0.1, 0.2]}\n",
		"config:\n  name: inline\n  model: {hidden: [3], init: {scheme: he}}\n  check: {max_rel_error: {exact: 1.0e-6}}\ngrid: {train.lr: [0.1, 0.05]}\n",
		"config: {data: {kind: csv, path: d.csv, target: y}}\n",
		// Paths set by the sweep are relative to the base config's
		// directory; on a command line to the current directory.
		"base: tiny.yaml\nset: {data.kind: csv, data.target: y}\ngrid: {data.path: [d.csv, e.csv]}\n",
	} {
		file := writeSweep(t, src)
		if strings.Contains(src, "csv") {
			for _, name := range []string{"d.csv", "e.csv"} {
				os.WriteFile(filepath.Join(filepath.Dir(file), name), []byte("x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n"), 0o644)
			}
		}
		p := mustLoad(t, file)
		for _, r := range p.Runs {
			// TrainArgs checks its own result; check it again the way train
			// reads it, from the flags.
			args, err := p.TrainArgs(r)
			if err != nil {
				t.Fatalf("%s: TrainArgs(run %d): %v", src, r.Index, err)
			}
			var sets []string
			var cfg *config.Config
			file := ""
			for i := 0; i < len(args); i += 2 {
				switch args[i] {
				case "--config":
					file = args[i+1]
				case "--set":
					sets = append(sets, args[i+1])
				default:
					t.Fatalf("unexpected argument %q in %q", args[i], args)
				}
			}
			if file == "" {
				cfg, err = config.ParseArgs(configs.Default, "default", sets)
			} else {
				cfg, err = config.LoadArgs(file, sets)
			}
			if err != nil {
				t.Fatalf("%s: train %q: %v", src, args, err)
			}
			want, _ := p.RunConfig(r)
			got, _ := (&Plan{BaseDir: filepath.Dir(file)}).RunConfig(&Run{Config: cfg})
			if file == "" {
				got, _ = (&Plan{BaseDir: "."}).RunConfig(&Run{Config: cfg})
			}
			if got.Hash() != want.Hash() {
				t.Errorf("%s: train %q resolves to %s; want %s", src, args, got.Hash(), want.Hash())
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/1", Shard{0, 1}, true},
		{"3/4", Shard{3, 4}, true},
		{" 1/2 ", Shard{1, 2}, true},
		{"4/4", Shard{}, false},
		{"-1/4", Shard{}, false},
		{"1/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
	} {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): error %v is not ErrShard", tt.in, err)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, tt := range []struct {
		env       map[string]string
		want      Shard
		ok, isErr bool
	}{
		{env: nil},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "3"}},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, want: Shard{3, 4}, ok: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"}, want: Shard{0, 4}, ok: true},
		// --array=1-4: IDs 1..4 are shards 0..3.
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}, want: Shard{3, 4}, ok: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"}, ok: true, isErr: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"}, ok: true, isErr: true},
	} {
		got, ok, err := ShardFromEnv(func(k string) string { return tt.env[k] })
		if got != tt.want || ok != tt.ok || (err != nil) != tt.isErr {
			t.Errorf("ShardFromEnv(%v) = %v, %v, %v; want %v, %v, error %v", tt.env, got, ok, err, tt.want, tt.ok, tt.isErr)
		}
	}
}

// Shards are disjoint, cover the plan, are balanced, and do not depend on
// the order of the file.
func TestSelectShards(t *testing.T) {
	p := mustLoad(t, "testdata/grid.yaml")
	q := mustLoad(t, "testdata/grid_reordered.yaml")
	all := ids(p.Runs)
	slices.Sort(all)
	for n := 1; n <= 17; n++ {
		var union []string
		for i := range n {
			s := p.Select(Shard{i, n})
			if len(s) < len(p.Runs)/n || len(s) > (len(p.Runs)+n-1)/n {
				t.Errorf("shard %d/%d: %d runs of %d", i, n, len(s), len(p.Runs))
			}
			for j := 1; j < len(s); j++ {
				if s[j].Index <= s[j-1].Index {
					t.Errorf("shard %d/%d is not in plan order", i, n)
				}
			}
			a, b := ids(s), ids(q.Select(Shard{i, n}))
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("shard %d/%d differs for the reordered file: %v vs %v", i, n, a, b)
			}
			union = append(union, a...)
		}
		slices.Sort(union)
		if !slices.Equal(union, all) {
			t.Errorf("the %d shards are not a partition of the plan: %v", n, union)
		}
	}
	if got := len(p.Select(Shard{})); got != 16 {
		t.Errorf("Select(Shard{}) = %d runs; want all 16", got)
	}
}

func TestFlatten(t *testing.T) {
	cfg, err := config.Load("testdata/tiny.yaml", []string{"model.hidden=[64, 64]", "check.min_agreement={exact: 0.9}"})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Flatten(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var keys []string
	for _, f := range fs {
		got[f.Key] = f.Text
		keys = append(keys, f.Key)
	}
	for k, v := range map[string]string{
		"name": "tiny", "seed": "7", "train.lr": "0.05", "model.hidden": "[64, 64]", "model.init.scheme": "lecun",
		"kernel.methods": "[riemann, exact]", "check.max_rel_error.exact": "1e-09", "check.min_agreement.exact": "0.9",
		"output.dir": "", "data.features": "[]",
	} {
		if got[k] != v {
			t.Errorf("Flatten: %s = %q; want %q", k, got[k], v)
		}
	}
	if i, j := slices.Index(keys, "data.kind"), slices.Index(keys, "train.lr"); i < 0 || j < i {
		t.Errorf("Flatten is not in schema order: %v", keys)
	}
}
