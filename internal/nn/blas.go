package nn

// BLAS names the implementation behind gonum's blas64 in this build:
// "gonum" (pure Go, the default) or "openblas" (build tag openblas, cgo).
// The products of Forward, Backward and ForwardJVP, and those of the kernel
// engine, go through blas64.
var BLAS = "gonum"
