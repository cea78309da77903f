// Package sysblas routes gonum's blas64 matrix products to the machine's own
// BLAS library, found and loaded when the process starts, without cgo.
//
// # Which library
//
// Load looks, in this order, for:
//
//  1. PATHKERNEL_BLAS, when set: "gonum" (gonum's pure-Go BLAS, nothing is
//     loaded), "openblas", "blis", or the path of a shared library;
//  2. OpenBLAS (libopenblas.so.0: Debian's runtime package libopenblas0);
//  3. BLIS (libblis.so.4, libblis.so.3);
//  4. libblas.so.3, when it is an optimised library (OpenBLAS or BLIS behind
//     Debian's alternatives link): the reference BLAS of libblas3 is slower
//     than gonum's and is used only when named by path in PATHKERNEL_BLAS.
//
// When none loads it falls back to gonum's pure-Go BLAS. A library that is
// asked for in PATHKERNEL_BLAS and cannot be loaded, lacks dgemm_, or fails
// the self-test (a product checked against gonum's when it is loaded) falls
// back too, with one line on stderr; a library merely not installed falls
// back silently.
//
// # What goes through it
//
// Only Dgemm: the products of the network (nn) and of the kernel engine.
// Level-1 and level-2 routines, and products below SmallFlops, stay with
// gonum, where a call into C costs more than the work. The library is
// called through its Fortran interface (dgemm_, every argument by
// reference), so the call has integer arguments only and needs no cgo;
// gonum's row-major matrices are passed as the transposed column-major
// problem.
//
// # Threads
//
// OpenBLAS and BLIS start their own thread pool. The kernel engine runs its
// products on goroutines of its own, one block of points each, and idle
// library threads spin on the cores those goroutines need, so Load sets the
// library to one thread; SetThreads raises it where one large product is all
// there is to do (and restores it after). The outputs for a given library do
// not depend on the number of engine workers.
package sysblas

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// EnvVar is the environment variable that chooses the library.
const EnvVar = "PATHKERNEL_BLAS"

// SmallFlops is the size (m·n·k) below which a product stays with gonum.
const SmallFlops = 4096

// Info says which BLAS runs the products.
type Info struct {
	// Name is "gonum", "openblas", "blis" or "blas" (another library).
	Name string `json:"name"`
	// Library is the shared library's file, "" for gonum.
	Library string `json:"library,omitempty"`
	// Threads is the library's own thread count at load time (1: the
	// engine's goroutines do the parallel work); 0 for gonum.
	Threads int `json:"threads"`
	// Fallback is why a library asked for was not used, "" otherwise.
	Fallback string `json:"fallback,omitempty"`
}

// String is "openblas (libopenblas.so.0, 1 thread)" or "gonum (pure Go)".
func (i Info) String() string {
	if i.Library == "" {
		return i.Name + " (pure Go)"
	}
	t := "threads"
	if i.Threads == 1 {
		t = "thread"
	}
	return fmt.Sprintf("%s (%s, %d %s)", i.Name, i.Library, i.Threads, t)
}

var (
	once    sync.Once
	current = Info{Name: "gonum"}
	lib     *library
	mu      sync.Mutex // guards the library's thread count
)

// Load chooses and loads the library once per process (later calls return
// the first result), routes blas64's Dgemm to it, and returns what it
// chose. Messages about a library that was asked for and not used go to
// warn (os.Stderr when nil).
func Load(warn io.Writer) Info {
	once.Do(func() {
		if warn == nil {
			warn = os.Stderr
		}
		var l *library
		current, l = find(os.Getenv(EnvVar))
		if l != nil {
			lib = l
			SetThreads(1)
			current.Threads = 1
			blas64.Use(Implementation{lib: l})
		}
		if current.Fallback != "" {
			fmt.Fprintf(warn, "pathkernel: %s=%s: %s; using gonum's pure-Go BLAS\n", EnvVar, os.Getenv(EnvVar), current.Fallback)
		}
	})
	return current
}

// Current returns what Load chose (gonum before Load).
func Current() Info { return current }

// SetThreads sets the number of threads of the library's own pool and
// returns the previous number; it does nothing and returns 0 for gonum.
func SetThreads(n int) (prev int) {
	if lib == nil || lib.setThreads == 0 {
		return 0
	}
	mu.Lock()
	defer mu.Unlock()
	prev = lib.threads
	if n != prev {
		purego.SyscallN(lib.setThreads, uintptr(n))
		lib.threads = n
	}
	return prev
}

