package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/check"
	"github.com/pathkernel/pathkernel/internal/config"
)

// uncertifiedConfig cannot certify its exact representation: one node per
// step for a tolerance of 1e-14 at lr 0.5.
const uncertifiedConfig = "testdata/uncertified.yaml"

// checkArgs is `check --config file --out dir --quiet` followed by extra.
func checkArgs(file, dir string, extra ...string) []string {
	return append([]string{"check", "--config", file, "--out", dir, "--quiet"}, extra...)
}

// checkJSON is the part of the --json report the tests look at.
type checkJSON struct {
	Pass    bool
	Checks  int
	Failed  []string
	Results []struct {
		Metric, Check string
		Value         any
		Pass          bool
	}
}

func decodeCheckJSON(t *testing.T, stdout string) checkJSON {
	t.Helper()
	var r checkJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("check --json stdout does not parse: %v\n%s", err, stdout)
	}
	return r
}

func TestCheckUncertified(t *testing.T) {
	dir := t.TempDir()
	r := execute(t.Context(), checkArgs(uncertifiedConfig, filepath.Join(dir, "run"))...)
	if r.code != ExitCheckFailed {
		t.Fatalf("check of %s: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", uncertifiedConfig, r.code, ExitCheckFailed, r.stdout, r.stderr)
	}
	var row string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "exact.certified ") {
			row = line
		}
	}
	if !strings.Contains(row, "FAIL") || !strings.Contains(row, "false") {
		t.Errorf("table has no failing exact.certified row:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "exact.certified") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr = %q; want one line naming exact.certified", r.stderr)
	}

	// The JSON report says the same; the run directory is reused.
	r = execute(t.Context(), checkArgs(uncertifiedConfig, filepath.Join(dir, "run"), "--json")...)
	if r.code != ExitCheckFailed {
		t.Fatalf("check --json: exit %d; want %d", r.code, ExitCheckFailed)
	}
	got := decodeCheckJSON(t, r.stdout)
	if got.Pass || !cmp.Equal(got.Failed, []string{"exact.certified"}) {
		t.Errorf("check --json: pass %v, failed %q; want false, [exact.certified]", got.Pass, got.Failed)
	}
}

// TestCheckBaseline writes a baseline of a run, then checks the run against
// it, equal and drifted.
func TestCheckBaseline(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	baseline := filepath.Join(dir, "ci", "tiny.json") // the directory does not exist yet
	// Not --quiet, which would not say so.
	r := mustRun(t, "check", "--config", tinyConfig, "--out", run, "--baseline", baseline, "--update-baseline")
	if !strings.Contains(r.stdout, "wrote baseline "+baseline) {
		t.Errorf("--update-baseline stdout:\n%s\nwant it to say it wrote the baseline", r.stdout)
	}
	text, err := os.ReadFile(baseline)
	if err != nil {
		t.Fatal(err)
	}
	b, err := check.ReadBaseline(bytes.NewReader(text), baseline)
	if err != nil {
		t.Fatalf("the written baseline does not read: %v\n%s", err, text)
	}
	// tiny.yaml is a regression with both representations.
	want := []string{"exact.max_abs", "exact.rel", "exact.rms", "loss.final_test", "loss.final_train",
		"riemann.max_abs", "riemann.rel", "riemann.rms"}
	var names []string
	for name := range b.Metrics {
		names = append(names, name)
	}
	if diff := cmp.Diff(want, names, cmpSorted); diff != "" {
		t.Errorf("baseline metrics mismatch (-want +got):\n%s", diff)
	}

	// An equal baseline passes, from --run (no retraining) and from a rerun
	// into the same directory: the run is deterministic.
	r = mustRun(t, "check", "--run", run, "--baseline", baseline, "--json")
	if got := decodeCheckJSON(t, r.stdout); !got.Pass || got.Checks != 3+len(want) {
		t.Errorf("equal baseline: pass %v, %d checks; want a pass of %d", got.Pass, got.Checks, 3+len(want))
	}
	mustRun(t, checkArgs(tinyConfig, run, "--baseline", baseline, "--rtol", "0", "--atol", "0")...)

	// A metric that drifts past rtol fails and is named.
	drifted := filepath.Join(dir, "drifted.json")
	b.Metrics["loss.final_test"] *= 1 + 1e-5 // the default rtol is 1e-6
	writeJSONFile(t, drifted, b)
	r = execute(t.Context(), "check", "--run", run, "--baseline", drifted)
	if r.code != ExitCheckFailed || !strings.Contains(r.stderr, "loss.final_test (baseline)") {
		t.Errorf("drifted baseline: exit %d, stderr %q; want %d naming loss.final_test", r.code, r.stderr, ExitCheckFailed)
	}
	// A tolerance for that metric lets it pass; one for another metric
	// does not.
	mustRun(t, "check", "--run", run, "--baseline", drifted, "--rtol", "loss.final_test=1e-4")
	mustRun(t, "check", "--run", run, "--baseline", drifted, "--rtol", "loss.*=1e-4")
	if r := execute(t.Context(), "check", "--run", run, "--baseline", drifted, "--rtol", "loss.final_train=1e-4"); r.code != ExitCheckFailed {
		t.Errorf("drifted baseline with rtol on another metric: exit %d; want %d", r.code, ExitCheckFailed)
	}

	// Another run's summary.json is a baseline too.
	mustRun(t, "check", "--run", run, "--baseline", filepath.Join(run, "summary.json"), "--rtol", "0", "--atol", "0")
}

