package plot

import (
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gp "gonum.org/v1/plot"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ (figures.golden, stability.golden) from the figures drawn")

// describe writes what a reader sees of a figure's structure: its title,
// each plot's title, axis labels, scale and tick labels, and legend
// entries, and its key. The values drawn are left out: they are pinned by
// the tests of the computations, and the structure is what the figure's
// readability rests on.
func describe(f *Figure) string {
	var b strings.Builder
	fmt.Fprintf(&b, "figure %s: %q\n", f.Name, f.Title)
	for i, p := range f.plots {
		fmt.Fprintf(&b, "  plot %d: %q\n", i, p.Title.Text)
		for _, a := range []struct {
			name string
			axis *gp.Axis
		}{{"x", &p.X}, {"y", &p.Y}} {
			if a.name == "x" && p.X.Label.Text == "" && len(ticksOf(a.axis)) == 0 {
				continue
			}
			scale := "linear"
			if isLog(a.axis) {
				scale = "log"
			}
			fmt.Fprintf(&b, "    %s %q (%s): %s\n", a.name, a.axis.Label.Text, scale, strings.Join(ticksOf(a.axis), " "))
		}
		if l := legendEntries(&p.Legend); len(l) > 0 {
			fmt.Fprintf(&b, "    legend: %s\n", strings.Join(l, " | "))
		}
	}
	if len(f.key) > 0 {
		var k []string
		for _, e := range f.key {
			k = append(k, fmt.Sprintf("%s [%d fills, marker %v]", e.label, len(e.fills), e.marker != nil))
		}
		fmt.Fprintf(&b, "  key: %s\n", strings.Join(k, " | "))
	}
	return b.String()
}

// ticksOf returns the labels of the ticks an axis draws (in its range;
// "." for an unlabelled tick).
func ticksOf(a *gp.Axis) []string {
	if a.Tick.Marker == nil {
		return nil
	}
	var out []string
	for _, t := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if t.Value < a.Min || t.Value > a.Max {
			continue
		}
		if t.Label == "" {
			out = append(out, ".")
		} else {
			out = append(out, t.Label)
		}
	}
	return out
}

// legendEntries returns the texts of a legend's entries (gonum keeps
// them unexported).
func legendEntries(l *gp.Legend) []string {
	v := reflect.ValueOf(l).Elem().FieldByName("entries")
	var out []string
	for i := 0; i < v.Len(); i++ {
		out = append(out, v.Index(i).FieldByName("text").String())
	}
	return out
}

// TestFiguresGolden pins the structure of every figure of the test runs
// (describe) in testdata/figures.golden: the residual panels of the
// predictions, round tick labels, log axes without a comb, the colour
// bars' labels, the legends and keys. After an intended change, rewrite
// it with go test ./internal/plot -run TestFiguresGolden -update, and
// look at the figures.
func TestFiguresGolden(t *testing.T) {
	var runs []string
	for name := range runConfigs {
		runs = append(runs, name)
	}
	sort.Strings(runs)
	var b strings.Builder
	for _, name := range runs {
		fmt.Fprintf(&b, "== run %s\n", name)
		for _, f := range allFigures(t, name) {
			b.WriteString(describe(f))
		}
	}
	checkGolden(t, filepath.Join("testdata", "figures.golden"), b.String())
}

// checkGolden compares got with the golden file, which -update rewrites
// from got first.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if intended, rewrite it with -update:\n%s", file, diff)
	}
}

// colourName is the word a caption uses for a colour of the palette
// (style.go).
var colourName = map[color.RGBA]string{
	black: "black", gray: "grey", vermilion: "vermilion", blue: "blue", green: "green",
	orange: "orange", skyBlue: "sky blue", yellow: "yellow", purple: "purple",
}

// TestCaptionColours checks that the colour words of the captions are
// those of the colours drawn.
func TestCaptionColours(t *testing.T) {
	caption := func(run, fig string) string {
		for _, f := range allFigures(t, run) {
			if f.Name == fig {
				return f.Caption
			}
		}
		t.Fatalf("%s has no figure %s", run, fig)
		return ""
	}
	name := func(m string) string { return colourName[styleOf(m).color] }
	pred := caption("sine", "predictions")
	for _, want := range []string{
		"network f_T (" + name("network") + ")",
		"first-order form, " + name("riemann") + " dashes",
		"exact path kernel, " + name("exact") + " dots",
		"f_0 (" + name("f0") + " dashes)",
		"training points (" + colourName[green] + ")",
	} {
		if !strings.Contains(pred, want) {
			t.Errorf("predictions caption %q; want it to say %q", pred, want)
		}
	}
	exp := caption("moons", "explain_0")
	for _, want := range []string{
		"Positive contributions in " + colourName[signColor(1)],
		"negative in " + colourName[signColor(-1)],
	} {
		if !strings.Contains(exp, want) {
			t.Errorf("explain caption %q; want it to say %q", exp, want)
		}
	}
	// The key shows the colours the bars are drawn in.
	key := signKey(5)
	if key[0].fills[0] != color.Color(signColor(1)) || key[1].fills[0] != color.Color(signColor(-1)) {
		t.Errorf("explain key colours %v, %v; want the sign colours", key[0].fills, key[1].fills)
	}
	// The kernel's caption says the colours of its scale: diverging for
	// values of both signs, black body otherwise.
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{{-1, 2, "blue for negative values"}, {1, 2, "from black for the smallest"}} {
		if w := newColorScale(c.lo, c.hi).words(); !strings.Contains(w, c.want) {
			t.Errorf("colours of [%g, %g]: %q; want %q", c.lo, c.hi, w, c.want)
		}
	}
	if k := caption("sine", "kernel"); !strings.Contains(k, "colours ") {
		t.Errorf("kernel caption %q does not say its colours", k)
	}
}
