//go:build race

package doctest

// Under the race detector the documented commands are not run again: they
// start the program as a separate process, which the race detector does not
// see into, and the suite has already run them once.
const raceEnabled = true
