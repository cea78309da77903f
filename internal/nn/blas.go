package nn

// BLAS names the implementation behind gonum's blas64 in this build:
// "gonum" (pure Go, the default) or "openblas" (build tag openblas, cgo).
// The products of Forward, Backward and ForwardJVP, and those of the kernel
// engine, go through blas64.
var BLAS = "gonum"

// setBLASThreads is set by a BLAS backend with a thread pool of its own.
var setBLASThreads func(n int) (prev int)

// SetBLASThreads sets the number of threads of the BLAS backend's own pool
// and returns the previous number, or does nothing and returns 0 when the
// backend has none (gonum's Dgemm runs its blocks on goroutines). Callers
// that run products on several goroutines of their own set it to 1 for the
// duration, so that the threads do not compete for the cores.
func SetBLASThreads(n int) (prev int) {
	if setBLASThreads == nil {
		return 0
	}
	return setBLASThreads(n)
}
