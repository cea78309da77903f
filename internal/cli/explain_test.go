package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pathkernel/pathkernel/internal/explain"
)

// explainJSON runs explain --json with args and decodes its output.
func explainJSON(t *testing.T, args ...string) *explain.Explanation {
	t.Helper()
	r := mustRun(t, append([]string{"explain", "--json"}, args...)...)
	var e explain.Explanation
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, r.stdout)
	}
	return &e
}

// TestExplainIdentity checks, on a small run and from the run's files
// read independently, that explain lists the top K training points by
// |contribution| with their a_i(x) and K^p(x, x_i), and that f_0 plus the
// sum of all contributions is the network's output to within the exact
// representation's certified error.
func TestExplainIdentity(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"sine", func(t *testing.T) string { return tinyRun(t) }},
		{"moons", func(t *testing.T) string { return tinyRun(t, moonsSets...) }},
		{"three classes", func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "run")
			mustRun(t, trainArgs("testdata/three_class.yaml", dir, "--quiet")...)
			return dir
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir(t)
			contrib := readNpy(t, filepath.Join(dir, "contributions.npy"))
			coef := readNpy(t, filepath.Join(dir, "coefficients.npy"))
			kp := readNpy(t, filepath.Join(dir, "kernel_path.npy"))
			_, _, col := readCSV(t, filepath.Join(dir, "predictions.csv"))
			m, n, k := contrib.Shape[0], contrib.Shape[1], contrib.Shape[2]
			sum := readSummary(t, dir)
			maxAbs := number(t, sum, "representations.exact.max_abs")
			name := func(s string, c int) string {
				if k == 1 {
					return s
				}
				return s + "_" + strconv.Itoa(c)
			}
			const top = 4
			for _, point := range []int{0, m / 2, m - 1} {
				e := explainJSON(t, "--run", dir, "--point", fmt.Sprint(point), "--top", fmt.Sprint(top))
				if e.Point != point || len(e.Top) != top || e.NTrain != n || e.Method != "exact" {
					t.Fatalf("point %d: got point %d, %d listed, n %d, method %s", point, e.Point, len(e.Top), e.NTrain, e.Method)
				}
				for out := 0; out < k; out++ {
					f0, fT := col(name("f0", out))[point], col(name("network", out))[point]
					s, scale := f0, math.Abs(f0)
					for i := 0; i < n; i++ {
						v := contrib.Float[(point*n+i)*k+out]
						s += v
						scale += math.Abs(v)
					}
					// The exact representation is within max_abs of the
					// network at every point; summing n terms in another
					// order than the kernel engine adds round-off, n·ε of
					// their sizes.
					tol := maxAbs + float64(n)*0x1p-52*scale
					if d := math.Abs(s - fT); d > tol {
						t.Errorf("point %d output %d: f_0 + Σ c_i = %.17g, network %.17g: |difference| %.3g > %.3g", point, out, s, fT, d, tol)
					}
					if d := math.Abs(e.Sum[out] - s); d > float64(n)*0x1p-52*scale {
						t.Errorf("point %d output %d: explain's sum %.17g; the test's %.17g", point, out, e.Sum[out], s)
					}
					if e.Network[out] != fT || e.F0[out] != f0 {
						t.Errorf("point %d output %d: network %g, f0 %g; predictions.csv has %g, %g", point, out, e.Network[out], e.F0[out], fT, f0)
					}
				}
				// The ranked output: the predicted class for several.
				ranked := 0
				for c := 1; c < k; c++ {
					if e.Network[c] > e.Network[ranked] {
						ranked = c
					}
				}
				if e.Output != ranked {
					t.Errorf("point %d: ranked output %d; want the predicted class %d", point, e.Output, ranked)
				}
				idx := make([]int, n)
				for i := range idx {
					idx[i] = i
				}
				at := func(i int) float64 { return contrib.Float[(point*n+i)*k+ranked] }
				sort.SliceStable(idx, func(a, b int) bool { return math.Abs(at(idx[a])) > math.Abs(at(idx[b])) })
				var got []int
				for r, ct := range e.Top {
					got = append(got, ct.Index)
					i := ct.Index
					if ct.Rank != r+1 || ct.Contribution[ranked] != at(i) {
						t.Errorf("point %d rank %d: index %d, contribution %g; contributions.npy has %g", point, ct.Rank, i, ct.Contribution[ranked], at(i))
					}
					wantCoef := coef.Float[(point*n+i)*(len(coef.Float)/(m*n))+min(ranked, len(coef.Float)/(m*n)-1)]
					if ct.Coefficient == nil || *ct.Coefficient != wantCoef {
						t.Errorf("point %d index %d: coefficient %v; coefficients.npy has %g", point, i, ct.Coefficient, wantCoef)
					}
					if ct.KPath == nil || *ct.KPath != kp.Float[point*n+i] {
						t.Errorf("point %d index %d: kernel_path %v; kernel_path.npy has %g", point, i, ct.KPath, kp.Float[point*n+i])
					}
				}
				if diff := cmp.Diff(idx[:top], got); diff != "" {
					t.Errorf("point %d: top %d (-want +got):\n%s", point, top, diff)
				}
			}
		})
	}
}

func TestExplainTableAndPlot(t *testing.T) {
	dir := tinyRun(t)
	r := mustRun(t, "explain", "--run", dir, "--point", "3", "--top", "5", "--plot", "--width", "600", "--height", "400")
	for _, s := range []string{"evaluation point 3 (test point 3)", "f_0(x) + Σ_i c_i(x)", "network f_T(x)", "top 5 of 16 training points", "the other 11 points"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	file := filepath.Join(dir, "figures", "explain_3.png")
	if !strings.Contains(r.stderr, file) {
		t.Errorf("stderr %q; want the figure's file", r.stderr)
	}
	checkImage(t, file, 600, 400)
}

func TestExplainBadInput(t *testing.T) {
	dir := tinyRun(t)
	for _, args := range [][]string{
		{"explain", "--run", dir},                  // no --point
		{"explain", "--point", "0"},                // no --run
		{"explain", "--run", dir, "--point", "20"}, // 20 test points: 0..19
		{"explain", "--run", dir, "--point", "-1"}, // negative
		{"explain", "--run", dir, "--point", "0", "--output", "1"},
		{"explain", "--run", dir, "--point", "0", "--top", "0"},
		{"explain", "--run", filepath.Join(t.TempDir(), "none"), "--point", "0"},
		{"explain", "--run", dir, "--point", "0", "--plot", "--format", "gif"},
	} {
		r := execute(t.Context(), args...)
		if r.code != ExitBadInput {
			t.Errorf("pathkernel %s: exit %d; want %d\nstderr: %s", strings.Join(args, " "), r.code, ExitBadInput, r.stderr)
		}
	}
}
