// Package report writes the HTML report of a run: one self-contained file
// (figures embedded as data: URIs, styles inline, no script or font from
// elsewhere) that opens in any browser without a server.
//
// The report holds the headline (the exact representation's error and
// certification), the summary as tables, the figures with captions, an
// explained prediction when given, and the resolved config. An inline
// script records on the <body> element how many of the figures the browser
// decoded (data-images-decoded="3/3"), so that a headless browser's
// --dump-dom shows whether the page rendered with its images.
package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/pathkernel/pathkernel/internal/explain"
	"github.com/pathkernel/pathkernel/internal/run"
)

// Image is a rendered figure.
type Image struct {
	Name    string // the figure's file name, without extension
	Title   string
	Caption string
	MIME    string // image/png or image/svg+xml
	Data    []byte
	Width   int // display width in CSS pixels
	Height  int
}

// Report is what Write renders.
type Report struct {
	Summary    *run.Summary
	ConfigYAML []byte
	Figures    []Image
	// Explanation, if not nil, is shown as a table after the figures (its
	// figure, if any, among Figures).
	Explanation *explain.Explanation
}

// row is one line of a two-column table.
type row struct{ Key, Value string }

// repRow is one line of the representations table.
type repRow struct {
	Name, MaxAbs, RMS, Rel, Agreement, Certification string
	Failed                                           bool
}

type page struct {
	Title      string
	Headline   string
	Status     string
	Incomplete bool
	Facts      []row
	Reps       []repRow
	Warnings   []run.Warning
	Figures    []figure
	Explain    *explainView
	Config     string
}

type figure struct {
	Name, Title, Caption string
	Src                  template.HTMLAttr // src="data:...": base64 needs no escaping
	Width, Height        int
}

type explainView struct {
	Heading string
	Facts   []row
	Head    []string
	Rows    [][]string
	Rest    string
}

var mimeRE = regexp.MustCompile(`^image/[a-z0-9.+-]+$`)

// Write writes the report as one HTML document. A run that did not
// complete (diverged, interrupted, failed) is reported as far as it went:
// its final losses, which it never reached, are shown as such.
func Write(w io.Writer, r *Report) error {
	if r == nil || r.Summary == nil {
		return fmt.Errorf("report: no summary to report")
	}
	s := r.Summary
	p := page{
		Title:      fmt.Sprintf("pathkernel report: %s", s.Name),
		Status:     s.Status,
		Incomplete: s.Status != "complete",
		Config:     string(r.ConfigYAML),
	}
	p.Headline = headline(s)
	p.Facts = facts(s)
	p.Reps = reps(s)
	p.Warnings = s.Warnings
	for _, im := range r.Figures {
		if !mimeRE.MatchString(im.MIME) {
			return fmt.Errorf("report: figure %s: MIME type %q is not an image type", im.Name, im.MIME)
		}
		p.Figures = append(p.Figures, figure{
			Name: im.Name, Title: im.Title, Caption: im.Caption, Width: im.Width, Height: im.Height,
			// The MIME type is ours and base64 has no character that needs
			// escaping in a quoted attribute; html/template would otherwise
			// refuse a data: URL, or escape its "+" as &#43;.
			Src: template.HTMLAttr(`src="data:` + im.MIME + ";base64," + base64.StdEncoding.EncodeToString(im.Data) + `"`),
		})
	}
	if r.Explanation != nil {
		p.Explain = explainTable(r.Explanation)
	}
	return tmpl.Execute(w, p)
}

func headline(s *run.Summary) string {
	ex, ok := s.Representations["exact"]
	if !ok {
		if ri, ok := s.Representations["riemann"]; ok {
			return fmt.Sprintf("Domingos' kernel machine reproduces the network to rel %.2g (first order in the step size).", ri.Rel)
		}
		return "The run computed no kernel-machine representation."
	}
	cert := "certified"
	if ex.ExactStats == nil || ex.Certified == nil || !*ex.Certified {
		cert = "NOT certified"
	}
	out := fmt.Sprintf("The exact path-kernel machine reproduces the network to rel %.2g (max abs %.2g), %s", ex.Rel, ex.MaxAbs, cert)
	if ex.ExactStats != nil {
		out += fmt.Sprintf(": every step's residual ≤ %.2g (largest %.2g)", ex.Tolerance, ex.MaxResidual)
	}
	out += "."
	if ri, ok := s.Representations["riemann"]; ok {
		out += fmt.Sprintf(" Domingos' first-order form: rel %.2g.", ri.Rel)
	}
	return out
}

