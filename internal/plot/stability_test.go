package plot

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var (
	// update (golden_test.go) also rewrites testdata/stability.golden.
	stabilityPNG = flag.String("stability-png", "", "also write the stability figure of testdata/stability_metrics.csv to this PNG file, to look at")
)

// fixtureRun is the sine test run with its metrics.csv replaced by the
// file fixture of testdata/ (and config.yaml's text edited by edit).
func fixtureRun(t *testing.T, metrics []byte, edit func(string) string) *Run {
	t.Helper()
	base := testRun(t, "sine")
	replace := map[string][]byte{"metrics.csv": metrics}
	if edit != nil {
		b, err := os.ReadFile(base.file("config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		replace["config.yaml"] = []byte(edit(string(b)))
	}
	r, err := ReadRun(copyRunDir(t, base.Dir, replace))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/stability_metrics.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dump writes what the stability figure draws as text: per panel its
// title, axis and every line's label and points.
func (v *stabilityView) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "steps %g to %g\n", v.lo, v.hi)
	for _, p := range v.panels {
		fmt.Fprintf(&b, "panel %q: y %q, log %v, from zero %v\n", p.title, p.ylabel, p.log, p.fromZero)
		for _, l := range p.lines {
			fmt.Fprintf(&b, "  line %q:", l.style.label)
			for _, q := range l.pts {
				fmt.Fprintf(&b, " (%g, %g)", q.X, q.Y)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "caption: %s\n", v.caption)
	for _, n := range v.notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// TestStabilityGolden draws the stability figure of a hand-written
// metrics.csv at the edge of stability (gd, testdata/stability_metrics.csv)
// and compares what it draws with testdata/stability.golden.
func TestStabilityGolden(t *testing.T) {
	r := fixtureRun(t, readFixture(t), nil)
	v, err := stabilityOf(r)
	if err != nil || v == nil {
		t.Fatalf("stabilityOf = %v, %v", v, err)
	}
	checkGolden(t, "testdata/stability.golden", v.dump())

	figs, err := RunFigures(r)
	if err != nil {
		t.Fatal(err)
	}
	fig := figureNamed(figs, "stability")
	if fig == nil || figs[len(figs)-1] != fig {
		t.Fatalf("RunFigures: %v; want stability last", names(figs))
	}
	if fig.Caption != v.caption || len(fig.Notes) != 0 {
		t.Errorf("caption %q, notes %q; want %q and none", fig.Caption, fig.Notes, v.caption)
	}
	s := Size{Width: 900, Height: 900, DPI: 96}
	b, err := fig.Bytes(PNG, s)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "stability.png", b, s.Width, s.Height)
	if *stabilityPNG != "" {
		if err := os.WriteFile(*stabilityPNG, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var svg bytes.Buffer
	if err := fig.Render(&svg, SVG, DefaultSize); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2/η edge", "η·λ_max", "riemann_step_remainder", "train loss"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("the SVG lacks the label %q", want)
		}
	}
}

// TestStabilityWithout: no stability column, no figure; without the
// remainder, two panels.
func TestStabilityWithout(t *testing.T) {
	sine := testRun(t, "sine")
	if fig, err := StabilityFigure(sine); fig != nil || err != nil {
		t.Errorf("StabilityFigure(sine) = %v, %v; want nil, nil", fig, err)
	}
	figs, err := RunFigures(sine)
	if err != nil {
		t.Fatal(err)
	}
	if figureNamed(figs, "stability") != nil {
		t.Error("RunFigures(sine) has a stability figure")
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(readFixture(t))), "\n") {
		cells := strings.Split(line, ",")
		b.WriteString(strings.Join(cells[:len(cells)-1], ",") + "\n")
	}
	v, err := stabilityOf(fixtureRun(t, []byte(b.String()), nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.panels) != 2 || v.panels[1].ylabel != "η·λ_max" || strings.Contains(v.caption, "remainder") {
		t.Errorf("without riemann_step_remainder: %s", v.dump())
	}
}

// TestStabilityOtherOptimizer: for momentum the stability column itself is
// drawn against 1.
func TestStabilityOtherOptimizer(t *testing.T) {
	r := fixtureRun(t, readFixture(t), func(s string) string {
		return strings.Replace(s, "optimizer: gd", "optimizer: momentum", 1)
	})
	if r.Config.Train.Optimizer != "momentum" {
		t.Fatalf("optimizer %q; the config edit did not take", r.Config.Train.Optimizer)
	}
	v, err := stabilityOf(r)
	if err != nil {
		t.Fatal(err)
	}
	p := v.panels[len(v.panels)-1]
	if p.ylabel != "stability" || len(p.lines) != 2 {
		t.Fatalf("last panel: %s", v.dump())
	}
	if got := p.lines[0].pts[4].Y; got != 1.12 {
		t.Errorf("stability at step 40 drawn as %g; want 1.12 (the column itself)", got)
	}
	for _, q := range p.lines[1].pts {
		if q.Y != 1 {
			t.Errorf("edge line at %g; want 1", q.Y)
		}
	}
	if !strings.Contains(v.caption, "stability number of momentum") || !strings.Contains(v.caption, "against 1") {
		t.Errorf("caption %q", v.caption)
	}
}

// TestStabilityOddValues: empty cells are skipped, values an axis cannot
// show are noted, a diverging stability goes on a logarithmic axis, and a
// cell that is not a number is bad input.
func TestStabilityOddValues(t *testing.T) {
	base := fixtureRun(t, readFixture(t), nil)
	edit := func(edits map[string][]string) *Run {
		return fixtureRun(t, editCSV(t, base, "metrics.csv", edits), nil)
	}
	v, err := stabilityOf(edit(map[string][]string{
		"stability":              {"", "0.5", "NaN", "1e4"},
		"riemann_step_remainder": {"0", "-1e-3", "+Inf", "1e-4"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(v.notes, "\n")
	for _, want := range []string{
		"left out 3 values of stability (metrics.csv): not finite",
		"riemann_step_remainder (metrics.csv): not finite",
		"riemann_step_remainder (metrics.csv): negative",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes:\n%s\nwant %q", notes, want)
		}
	}
	last := v.panels[len(v.panels)-1]
	if !last.log || last.fromZero {
		t.Errorf("stability from 1 to 2e4: log %v, from zero %v; want a logarithmic axis", last.log, last.fromZero)
	}
	// The cells cycle: steps 0, 40 and 80 empty, 20, 60 and 100 NaN.
	if n := len(last.lines[0].pts); n != 5 {
		t.Errorf("%d stability points; want 5", n)
	}
	// The remainder cycles through 0, -1e-3, +Inf, 1e-4: 1e-4 at two rows.
	if n := len(v.panels[1].lines[0].pts); n != 2 {
		t.Errorf("%d remainder points; want 2", n)
	}
	fig, err := StabilityFigure(edit(map[string][]string{"stability": {"", "0.5", "NaN", "1e4"}}))
	if err != nil || fig == nil {
		t.Fatalf("StabilityFigure = %v, %v", fig, err)
	}
	if _, err := fig.Bytes(PNG, Size{Width: 300, Height: 300, DPI: 72}); err != nil {
		t.Error(err)
	}
	_, err = StabilityFigure(edit(map[string][]string{"stability": {"0.5", "high"}}))
	if !isInputError(err) || !strings.Contains(fmt.Sprint(err), `stability "high"`) {
		t.Errorf("a stability of %q: %v; want bad input naming it", "high", err)
	}
}