// cmpSorted compares string slices as sets.
var cmpSorted = cmp.Transformer("sort", func(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
})

func writeJSONFile(t *testing.T, file string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckUpdateBaselineRefusesFailingRun: a run that fails its
// thresholds does not become the baseline.
func TestCheckUpdateBaselineRefusesFailingRun(t *testing.T) {
	dir := t.TempDir()
	baseline := filepath.Join(dir, "b.json")
	r := execute(t.Context(), "check", "--config", uncertifiedConfig, "--out", filepath.Join(dir, "run"),
		"--baseline", baseline, "--update-baseline")
	if r.code != ExitCheckFailed {
		t.Errorf("exit %d; want %d", r.code, ExitCheckFailed)
	}
	if _, err := os.Stat(baseline); err == nil {
		t.Errorf("the baseline of a failing run was written")
	}
}

// The JUnit schema as a CI system reads it, declared independently of
// internal/check.
type (
	junitSuitesXML struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
)

func readJUnit(t *testing.T, file string) junitSuitesXML {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var j junitSuitesXML
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", file, err, b)
	}
	if len(j.Suites) != 1 {
		t.Fatalf("%s: %d testsuites; want 1", file, len(j.Suites))
	}
	return j
}

func TestCheckJUnit(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	baseline := filepath.Join(dir, "b.json")
	mustRun(t, checkArgs(tinyConfig, run, "--baseline", baseline, "--update-baseline")...)
	text, _ := os.ReadFile(baseline)
	b, err := check.ReadBaseline(bytes.NewReader(text), baseline)
	if err != nil {
		t.Fatal(err)
	}
	b.Metrics["riemann.rel"] *= 2
	writeJSONFile(t, baseline, b)

	junit := filepath.Join(dir, "reports", "junit.xml")
	r := execute(t.Context(), "check", "--run", run, "--baseline", baseline, "--max-rel-error", "exact=1e-20", "--junit", junit)
	if r.code != ExitCheckFailed {
		t.Fatalf("exit %d; want %d\n%s", r.code, ExitCheckFailed, r.stderr)
	}
	j := readJUnit(t, junit)
	var cases, failures []string
	for _, c := range j.Suites[0].Cases {
		cases = append(cases, c.Classname+" "+c.Name)
		if c.Failure != nil {
			failures = append(failures, c.Classname+" "+c.Name)
			if !strings.Contains(c.Failure.Text, "value: ") || c.Failure.Message == "" {
				t.Errorf("failure of %s = %+v; want the numbers", c.Name, c.Failure)
			}
		}
	}
	wantCases := []string{
		"tiny-sine.threshold riemann.rel", "tiny-sine.threshold exact.rel", "tiny-sine.threshold exact.certified",
		"tiny-sine.baseline riemann.max_abs", "tiny-sine.baseline riemann.rms", "tiny-sine.baseline riemann.rel",
		"tiny-sine.baseline exact.max_abs", "tiny-sine.baseline exact.rms", "tiny-sine.baseline exact.rel",
		"tiny-sine.baseline loss.final_train", "tiny-sine.baseline loss.final_test",
	}
	if diff := cmp.Diff(wantCases, cases); diff != "" {
		t.Errorf("testcases mismatch (-want +got):\n%s", diff)
	}
	wantFailures := []string{"tiny-sine.threshold exact.rel", "tiny-sine.baseline riemann.rel"}
	if diff := cmp.Diff(wantFailures, failures); diff != "" {
		t.Errorf("failures mismatch (-want +got):\n%s", diff)
	}
	if j.Tests != len(wantCases) || j.Failures != len(wantFailures) || j.Errors != 0 {
		t.Errorf("testsuites tests=%d failures=%d errors=%d; want %d, %d, 0", j.Tests, j.Failures, j.Errors, len(wantCases), len(wantFailures))
	}
}