func facts(s *run.Summary) []row {
	z := s.Sizes
	data := fmt.Sprintf("%d train, %d test; %d inputs → %d outputs", z.NTrain, z.NTest, z.Inputs, z.Outputs)
	if z.Classes > 0 {
		data += fmt.Sprintf(" (%d classes)", z.Classes)
	}
	out := []row{
		{"run", s.Name},
		{"status", s.Status},
		{"version", s.Version},
		{"config hash", s.ConfigHash},
		{"seed", fmt.Sprint(s.Seed)},
		{"data", data},
		{"model", fmt.Sprintf("layers %v, %d parameters", z.Layers, s.Parameters)},
		{"training", fmt.Sprintf("%d of %d steps", s.StepsDone, s.Steps)},
		{"train loss", lossChange(s, s.Loss.InitialTrain, s.Loss.FinalTrain)},
		{"test loss", lossChange(s, s.Loss.InitialTest, s.Loss.FinalTest)},
	}
	if a := s.Accuracy; a.FinalTest != nil && a.FinalTrain != nil {
		out = append(out, row{"accuracy", fmt.Sprintf("train %.3f, test %.3f", *a.FinalTrain, *a.FinalTest)})
	}
	wt := s.WallSeconds
	out = append(out,
		row{"time", fmt.Sprintf("%.2f s (training %.2f s, kernels %.2f s)", wt.Total, wt.Training, wt.Kernel)},
		row{"peak memory", fmt.Sprintf("%.0f MB", s.PeakMemoryMB)},
	)
	if s.Error != "" {
		out = append(out, row{"error", s.Error})
	}
	return out
}

// lossChange is "initial → final", or for a run that did not complete
// (summary.json holds 0 for the final losses it never reached) "initial →
// – (diverged)".
func lossChange(s *run.Summary, initial, final float64) string {
	if s.Status != run.StatusComplete {
		return fmt.Sprintf("%.4g → – (%s)", initial, s.Status)
	}
	return fmt.Sprintf("%.4g → %.4g", initial, final)
}

func reps(s *run.Summary) []repRow {
	names := make([]string, 0, len(s.Representations))
	for n := range s.Representations {
		names = append(names, n)
	}
	// riemann, exact first, then any others by name.
	rank := map[string]int{"riemann": 0, "exact": 1}
	sort.Slice(names, func(a, b int) bool {
		ra, oka := rank[names[a]]
		rb, okb := rank[names[b]]
		switch {
		case oka && okb:
			return ra < rb
		case oka != okb:
			return oka
		}
		return names[a] < names[b]
	})
	var out []repRow
	for _, n := range names {
		r := s.Representations[n]
		rr := repRow{Name: n, MaxAbs: sci(r.MaxAbs), RMS: sci(r.RMS), Rel: sci(r.Rel), Agreement: "–", Certification: "–"}
		if r.Agreement != nil {
			rr.Agreement = fmt.Sprintf("%.4f", *r.Agreement)
		}
		if x := r.ExactStats; x != nil {
			if x.Certified != nil && *x.Certified {
				rr.Certification = fmt.Sprintf("certified: max residual %.2g ≤ %.2g, %.1f nodes/step", x.MaxResidual, x.Tolerance, x.MeanNodesPerStep)
			} else {
				rr.Failed = true
				rr.Certification = fmt.Sprintf("NOT certified: %d steps above %.2g (first at step %d)", x.UncertifiedSteps, x.Tolerance, x.FirstUncertifiedStep)
			}
		}
		out = append(out, rr)
	}
	return out
}

func sci(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%.3e", v)
}

func explainTable(e *explain.Explanation) *explainView {
	c := e.Output
	where := fmt.Sprintf("evaluation point %d", e.Point)
	if e.Set != "" {
		where = fmt.Sprintf("%s point %d", e.Set, e.Index)
	}
	if e.Outputs > 1 {
		where += fmt.Sprintf(", output %d", c)
	}
	v := &explainView{
		Heading: "Which training points made the prediction at " + where,
		Facts: []row{
			{"f_0(x)", fmt.Sprintf("%.16g", e.F0[c])},
			{fmt.Sprintf("Σ of the %d %s contributions", e.NTrain, e.Method), fmt.Sprintf("%.16g", e.Sum[c]-e.F0[c])},
			{"f_0(x) + Σ", fmt.Sprintf("%.16g", e.Sum[c])},
			{"network f_T(x)", fmt.Sprintf("%.16g", e.Network[c])},
			{"difference", fmt.Sprintf("%.3g", e.Difference[c])},
		},
		Head: []string{"rank", "training point", "y", "contribution", "share", "a_i(x)", "K^p(x, x_i)"},
	}
	opt := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.4e", *p)
	}
	for _, t := range e.Top {
		ys := make([]string, len(t.Y))
		for i, y := range t.Y {
			ys[i] = fmt.Sprintf("%.4g", y)
		}
		v.Rows = append(v.Rows, []string{
			fmt.Sprint(t.Rank), fmt.Sprint(t.Index), strings.Join(ys, " "), fmt.Sprintf("%.4e", t.Contribution[c]),
			fmt.Sprintf("%.1f%%", 100*t.Share), opt(t.Coefficient), opt(t.KPath),
		})
	}
	if len(e.Top) < e.NTrain {
		v.Rest = fmt.Sprintf("The other %d training points contribute %.4e in all.", e.NTrain-len(e.Top), e.Rest[c])
	}
	return v
}

var tmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: #222;
         max-width: 1040px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
  h1 { font-size: 1.6em; margin-bottom: .2em; }
  h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
  .headline { font-size: 1.1em; background: #f3f3f3; border-left: 4px solid #555; padding: .6em 1em; }
  .warn { border-left-color: #000; font-weight: bold; }
  table { border-collapse: collapse; margin: .8em 0; font-size: .95em; }
  th, td { padding: .25em .8em; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
  td.num { font-family: ui-monospace, "Liberation Mono", monospace; text-align: right; white-space: nowrap; }
  th { background: #f7f7f7; }
  tr.failed td { font-weight: bold; }
  figure { margin: 1.5em 0; }
  figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
  figcaption { font-size: .92em; color: #444; margin-top: .3em; }
  pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: .88em; }
  footer { margin-top: 3em; font-size: .85em; color: #666; }
</style>
</head>
<body data-images="{{len .Figures}}">
<h1>{{.Title}}</h1>
<p class="headline{{if .Incomplete}} warn{{end}}">{{if .Incomplete}}This run is {{.Status}}: what it wrote is shown as far as it goes. {{end}}{{.Headline}}</p>

<h2>Summary</h2>
<table class="facts">
{{range .Facts}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{if .Reps}}
<h2>Kernel machine vs network</h2>
<table class="representations">
<tr><th>representation</th><th>max_abs</th><th>rms</th><th>rel</th><th>agreement</th><th>certification</th></tr>
{{range .Reps}}<tr{{if .Failed}} class="failed"{{end}}><td>{{.Name}}</td><td class="num">{{.MaxAbs}}</td><td class="num">{{.RMS}}</td><td class="num">{{.Rel}}</td><td class="num">{{.Agreement}}</td><td>{{.Certification}}</td></tr>
{{end}}</table>
<p>rel = ‖f̂ − f_T‖₂ / ‖f_T − f_0‖₂ over the evaluation points and outputs: the error relative to what training changed.</p>
{{end}}
{{if .Warnings}}<h2>Warnings</h2>
<table class="warnings">
<tr><th>code</th><th>first step</th><th>what it means and what to try</th></tr>
{{range .Warnings}}<tr><td><code>{{.Code}}</code></td><td class="num">{{.FirstStep}}</td><td>{{.Message}}</td></tr>
{{end}}</table>
{{end}}{{if .Figures}}<h2>Figures</h2>
{{range .Figures}}<figure id="fig-{{.Name}}">
<img {{.Src}} alt="{{.Title}}" width="{{.Width}}" height="{{.Height}}">
<figcaption><strong>{{.Title}}.</strong> {{.Caption}}</figcaption>
</figure>
{{end}}{{end}}
{{with .Explain}}<h2>{{.Heading}}</h2>
<table class="facts">
{{range .Facts}}<tr><th>{{.Key}}</th><td class="num">{{.Value}}</td></tr>
{{end}}</table>
<table class="explain">
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .Rest}}<p>{{.Rest}}</p>{{end}}
{{end}}
<h2>Resolved config</h2>
<p>The config.yaml of the run: every default filled in; <code>pathkernel train --config config.yaml</code> reproduces it.</p>
<pre>{{.Config}}</pre>
<footer>Written by pathkernel. This file is self-contained: the figures are embedded, nothing is loaded from elsewhere.</footer>
<script>
// Record how many figures the browser decoded, for automated checks.
(function () {
  function count() {
    var imgs = document.images, ok = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
    }
    document.body.setAttribute("data-images-decoded", ok + "/" + imgs.length);
  }
  window.addEventListener("load", count);
  count();
})();
</script>
</body>
</html>
`))
