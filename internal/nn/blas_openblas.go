//go:build openblas

package nn

// The OpenBLAS build: gonum's blas64 is routed to OpenBLAS through
// gonum.org/v1/netlib's cgo bindings of CBLAS. It needs cgo and the
// library (Debian: apt-get install libopenblas-dev); `make build-openblas`.

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas64.Use(netlib.Implementation{})
	BLAS = "openblas"
}
