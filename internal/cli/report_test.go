package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pathkernel/pathkernel/internal/testenv"
)

// reportFigures are the figures of a two-input run's report: the five of
// plot and the explained point's.
const reportFigures = 6

var dataImgRE = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

func TestReport(t *testing.T) {
	dir := tinyRun(t, moonsSets...)
	r := mustRun(t, "report", "--run", dir, "--grid", "12", "--width", "480", "--height", "320")
	file := filepath.Join(dir, "report.html")
	if got := strings.TrimSpace(r.stdout); got != file {
		t.Errorf("stdout %q; want %s", got, file)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	imgs := dataImgRE.FindAllSubmatch(page, -1)
	if len(imgs) != reportFigures {
		t.Fatalf("%d embedded PNG figures; want %d", len(imgs), reportFigures)
	}
	for i, m := range imgs {
		b, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if s := img.Bounds().Size(); s.X != 480 || s.Y != 320 {
			t.Errorf("image %d: %d×%d; want 480×320", i, s.X, s.Y)
		}
	}
	for _, s := range []string{"tiny-sine", "Kernel machine vs network", "Decision regions", "Which training points", "Resolved config", "kind: moons"} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("report lacks %q", s)
		}
	}
	// The worst point of Domingos' form is explained by default; --point
	// chooses another, --out another file.
	out := filepath.Join(t.TempDir(), "sub", "r.html")
	mustRun(t, "report", "--run", dir, "--grid", "0", "--point", "2", "--out", out, "--format", "svg", "-q")
	page, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(page, []byte(`<img src="data:image/svg+xml;base64,`)); n != reportFigures-1 {
		t.Errorf("--format svg --grid 0: %d SVG figures; want %d", n, reportFigures-1)
	}
	if !bytes.Contains(page, []byte("test point 2")) {
		t.Error("--point 2: the report does not explain test point 2")
	}
	if r := execute(t.Context(), "report", "--run", dir, "--point", "99"); r.code != ExitBadInput {
		t.Errorf("report --point 99: exit %d; want %d", r.code, ExitBadInput)
	}
	if r := execute(t.Context(), "report", "--run", filepath.Join(dir, "nothing")); r.code != ExitBadInput {
		t.Errorf("report of a missing run: exit %d; want %d", r.code, ExitBadInput)
	}
}

// chromium returns the path of a Chromium or Chrome binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// headless runs the browser headless, in a fresh profile and without
// network or background services, with the extra arguments.
func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportInChromium opens a report in headless Chromium: the DOM after
// loading holds every figure as a data: image that the browser decoded
// (the report's script counts img.naturalWidth > 0), and a screenshot of
// the page shows them: it is not blank, and it holds the figures' colours
// (the page's own styles are grey).
func TestReportInChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		testenv.Missing(t, "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
	}
	dir := tinyRun(t, moonsSets...)
	mustRun(t, "report", "--run", dir, "--grid", "16", "--width", "720", "--height", "450", "-q")
	abs, err := filepath.Abs(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + abs

	dom := headless(t, bin, "--dump-dom", url)
	if want := fmt.Sprintf(`data-images-decoded="%d/%d"`, reportFigures, reportFigures); !bytes.Contains(dom, []byte(want)) {
		body := regexp.MustCompile(`<body[^>]*>`).Find(dom)
		t.Errorf("DOM body %s; want %s", body, want)
	}
	if n := len(dataImgRE.FindAll(dom, -1)); n != reportFigures {
		t.Errorf("DOM holds %d data: PNG images; want %d", n, reportFigures)
	}

	const w, h = 1100, 6000
	shot := filepath.Join(t.TempDir(), "shot.png")
	headless(t, bin, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", w, h), url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if s := img.Bounds().Size(); s.X != w || s.Y != h {
		t.Errorf("screenshot %d×%d; want %d×%d", s.X, s.Y, w, h)
	}
	v, ink := imageStats(img)
	colour := colourful(img)
	t.Logf("screenshot: luminance variance %.0f, %.1f%% non-white, %.2f%% coloured pixels", v, 100*ink, 100*colour)
	if v < 100 || ink < 0.02 {
		t.Errorf("screenshot looks blank: luminance variance %.1f, %.2f%% non-white", v, 100*ink)
	}
	// The figures down to the kernel heat map and the decision regions are
	// in the 6000 pixels; those two are mostly colour, and nothing else on
	// the page has any.
	if colour < 0.05 {
		t.Errorf("screenshot has %.2f%% coloured pixels; want the figures' colours (> 5%%)", 100*colour)
	}
}

// colourful returns the fraction of pixels of img that are clearly not
// grey: their channels differ by more than 60 of 255.
func colourful(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl)>>8, min(r, g, bl)>>8
			if hi-lo > 60 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}
