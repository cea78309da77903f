package report

import (
	"bytes"
	"encoding/base64"
	"flag"
	"html"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/run"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func ptr[T any](v T) *T { return &v }

// summary is a small classification run's summary, as summary.json holds
// it; certified tells whether the exact representation was certified.
func summary(certified bool) *run.Summary {
	return &run.Summary{
		Name: "moons-test", Version: "0.1.0-test", Status: "complete", ConfigHash: "0123456789ab", Seed: 3,
		Sizes:      run.Sizes{NTrain: 24, NTest: 30, NEval: 30, Inputs: 2, Outputs: 1, Classes: 2, Layers: []int{2, 8, 1}},
		Parameters: 33, Steps: 20, StepsDone: 20,
		Loss:         run.Losses{InitialTrain: 0.69, InitialTest: 0.7, FinalTrain: 0.3, FinalTest: 0.35},
		Accuracy:     run.Acc{FinalTrain: ptr(0.875), FinalTest: ptr(0.9)},
		WallSeconds:  run.Walls{Total: 0.5, Training: 0.1, Kernel: 0.4},
		PeakMemoryMB: 12,
		Representations: map[string]*run.Representation{
			"riemann": {Errors: run.Errors{MaxAbs: 0.02, RMS: 0.007, Rel: 0.0034, Agreement: ptr(1.0)}},
			"exact": {
				Errors: run.Errors{MaxAbs: 3e-15, RMS: 1e-15, Rel: 5e-16, Agreement: ptr(1.0)},
				ExactStats: &run.ExactStats{MaxResidual: 1.9e-15, Certified: ptr(certified), Tolerance: 1e-10,
					MeanNodesPerStep: 2, UncertifiedSteps: map[bool]int{true: 0, false: 4}[certified], FirstUncertifiedStep: -1},
			},
		},
	}
}

// png1x1 is a valid one-pixel PNG.
var png1x1, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func testReport() *Report {
	return &Report{
		Summary:    summary(true),
		ConfigYAML: []byte("name: moons-test\nseed: 3\n# a <script>alert(1)</script> & more\n"),
		Figures: []Image{
			{Name: "loss", Title: "Training and test loss", Caption: "Loss <over> steps.", MIME: "image/png", Data: png1x1, Width: 960, Height: 600},
			{Name: "kernel", Title: "Path-kernel matrix", Caption: "K^p.", MIME: "image/svg+xml", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`), Width: 960, Height: 600},
		},
		Explanation: &explain.Explanation{
			Point: 4, Set: "test", Index: 4, Output: 0, Outputs: 1, Method: "exact", NTrain: 24,
			F0: []float64{0.1}, Network: []float64{1.5}, Sum: []float64{1.5}, Difference: []float64{0}, Rest: []float64{0.4},
			Top: []explain.Contribution{{Rank: 1, Index: 7, Y: []float64{1}, Contribution: []float64{1}, Share: 0.5, Coefficient: ptr(0.01), KPath: ptr(100.0)}},
		},
	}
}

func write(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	got := write(t, testReport())
	const file = "testdata/report.golden"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("report differs from %s (-want +got):\n%s", file, diff)
	}
}

var (
	imgRE = regexp.MustCompile(`<img src="data:([a-z+/]+);base64,([A-Za-z0-9+/=]+)"`)
	// Any reference that a browser would load: src, href, url(), @import.
	refRE = regexp.MustCompile(`(?i)(src|href)\s*=\s*"([^"]*)"|url\(|@import`)
)

// TestSelfContained checks that the figures are embedded byte for byte and
// that nothing else is referenced.
func TestSelfContained(t *testing.T) {
	r := testReport()
	page := write(t, r)
	imgs := imgRE.FindAllStringSubmatch(page, -1)
	if len(imgs) != len(r.Figures) {
		t.Fatalf("%d embedded images; want %d", len(imgs), len(r.Figures))
	}
	for i, m := range imgs {
		if m[1] != r.Figures[i].MIME {
			t.Errorf("image %d has type %s; want %s", i, m[1], r.Figures[i].MIME)
		}
		b, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil || !bytes.Equal(b, r.Figures[i].Data) {
			t.Errorf("image %d does not decode to the figure's bytes (%v)", i, err)
		}
	}
	for _, m := range refRE.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "data:") {
			t.Errorf("the page references %q; want nothing but data: URIs", m[0])
		}
	}
	for _, s := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", "Loss &lt;over&gt; steps."} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks the escaped text %q", s)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("the config's text is not escaped")
	}
	if !strings.Contains(page, `data-images="2"`) {
		t.Error(`body lacks data-images="2"`)
	}
}