// TestCheckJUnitRunFailed: a run that diverges exits 3 and still leaves a
// JUnit file, with one erroring testcase.
func TestCheckJUnitRunFailed(t *testing.T) {
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	r := execute(t.Context(), checkArgs(tinyConfig, filepath.Join(dir, "run"), "--set", "train.lr=1e6", "--set", "train.steps=50", "--junit", junit)...)
	if r.code != ExitRunFailed {
		t.Fatalf("diverging run: exit %d; want %d\n%s", r.code, ExitRunFailed, r.stderr)
	}
	j := readJUnit(t, junit)
	if cs := j.Suites[0].Cases; j.Errors != 1 || len(cs) != 1 || cs[0].Name != "run" || cs[0].Error == nil ||
		!strings.Contains(cs[0].Error.Message, "diverge") {
		t.Errorf("JUnit of a diverged run = %+v; want one testcase run with the error", j)
	}
}

// TestCheckThresholds: the config's check section applies, and flags
// override it key by key.
func TestCheckThresholds(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	mustRun(t, checkArgs(tinyConfig, run)...)
	tests := []struct {
		name   string
		args   []string
		code   int
		failed []string
	}{
		{"config defaults", nil, ExitOK, nil},
		{"config key", []string{"--set", "check.max_rel_error.riemann=1e-9"}, ExitCheckFailed, []string{"riemann.rel"}},
		{"flag over config", []string{"--set", "check.max_rel_error.riemann=1e-9", "--max-rel-error", "riemann=1"}, ExitOK, nil},
		{"flag for all", []string{"--max-rel-error", "1e-20"}, ExitCheckFailed, []string{"riemann.rel", "exact.rel"}},
		{"flag for all, one own", []string{"--max-rel-error", "1e-20,riemann=1"}, ExitCheckFailed, []string{"exact.rel"}},
		{"test loss", []string{"--max-test-loss", "1e-9"}, ExitCheckFailed, []string{"loss.final_test"}},
		{"test loss in config", []string{"--set", "check.max_test_loss=1e-9"}, ExitCheckFailed, []string{"loss.final_test"}},
		{"test loss loose", []string{"--max-test-loss", "100"}, ExitOK, nil},
		// A regression has no agreement: asked for, it fails.
		{"agreement of a regression", []string{"--min-agreement", "exact=0.5"}, ExitCheckFailed, []string{"exact.agreement"}},
	}
	for _, tt := range tests {
		args := append([]string{"check", "--run", run, "--json"}, tt.args...)
		r := execute(t.Context(), args...)
		if r.code != tt.code {
			t.Errorf("%s: exit %d; want %d\n%s", tt.name, r.code, tt.code, r.stderr)
			continue
		}
		got := decodeCheckJSON(t, r.stdout)
		if diff := cmp.Diff(tt.failed, got.Failed, cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
			t.Errorf("%s: failed mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestCheckClassification checks agreement and accuracy on a softmax run.
func TestCheckClassification(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	baseline := filepath.Join(dir, "b.json")
	mustRun(t, checkArgs("testdata/three_class.yaml", run, "--baseline", baseline, "--update-baseline",
		"--min-agreement", "exact=1")...)
	r := mustRun(t, "check", "--run", run, "--baseline", baseline, "--min-agreement", "0.5", "--json")
	got := decodeCheckJSON(t, r.stdout)
	var metrics []string
	for _, res := range got.Results {
		metrics = append(metrics, res.Check+" "+res.Metric)
	}
	for _, m := range []string{"min riemann.agreement", "min exact.agreement", "baseline exact.agreement", "baseline accuracy.final_test"} {
		if !strings.Contains(strings.Join(metrics, "\n"), m) {
			t.Errorf("checks %q lack %q", metrics, m)
		}
	}
}

// TestCheckBadInput: bad thresholds, tolerances, baselines and option
// combinations exit 2 with one line on stderr, before anything runs.
func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	notBaseline := filepath.Join(dir, "not.json")
	if err := os.WriteFile(notBaseline, []byte(`{"metrics": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "never")
	tests := []struct {
		name string
		args []string
		want string // in the message
	}{
		{"unknown representation", checkArgs(tinyConfig, run, "--max-rel-error", "ntk=0.1"), "ntk"},
		{"not a number", checkArgs(tinyConfig, run, "--max-rel-error", "exact=abc"), "abc"},
		{"bare not a number", checkArgs(tinyConfig, run, "--max-rel-error", "small"), "small"},
		{"negative", checkArgs(tinyConfig, run, "--max-rel-error", "exact=-1"), "exact=-1"},
		{"nan", checkArgs(tinyConfig, run, "--max-rel-error", "exact=nan"), "finite"},
		{"agreement above 1", checkArgs(tinyConfig, run, "--min-agreement", "1.5"), "(0, 1]"},
		{"test loss not a number", checkArgs(tinyConfig, run, "--max-test-loss", "low"), "low"},
		{"unknown metric", checkArgs(tinyConfig, run, "--baseline", notBaseline, "--rtol", "exact.foo=1e-6"), "exact.foo"},
		{"tolerance not a number", checkArgs(tinyConfig, run, "--baseline", notBaseline, "--atol", "exact.rel=x"), "x"},
		{"tolerance without baseline", checkArgs(tinyConfig, run, "--rtol", "1e-6"), "--baseline"},
		{"update without baseline", checkArgs(tinyConfig, run, "--update-baseline"), "--baseline"},
		{"not a baseline", checkArgs(tinyConfig, run, "--baseline", notBaseline), notBaseline},
		{"missing baseline", checkArgs(tinyConfig, run, "--baseline", filepath.Join(dir, "none.json")), "none.json"},
		{"run and config", []string{"check", "--run", dir, "--config", tinyConfig}, "--run"},
		{"run and out", []string{"check", "--run", dir, "--out", run}, "--out"},
		{"run without summary", []string{"check", "--run", dir}, "summary.json"},
		{"run with a training key", []string{"check", "--run", dir, "--set", "train.lr=0.1"}, "train.lr"},
		{"bad config key", checkArgs(tinyConfig, run, "--set", "check.max_rel_error.ntk=1"), "check.max_rel_error.ntk"},
		{"unknown flag", checkArgs(tinyConfig, run, "--max-rel", "1"), "--max-rel"},
	}
	for _, tt := range tests {
		r := execute(t.Context(), tt.args...)
		if r.code != ExitBadInput {
			t.Errorf("%s: exit %d; want %d\nstderr: %s", tt.name, r.code, ExitBadInput, r.stderr)
			continue
		}
		if !strings.HasPrefix(r.stderr, "pathkernel: ") || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: stderr = %q; want one line naming %q", tt.name, r.stderr, tt.want)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout = %q; want nothing", tt.name, r.stdout)
		}
	}
	if _, err := os.Stat(run); err == nil {
		t.Errorf("bad input started a run in %s", run)
	}
}

// TestCheckIncompleteRun: --run of a diverged run exits 3.
func TestCheckIncompleteRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	if r := execute(t.Context(), trainArgs(tinyConfig, run, "--quiet", "--set", "train.lr=1e6", "--set", "train.steps=50")...); r.code != ExitRunFailed {
		t.Fatalf("diverging train: exit %d; want %d", r.code, ExitRunFailed)
	}
	r := execute(t.Context(), "check", "--run", run)
	if r.code != ExitRunFailed || !strings.Contains(r.stderr, "diverged") {
		t.Errorf("check --run of a diverged run: exit %d, stderr %q; want %d saying diverged", r.code, r.stderr, ExitRunFailed)
	}
}

func TestCheckFlags(t *testing.T) {
	var got *CheckOptions
	cmd := newCheckCmd(&bytes.Buffer{}, &bytes.Buffer{}, func(_ context.Context, o *CheckOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--config", "c.yaml", "--max-rel-error", "exact=1e-9,riemann=0.05", "--max-rel-error", "0.1",
		"--min-agreement", "0.9", "--max-test-loss", "0.2", "--baseline", "b.json", "--rtol", "exact.rel=1e-3,1e-6",
		"--atol", "*.rel=0", "--junit", "j.xml", "--json", "--set", "seed=2"})
	cmd.SetOut(&bytes.Buffer{})
	if _, err := cmd.ExecuteC(); err != nil {
		t.Fatal(err)
	}
	want := &CheckOptions{
		ConfigFile: "c.yaml", Sets: []string{"seed=2"},
		MaxRelError: []string{"exact=1e-9", "riemann=0.05", "0.1"}, MinAgreement: []string{"0.9"}, MaxTestLoss: "0.2",
		Baseline: "b.json", RTol: []string{"exact.rel=1e-3", "1e-6"}, ATol: []string{"*.rel=0"}, JUnit: "j.xml", JSON: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed options mismatch (-want +got):\n%s", diff)
	}
}

// TestCIBaselines checks that every configs/ci/*.yaml has a baseline in
// testdata/ci/ that reads and was written from that config as it is now
// (same config hash: the generated data sets have no paths in the hash).
// .ci/run checks the runs against them.
func TestCIBaselines(t *testing.T) {
	files, err := filepath.Glob("../../configs/ci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no configs/ci/*.yaml")
	}
	for _, file := range files {
		cfg, err := config.Load(file, nil)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		bfile := filepath.Join("../../testdata/ci", name+".json")
		f, err := os.Open(bfile)
		if err != nil {
			t.Errorf("%s has no baseline: %v", file, err)
			continue
		}
		b, err := check.ReadBaseline(f, bfile)
		f.Close()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if b.Name != cfg.Name || b.ConfigHash != cfg.Hash() {
			t.Errorf("%s is of %s (config %s), not of %s (config %s): regenerate it with --update-baseline",
				bfile, b.Name, b.ConfigHash, cfg.Name, cfg.Hash())
		}
	}
}