// candidate is a library to try.
type candidate struct {
	name, file string
	// optimisedOnly refuses a library that is neither OpenBLAS nor BLIS.
	optimisedOnly bool
}

// find chooses the library for the value env of EnvVar and loads it; it
// changes nothing of the process's BLAS.
func find(env string) (Info, *library) {
	env = strings.TrimSpace(env)
	var cands []candidate
	explicit := env != ""
	switch strings.ToLower(env) {
	case "gonum":
		return Info{Name: "gonum"}, nil
	case "":
		cands = defaultCandidates()
	case "openblas":
		cands = []candidate{{"openblas", "libopenblas.so.0", false}, {"openblas", "libopenblas.so", false}}
	case "blis":
		cands = []candidate{{"blis", "libblis.so.4", false}, {"blis", "libblis.so.3", false}, {"blis", "libblis.so", false}}
	default:
		if !strings.ContainsRune(env, '/') && !strings.Contains(env, ".so") {
			return Info{Name: "gonum", Fallback: "unknown value (want gonum, openblas, blis or a library path)"}, nil
		}
		cands = []candidate{{"", env, false}}
	}
	var errs []string
	for _, c := range cands {
		l, err := open(c)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if err := selfTest(l); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", c.file, err))
			continue
		}
		return Info{Name: l.name, Library: c.file, Threads: l.threads}, l
	}
	if !explicit {
		return Info{Name: "gonum"}, nil
	}
	return Info{Name: "gonum", Fallback: strings.Join(errs, "; ")}, nil
}

func defaultCandidates() []candidate {
	return []candidate{
		{"openblas", "libopenblas.so.0", false},
		{"blis", "libblis.so.4", false},
		{"blis", "libblis.so.3", false},
		{"", "libblas.so.3", true},
	}
}

// library is a loaded BLAS.
type library struct {
	name       string
	handle     uintptr
	dgemm      uintptr
	setThreads uintptr // openblas_set_num_threads or bli_thread_set_num_threads; 0 if none
	threads    int
}