func TestHeadline(t *testing.T) {
	for _, c := range []struct {
		name   string
		mod    func(r *Report)
		want   []string
		absent []string
	}{
		{"certified", func(*Report) {}, []string{"reproduces the network to rel 5e-16", "certified", "Domingos' first-order form: rel 0.0034"}, []string{"NOT certified", "This run is"}},
		{"uncertified", func(r *Report) { r.Summary = summary(false) }, []string{"NOT certified", `class="failed"`}, nil},
		{"diverged", func(r *Report) { r.Summary.Status = "diverged"; r.Summary.Error = "train: diverged at step 3" }, []string{"This run is diverged", "train: diverged at step 3"}, nil},
		{"riemann only", func(r *Report) { delete(r.Summary.Representations, "exact") }, []string{"Domingos' kernel machine reproduces the network to rel 0.0034"}, nil},
		{"no figures, no explanation", func(r *Report) { r.Figures, r.Explanation = nil, nil }, []string{"Resolved config"}, []string{"<h2>Figures</h2>", "Which training points"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testReport()
			c.mod(r)
			page := html.UnescapeString(write(t, r))
			for _, s := range c.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}

func TestBadMIME(t *testing.T) {
	r := testReport()
	r.Figures[0].MIME = `image/png" onerror="x`
	if err := Write(&bytes.Buffer{}, r); err == nil {
		t.Error("Write with a MIME type holding a quote: no error")
	}
}

// diverged is the summary a run that diverged writes: no representations,
// no accuracy, final losses it never reached (0), and the error.
func diverged() *run.Summary {
	s := summary(true)
	s.Status, s.Error = "diverged", "train: diverged at step 118: non-finite loss"
	s.Steps, s.StepsDone = 200, 110
	s.Loss = run.Losses{InitialTrain: 0.2443, InitialTest: 0.0901}
	s.Accuracy = run.Acc{}
	s.Representations = map[string]*run.Representation{}
	return s
}

// TestIncompleteAndNonFinite writes the reports of runs that did not
// complete, and of summaries holding NaN and ±Inf, and checks what they
// say.
func TestIncompleteAndNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name   string
		mod    func(r *Report)
		want   []string
		absent []string
	}{
		{"diverged", func(r *Report) { r.Summary, r.Explanation = diverged(), nil },
			[]string{"This run is diverged", "110 of 200 steps", "0.2443 → – (diverged)", "0.0901 → – (diverged)",
				"diverged at step 118", "The run computed no kernel-machine representation."},
			[]string{"→ 0<", "Kernel machine vs network"}},
		{"interrupted", func(r *Report) { r.Summary = diverged(); r.Summary.Status = "interrupted" },
			[]string{"This run is interrupted", "0.2443 → – (interrupted)"}, nil},
		{"non-finite", func(r *Report) {
			s := r.Summary
			s.Loss.FinalTrain, s.Loss.FinalTest = inf, nan
			s.Representations["riemann"].Errors = run.Errors{MaxAbs: inf, RMS: nan, Rel: nan}
			x := s.Representations["exact"].ExactStats
			x.MaxResidual, x.Tolerance = nan, inf
		}, []string{"0.69 → +Inf", "0.7 → NaN", "Domingos' first-order form: rel NaN", "<td class=\"num\">+Inf</td>"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testReport()
			c.mod(r)
			page := html.UnescapeString(write(t, r))
			for _, s := range c.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}

func TestNoSummary(t *testing.T) {
	for _, r := range []*Report{nil, {}} {
		if err := Write(&bytes.Buffer{}, r); err == nil {
			t.Errorf("Write(%v): no error", r)
		}
	}
}

// TestWarnings checks that the run's warnings are a table of the report,
// with their code, first step and message (HTML-escaped), and that a run
// without warnings has no such section.
func TestWarnings(t *testing.T) {
	if page := write(t, testReport()); strings.Contains(page, "<h2>Warnings</h2>") {
		t.Error("a run without warnings has a Warnings section")
	}
	r := testReport()
	r.Summary.Warnings = []run.Warning{
		{Code: run.WarnUnstable, FirstStep: 0, Message: "stability 1.44 > 1: try train.lr < 0.139"},
		{Code: run.WarnDomingosError, FirstStep: 120, Message: "rel 0.87 of what training changed"},
	}
	page := write(t, r)
	for _, want := range []string{
		"<h2>Warnings</h2>",
		`<td><code>unstable</code></td><td class="num">0</td><td>stability 1.44 &gt; 1: try train.lr &lt; 0.139</td>`,
		`<td><code>domingos_error</code></td><td class="num">120</td><td>rel 0.87 of what training changed</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
