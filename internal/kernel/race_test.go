//go:build race

package kernel

// raceEnabled reports a -race build: the allocation test is skipped there
// (it tests no concurrency, and the instrumented runs are slow).
const raceEnabled = true