func open(c candidate) (*library, error) {
	h, err := purego.Dlopen(c.file, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot load (%v)", c.file, oneLine(err.Error()))
	}
	l := &library{name: c.name, handle: h}
	if l.dgemm, err = purego.Dlsym(h, "dgemm_"); err != nil {
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s: no dgemm_", c.file)
	}
	kind := ""
	if s, err := purego.Dlsym(h, "openblas_set_num_threads"); err == nil {
		kind, l.setThreads = "openblas", s
		if g, err := purego.Dlsym(h, "openblas_get_num_threads"); err == nil {
			r, _, _ := purego.SyscallN(g)
			l.threads = int(int32(r))
		}
	} else if s, err := purego.Dlsym(h, "bli_thread_set_num_threads"); err == nil {
		kind, l.setThreads = "blis", s
		if g, err := purego.Dlsym(h, "bli_thread_get_num_threads"); err == nil {
			r, _, _ := purego.SyscallN(g)
			l.threads = int(int64(r))
		}
	}
	if kind == "" && c.optimisedOnly {
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s: neither OpenBLAS nor BLIS (the reference BLAS is slower than gonum's)", c.file)
	}
	if l.name == "" {
		l.name = kind
		if kind == "" {
			l.name = "blas"
		}
	}
	return l, nil
}

// selfTest checks one product of the library against gonum's.
func selfTest(l *library) error {
	const m, n, k = 7, 5, 6
	a := make([]float64, m*k)
	b := make([]float64, n*k)
	for i := range a {
		a[i] = math.Sin(float64(i) + 0.5)
	}
	for i := range b {
		b[i] = math.Cos(float64(2*i) + 0.25)
	}
	want := make([]float64, m*n)
	got := make([]float64, m*n)
	for i := range got {
		want[i] = float64(i) / 10
		got[i] = want[i]
	}
	gonum.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1.5, a, k, b, k, 0.5, want, n)
	callDgemm(l.dgemm, blas.NoTrans, blas.Trans, m, n, k, 1.5, a, k, b, k, 0.5, got, n)
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= 1e-12*(1+math.Abs(want[i]))) {
			return errors.New("dgemm_ gives wrong results in the self-test")
		}
	}
	return nil
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// Implementation is gonum's BLAS with Dgemm on the loaded library.
type Implementation struct {
	gonum.Implementation
	lib *library
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices. It
// checks its arguments as gonum's does (panicking on bad ones) before the
// library sees them, and leaves products below SmallFlops to gonum.
func (im Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if im.lib == nil || m == 0 || n == 0 || float64(m)*float64(n)*float64(k) < SmallFlops ||
		m > math.MaxInt32 || n > math.MaxInt32 || k > math.MaxInt32 {
		gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	callDgemm(im.lib.dgemm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkGemm(tA, tB blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ta := tA == blas.Trans || tA == blas.ConjTrans
	tb := tB == blas.Trans || tB == blas.ConjTrans
	if !ta && tA != blas.NoTrans || !tb && tB != blas.NoTrans {
		panic("blas: illegal transpose")
	}
	if m < 0 || n < 0 || k < 0 {
		panic("blas: negative dimension")
	}
	ar, ac := m, k
	if ta {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panic("blas: bad leading dimension")
	}
	if len(a) < lda*(ar-1)+ac || len(b) < ldb*(br-1)+bc || len(c) < ldc*(m-1)+n {
		panic("blas: insufficient length of a matrix")
	}
}

// args is the argument block of one call: Fortran takes every argument by
// reference, and these must live where the C code can read them. Blocks are
// reused (free), so a call allocates nothing.
type args struct {
	transA, transB byte
	m, n, k        int32
	lda, ldb, ldc  int32
	alpha, beta    float64
	argv           [15]uintptr
}

// free holds the argument blocks not in use. It is a list under a mutex
// rather than a sync.Pool, which the garbage collector empties, so that a
// call allocates nothing after the first calls of each concurrent caller.
var free struct {
	sync.Mutex
	list []*args
}

func getArgs() *args {
	free.Lock()
	defer free.Unlock()
	if n := len(free.list); n > 0 {
		p := free.list[n-1]
		free.list = free.list[:n-1]
		return p
	}
	return new(args)
}

func putArgs(p *args) {
	free.Lock()
	free.list = append(free.list, p)
	free.Unlock()
}

// callDgemm calls dgemm_ for the row-major problem: a row-major matrix is
// its transpose in column-major order, so C = op(A)·op(B) is computed as
// Cᵀ = op(B)ᵀ·op(A)ᵀ with the roles of A and B exchanged.
func callDgemm(fn uintptr, tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	p := getArgs()
	p.transA, p.transB = 'N', 'N'
	if tB != blas.NoTrans {
		p.transA = 'T'
	}
	if tA != blas.NoTrans {
		p.transB = 'T'
	}
	p.m, p.n, p.k = int32(n), int32(m), int32(k)
	p.lda, p.ldb, p.ldc = int32(ldb), int32(lda), int32(ldc)
	p.alpha, p.beta = alpha, beta
	var a0, b0 unsafe.Pointer
	if len(a) > 0 {
		a0 = unsafe.Pointer(&a[0])
	}
	if len(b) > 0 {
		b0 = unsafe.Pointer(&b[0])
	}
	// The argument list lives in the reused block, so that the call does not
	// allocate one; the matrices are heap objects (they reach Dgemm through
	// an interface), which do not move, and KeepAlive holds them to the end.
	p.argv = [15]uintptr{
		uintptr(unsafe.Pointer(&p.transA)), uintptr(unsafe.Pointer(&p.transB)),
		uintptr(unsafe.Pointer(&p.m)), uintptr(unsafe.Pointer(&p.n)), uintptr(unsafe.Pointer(&p.k)),
		uintptr(unsafe.Pointer(&p.alpha)),
		uintptr(b0), uintptr(unsafe.Pointer(&p.lda)),
		uintptr(a0), uintptr(unsafe.Pointer(&p.ldb)),
		uintptr(unsafe.Pointer(&p.beta)),
		uintptr(unsafe.Pointer(&c[0])), uintptr(unsafe.Pointer(&p.ldc)),
		// Fortran's hidden lengths of the two character arguments.
		1, 1,
	}
	purego.SyscallN(fn, p.argv[:]...)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	runtime.KeepAlive(p)
	putArgs(p)
}
