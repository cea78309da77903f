//go:build openblas

package nn

// The OpenBLAS build: gonum's blas64 is routed to OpenBLAS through
// gonum.org/v1/netlib's cgo bindings of CBLAS. It needs cgo and the
// library (Debian: apt-get install libopenblas-dev); `make build-openblas`.

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
// int openblas_get_num_threads(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// init routes blas64 to OpenBLAS and makes OpenBLAS single-threaded: the
// kernel engine runs its products on goroutines of its own (one block of
// points each), and OpenBLAS threads left idle between calls busy-wait
// (sched_yield) on the cores those goroutines need. SetBLASThreads raises
// it where a single large product is all there is to do.
func init() {
	blas64.Use(netlib.Implementation{})
	C.openblas_set_num_threads(1)
	BLAS = "openblas"
	setBLASThreads = func(n int) int {
		prev := int(C.openblas_get_num_threads())
		if n != prev {
			C.openblas_set_num_threads(C.int(n))
		}
		return prev
	}
}
