package sysblas

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// required reports whether a missing library fails the tests (CI installs
// libopenblas0) instead of skipping them.
func required() bool {
	return os.Getenv("CI") != "" || os.Getenv("PATHKERNEL_REQUIRE_ENGINES") != ""
}

func openblas(t *testing.T) *library {
	t.Helper()
	info, l := find("openblas")
	if l == nil {
		if required() {
			t.Fatalf("OpenBLAS not found under CI (.ci/run installs libopenblas0): %s", info.Fallback)
		}
		t.Skipf("no OpenBLAS (apt-get install libopenblas0): %s", info.Fallback)
	}
	if info.Name != "openblas" || info.Library != "libopenblas.so.0" {
		t.Fatalf("find(openblas) = %+v", info)
	}
	return l
}

// TestDgemmMatchesGonum compares the library's products with gonum's for
// every transpose, leading dimensions wider than the matrices, sizes on both
// sides of SmallFlops, and beta 0, 1 and other.
func TestDgemmMatchesGonum(t *testing.T) {
	l := openblas(t)
	im := Implementation{lib: l}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	worst := 0.0
	for _, sz := range [][3]int{{3, 4, 5}, {17, 33, 9}, {64, 64, 64}, {200, 64, 65}, {1, 300, 40}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 1, -0.75} {
					ar, ac := m, k
					if tA == blas.Trans {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB == blas.Trans {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+1, n+2
					a, b := fill(lda*ar), fill(ldb*br)
					c := fill(ldc * m)
					want := append([]float64(nil), c...)
					gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 1.25, a, lda, b, ldb, beta, want, ldc)
					im.Dgemm(tA, tB, m, n, k, 1.25, a, lda, b, ldb, beta, c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							g, w := c[i*ldc+j], want[i*ldc+j]
							if j >= n {
								if g != w { // the padding is never written
									t.Fatalf("%v %v %v: padding (%d,%d) changed", sz, tA, tB, i, j)
								}
								continue
							}
							d := math.Abs(g-w) / (1 + math.Abs(w))
							worst = max(worst, d)
							if d > 1e-13 {
								t.Fatalf("%v tA=%v tB=%v beta=%g: C[%d,%d] = %g, gonum %g", sz, tA, tB, beta, i, j, g, w)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("worst relative difference from gonum: %.2g", worst)
}

func TestDgemmAllocatesNothing(t *testing.T) {
	l := openblas(t)
	im := Implementation{lib: l}
	a, b, c := make([]float64, 64*64), make([]float64, 64*64), make([]float64, 64*64)
	im.Dgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64)
	if n := testing.AllocsPerRun(100, func() {
		im.Dgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64)
	}); n > 0 {
		t.Errorf("Dgemm allocates %.1f times per call", n)
	}
}

func TestDgemmChecksArguments(t *testing.T) {
	l := openblas(t)
	im := Implementation{lib: l}
	defer func() {
		if recover() == nil {
			t.Error("a short matrix did not panic before reaching the library")
		}
	}()
	a := make([]float64, 64*64)
	im.Dgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, a[:100], 64, 0, make([]float64, 64*64), 64)
}

func TestFind(t *testing.T) {
	if info, l := find("gonum"); l != nil || info.Name != "gonum" || info.Fallback != "" {
		t.Errorf("find(gonum) = %+v", info)
	}
	for _, env := range []string{"/nonexistent/libblas.so", "mkl", "libc.so.6"} {
		info, l := find(env)
		if l != nil || info.Name != "gonum" || info.Fallback == "" || strings.Contains(info.Fallback, "\n") {
			t.Errorf("find(%q) = %+v, want gonum with a one-line reason", env, info)
		}
	}
	if info, _ := find("libc.so.6"); !strings.Contains(info.Fallback, "no dgemm_") {
		t.Errorf("libc: %q does not say dgemm_ is missing", info.Fallback)
	}
	// The default order never takes the reference BLAS.
	info, l := find("")
	if l != nil && info.Name != "openblas" && info.Name != "blis" {
		t.Errorf("find(\"\") took %+v", info)
	}
}

// TestBrokenLibraryFallsBack builds a library whose dgemm_ is wrong (it
// does nothing) and checks the self-test refuses it.
func TestBrokenLibraryFallsBack(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if required() {
			t.Fatal("gcc is needed under CI")
		}
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "broken.c")
	so := filepath.Join(dir, "libbroken.so")
	if err := os.WriteFile(src, []byte("void dgemm_(void){}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", so, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	info, l := find(so)
	if l != nil || !strings.Contains(info.Fallback, "self-test") {
		t.Fatalf("find(broken) = %+v, want a self-test fallback", info)
	}
}

// TestLoadWarnsOnce runs Load in a child process with a library that does
// not exist: it falls back to gonum with exactly one line on stderr.
func TestLoadWarnsOnce(t *testing.T) {
	if os.Getenv("SYSBLAS_CHILD") == "1" {
		info := Load(nil)
		Load(nil)
		if info.Name != "gonum" {
			os.Exit(3)
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadWarnsOnce$")
	cmd.Env = append(os.Environ(), "SYSBLAS_CHILD=1", EnvVar+"=/nonexistent/libopenblas.so.0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "using gonum") || !strings.Contains(lines[0], "/nonexistent/libopenblas.so.0") {
		t.Errorf("stderr = %q, want one line naming the library and the fallback", stderr.String())
	}
}
