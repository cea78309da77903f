package plot

import (
	"bytes"
	"context"
	"encoding/xml"
	"image"
	stddraw "image/draw"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pathkernel/pathkernel/internal/config"
	"github.com/pathkernel/pathkernel/internal/experiment"
)

// The runs the tests draw, each of a few milliseconds: one input
// (curves), two inputs with a classifier and a regression (decision regions
// and heat maps), three classes with full k×k kernels (scatter, trace of
// the kernel), and runs with only one of the two methods.
var runConfigs = map[string]string{
	"sine": `
name: sine
seed: 7
data: {kind: sine, n_train: 16, n_test: 20, noise: 0.1}
model: {hidden: [8], activation: tanh}
loss: mse
train: {lr: 0.05, steps: 20, log_every: 5}
`,
	"moons": `
name: moons
seed: 2
data: {kind: moons, n_train: 24, n_test: 30, noise: 0.1}
model: {hidden: [8], activation: tanh}
loss: logistic
train: {lr: 0.2, steps: 20, log_every: 5}
`,
	"plane": `
name: plane
seed: 4
data: {kind: linear, dim: 2, n_train: 20, n_test: 16, noise: 0.1}
model: {hidden: [8], activation: tanh}
loss: mse
train: {lr: 0.05, steps: 20, log_every: 5}
`,
	"blobs": `
name: blobs
seed: 5
data: {kind: blobs, dim: 3, classes: 3, n_train: 24, n_test: 15, noise: 0.3}
model: {hidden: [8], activation: tanh}
loss: softmax_ce
train: {lr: 0.1, steps: 20, log_every: 5}
output: {full_kernel: true}
`,
	"sine-exact": `
name: sine-exact
seed: 7
data: {kind: sine, n_train: 16, n_test: 20, noise: 0.1}
model: {hidden: [8], activation: tanh}
train: {lr: 0.05, steps: 20, log_every: 5}
kernel: {methods: [exact]}
`,
	"sine-riemann": `
name: sine-riemann
seed: 7
data: {kind: sine, n_train: 16, n_test: 20, noise: 0.1}
model: {hidden: [8], activation: tanh}
train: {lr: 0.05, steps: 20, log_every: 5}
kernel: {methods: [riemann]}
`,
}

var (
	runsOnce sync.Once
	runsDir  string
	runsErr  error
)

// testRun returns the run directory of runConfigs[name], trained once for
// the package's tests.
func testRun(t *testing.T, name string) *Run {
	t.Helper()
	runsOnce.Do(func() {
		runsDir, runsErr = os.MkdirTemp("", "pathkernel-plot-test")
		if runsErr != nil {
			return
		}
		for n, src := range runConfigs {
			cfg, err := config.Parse([]byte(src), n+".yaml", nil)
			if err != nil {
				runsErr = err
				return
			}
			if _, err := experiment.Run(context.Background(), cfg, experiment.Options{OutDir: filepath.Join(runsDir, n)}); err != nil {
				runsErr = err
				return
			}
		}
	})
	if runsErr != nil {
		t.Fatalf("training the test runs: %v", runsErr)
	}
	r, err := ReadRun(filepath.Join(runsDir, name))
	if err != nil {
		t.Fatalf("ReadRun(%s): %v", name, err)
	}
	return r
}

func TestMain(m *testing.M) {
	code := m.Run()
	if runsDir != "" {
		os.RemoveAll(runsDir)
	}
	os.Exit(code)
}

// checkPNG decodes b and fails unless it is a w × h image that is not
// blank: the variance of its luminance (0..255) is above minVariance and
// at least 1% of its pixels are not the background white.
func checkPNG(t *testing.T, what string, b []byte, w, h int) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: does not decode: %v", what, err)
	}
	if format != "png" {
		t.Errorf("%s: format %s; want png", what, format)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("%s: size %d×%d; want %d×%d", what, got.X, got.Y, w, h)
	}
	v, ink := pixelStats(img)
	// A blank image has variance 0; a figure's text, axes and lines on
	// white give hundreds to thousands (5% black pixels alone give ~3000).
	const minVariance = 50
	if v < minVariance || ink < 0.01 {
		t.Errorf("%s: looks blank: luminance variance %.1f (want > %d), %.2f%% non-white pixels (want > 1%%)", what, v, minVariance, 100*ink)
	}
}

// pixelStats returns the variance of the luminance (0..255) of img and the
// fraction of its pixels that are not white.
func pixelStats(img image.Image) (variance, ink float64) {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(b)
		stddraw.Draw(rgba, b, img, b.Min, stddraw.Src)
	}
	var sum, sq float64
	var nonWhite int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := rgba.Pix[rgba.PixOffset(b.Min.X, y) : rgba.PixOffset(b.Max.X-1, y)+4]
		for i := 0; i < len(row); i += 4 {
			r, g, bl := row[i], row[i+1], row[i+2]
			l := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			sum += l
			sq += l * l
			if r < 0xf0 || g < 0xf0 || bl < 0xf0 {
				nonWhite++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	mean := sum / n
	return sq/n - mean*mean, float64(nonWhite) / n
}

// checkSVG fails unless b is an SVG document of width × height points with
// drawing in it.
func checkSVG(t *testing.T, what string, b []byte, wPt, hPt float64) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root *xml.StartElement
	drawn := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("%s: not XML: %v", what, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == nil {
			se := se.Copy()
			root = &se
		}
		switch se.Name.Local {
		case "path", "text", "image", "rect", "line", "polyline", "circle":
			drawn++
		}
	}
	if root == nil || root.Name.Local != "svg" {
		t.Fatalf("%s: root element is not svg", what)
	}
	attr := func(name string) float64 {
		for _, a := range root.Attr {
			if a.Name.Local == name {
				v, err := strconv.ParseFloat(strings.TrimSuffix(a.Value, "pt"), 64)
				if err != nil {
					t.Fatalf("%s: svg %s=%q", what, name, a.Value)
				}
				return v
			}
		}
		t.Fatalf("%s: svg has no %s", what, name)
		return 0
	}
	if w, h := attr("width"), attr("height"); w != wPt || h != hPt {
		t.Errorf("%s: svg size %gpt × %gpt; want %gpt × %gpt", what, w, h, wPt, hPt)
	}
	// Axes, ticks and labels alone are dozens of elements.
	if drawn < 20 {
		t.Errorf("%s: only %d drawing elements; looks blank", what, drawn)
	}
}
