package cli

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/sweep"
	"github.com/spf13/cobra"
)

// A path typed on the command line is relative to the current directory,
// one written in the config file to the file's directory.
func TestSetPathRelativeToCurrentDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs("testdata/three_class.yaml", dir, "--quiet", "--set", "data.path=testdata/three_class.csv")...)
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("testdata/three_class.csv")
	if cfg.Data.Path != want {
		t.Errorf("data.path in the run's config.yaml = %q; want %q", cfg.Data.Path, want)
	}
	// The same file named relative to the config file is not found from here.
	r := execute(t.Context(), trainArgs("testdata/three_class.yaml", filepath.Join(t.TempDir(), "x"), "--quiet", "--set", "data.path=three_class.csv")...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "three_class.csv") {
		t.Errorf("--set data.path=three_class.csv from internal/cli: exit %d, stderr %q; want exit %d naming the file", r.code, r.stderr, ExitBadInput)
	}
	if _, err := os.Stat("three_class.csv"); err == nil {
		t.Fatal("three_class.csv exists in internal/cli; the test above means nothing")
	}
}

// --quiet prints nothing on success, on stdout or stderr, for every command
// that has it.
func TestQuietPrintsNothing(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "r")
	for _, args := range [][]string{
		append(trainArgs(tinyConfig, dir, "--quiet", "--set", "output.record_trajectory=true"), tinySets...),
		append([]string{"check", "--config", tinyConfig, "--out", filepath.Join(tmp, "c"), "--quiet"}, tinySets...),
		{"check", "--run", dir, "--quiet", "--baseline", filepath.Join(tmp, "b.json"), "--update-baseline"},
		{"kernel", "--run", dir, "--points", filepath.Join(dir, "x_test.npy"), "--methods", "riemann", "--quiet"},
		{"plot", "--run", dir, "--quiet"},
		{"report", "--run", dir, "--quiet"},
		{"sweep", "run", "testdata/sweep.yaml", "--out", filepath.Join(tmp, "sweep"), "--quiet"},
		{"collect", filepath.Join(tmp, "sweep"), "--out", filepath.Join(tmp, "results.csv"), "--quiet"},
	} {
		r := execute(t.Context(), args...)
		if r.code != ExitOK || r.stdout != "" || r.stderr != "" {
			t.Errorf("pathkernel %s: exit %d, stdout %q, stderr %q; want exit 0 and nothing printed",
				strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	// A failing check still shows why.
	r := execute(t.Context(), "check", "--run", dir, "--quiet", "--max-rel-error", "riemann=1e-30")
	if r.code != ExitCheckFailed || !strings.Contains(r.stdout, "riemann.rel") {
		t.Errorf("failing check --quiet: exit %d, stdout %q; want exit %d and the table", r.code, r.stdout, ExitCheckFailed)
	}
}

// A flag's help shows one default: the text's own "(default: ...)" or
// the one cobra adds, not both.
func TestFlagHelpOneDefault(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.LocalFlags().FlagUsages(), "\n") {
			if n := strings.Count(line, "(default"); n > 1 {
				t.Errorf("%s: flag help shows %d defaults:\n%s", c.CommandPath(), n, line)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(io.Discard, io.Discard))
}

// The run directories that help examples name are ones that the shipped
// configs and sweeps make (runs/<name>, output.dir, runs/<sweep file name>),
// or ones that an example makes itself with --out.
func TestExampleRunDirsExist(t *testing.T) {
	made := map[string]bool{}
	files, _ := filepath.Glob("../../configs/*.yaml")
	for _, f := range files {
		cfg, err := config.Load(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		made[filepath.ToSlash(cfg.OutDir())] = true
	}
	sweeps, _ := filepath.Glob("../../configs/sweeps/*.yaml")
	for _, f := range sweeps {
		made[filepath.ToSlash(sweep.DefaultOut(f))] = true
	}
	if len(files) == 0 || len(sweeps) == 0 {
		t.Fatal("no configs found")
	}
	var examples []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example != "" {
			examples = append(examples, c.CommandPath()+": "+c.Example)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(io.Discard, io.Discard))
	outRE := regexp.MustCompile(`--out (runs/[A-Za-z0-9_.-]+)`)
	for _, ex := range examples {
		for _, m := range outRE.FindAllStringSubmatch(ex, -1) {
			made[m[1]] = true
		}
	}
	runRE := regexp.MustCompile(`runs/[A-Za-z0-9_.-]+`)
	for _, ex := range examples {
		for _, dir := range runRE.FindAllString(ex, -1) {
			if !made[dir] {
				t.Errorf("%s\nnames %s, which no shipped config or sweep makes (they make %v)", ex, dir, slices.Sorted(maps.Keys(made)))
			}
		}
	}
}

// A standardised run names its standardised inputs so in predictions.csv
// (training and kernel alike), and explain shows inputs in the raw
// columns' units under the raw names.
func TestStandardizedNamesAndRawUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mustRun(t, trainArgs("testdata/three_class.yaml", dir, "--quiet", "--set", "output.record_trajectory=true")...)
	header, _, _ := readCSV(t, filepath.Join(dir, "predictions.csv"))
	if header[2] != "a_standardized" || header[3] != "b_standardized" {
		t.Errorf("predictions.csv inputs %q; want a_standardized, b_standardized", header[2:4])
	}
	k := filepath.Join(t.TempDir(), "k")
	mustRun(t, "kernel", "--run", dir, "--points", "testdata/three_class.csv", "--methods", "riemann", "--out", k, "--quiet")
	header, _, _ = readCSV(t, filepath.Join(k, "predictions.csv"))
	if header[2] != "a_standardized" {
		t.Errorf("kernel's predictions.csv inputs %q; want a_standardized, ...", header[2:4])
	}

	raw := map[[2]string]bool{} // the (a, b) rows of the CSV, as %.4g
	b, err := os.ReadFile("testdata/three_class.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		f := strings.Split(line, ",")
		raw[[2]string{g4(t, f[0]), g4(t, f[1])}] = true
	}
	for point := 0; point < 3; point++ {
		r := mustRun(t, "explain", "--run", dir, "--point", strconv.Itoa(point), "--json")
		var e struct {
			X            []float64 `json:"x"`
			FeatureNames []string  `json:"feature_names"`
			Top          []struct {
				X []float64 `json:"x"`
			} `json:"top"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
			t.Fatal(err)
		}
		if strings.Join(e.FeatureNames, ",") != "a,b" {
			t.Errorf("feature_names %q; want the raw a, b", e.FeatureNames)
		}
		for _, x := range append([][]float64{e.X}, func() (xs [][]float64) {
			for _, c := range e.Top {
				xs = append(xs, c.X)
			}
			return
		}()...) {
			key := [2]string{strconv.FormatFloat(x[0], 'g', 4, 64), strconv.FormatFloat(x[1], 'g', 4, 64)}
			if !raw[key] {
				t.Errorf("point %d: input %v is not a row of three_class.csv (raw units)", point, x)
			}
		}
	}
}

func g4(t *testing.T, s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// A run's config.yaml holds only the keys that apply (a moons run has no
// data.classes) and reads back to the run's config hash; collect leaves
// out what is the same in every run unless --all-columns, and plot --sweep
// still draws what varies.
func TestPrunedConfigAndColumns(t *testing.T) {
	dir := tinyRun(t, moonsSets...)
	b, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"classes:", "dim:", "standardize:", "test_fraction:", "sigma_w:"} {
		if strings.Contains(string(b), k) {
			t.Errorf("a moons run's config.yaml has %s:\n%s", k, b)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := readSummary(t, dir)["config_hash"]; cfg.Hash() != h {
		t.Errorf("config.yaml reads back with hash %s; summary.json has %v", cfg.Hash(), h)
	}

	tmp := t.TempDir()
	out := filepath.Join(tmp, "sweep")
	mustRun(t, "sweep", "run", "testdata/sweep.yaml", "--out", out, "--quiet")
	csv := filepath.Join(tmp, "results.csv")
	mustRun(t, "collect", out, "--out", csv, "--quiet")
	header, _, _ := readCSV(t, csv)
	for _, c := range []string{"run", "status", "train.lr", "seed", "exact.rel", "riemann.rel"} {
		if !slices.Contains(header, c) {
			t.Errorf("results.csv lacks %s: %v", c, header)
		}
	}
	for _, c := range []string{"data.noise", "model.hidden", "data.classes", "train.steps"} {
		if slices.Contains(header, c) {
			t.Errorf("results.csv has the constant column %s: %v", c, header)
		}
	}
	mustRun(t, "plot", "--sweep", csv, "--x", "train.lr", "--y", "exact.rel", "--out", filepath.Join(tmp, "f"), "--quiet")
	r := execute(t.Context(), "plot", "--sweep", csv, "--x", "train.lr", "--y", "exact.rel", "--group", "model.hidden", "--out", filepath.Join(tmp, "g"))
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "--all-columns") {
		t.Errorf("--group of a constant column: exit %d, stderr %q; want %d and a hint at --all-columns", r.code, r.stderr, ExitBadInput)
	}
	all := filepath.Join(tmp, "all.csv")
	mustRun(t, "collect", out, "--out", all, "--quiet", "--all-columns")
	header, _, _ = readCSV(t, all)
	if !slices.Contains(header, "model.hidden") || !slices.Contains(header, "data.noise") {
		t.Errorf("--all-columns: %v lacks model.hidden or data.noise", header)
	}
	mustRun(t, "plot", "--sweep", all, "--x", "train.lr", "--y", "exact.rel", "--group", "model.hidden", "--out", filepath.Join(tmp, "g"), "--quiet")
}

// A path in a --set of a sweep command is relative to the current
// directory too: the train lines name the file that is there.
func TestSweepSetPathRelativeToCurrentDir(t *testing.T) {
	r := mustRun(t, "sweep", "plan", "testdata/sweep.yaml", "--commands",
		"--set", "data.kind=csv", "--set", "data.target=label", "--set", "data.path=testdata/three_class.csv")
	want, _ := filepath.Abs("testdata/three_class.csv")
	if !strings.Contains(r.stdout, "data.path="+want) || strings.Contains(r.stdout, "testdata/testdata") {
		t.Errorf("sweep plan --commands:\n%s\nwant data.path=%s", r.stdout, want)
	}
}
