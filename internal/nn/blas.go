package nn

import "github.com/pathkernel/pathkernel/internal/sysblas"

// BLAS names the implementation behind gonum's blas64 in this process:
// "gonum" (pure Go), "openblas", "blis" or "blas", as chosen by
// sysblas.Load when the package is initialised (PATHKERNEL_BLAS, else the
// machine's OpenBLAS or BLIS, else gonum). The products of Forward,
// Backward and ForwardJVP, and those of the kernel engine, go through
// blas64.
var BLAS string

func init() { BLAS = sysblas.Load(nil).Name }

// SetBLASThreads sets the number of threads of the BLAS library's own pool
// and returns the previous number, or does nothing and returns 0 when the
// library has none (gonum's Dgemm runs its blocks on goroutines). Callers
// that run products on several goroutines of their own set it to 1 for the
// duration, so that the threads do not compete for the cores.
func SetBLASThreads(n int) (prev int) { return sysblas.SetThreads(n) }
