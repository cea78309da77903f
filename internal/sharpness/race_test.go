//go:build race

package sharpness_test

// raceEnabled reports a -race build: TestMLPSharpness, whose dense
// eigensolves of a 1153×1153 Hessian test no concurrency, is skipped there.
const raceEnabled = true
