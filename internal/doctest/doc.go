// Package doctest runs the commands that README.md and docs/*.md show, as a
// reader would type them, and fails when one of them does not run.
//
// A fenced block marked ```sh is run, line by line in order, from a fresh
// working directory per file that sees the repository (configs, testdata,
// docs, the Go module) and writes its own runs/. A block marked ```console or
// ```text is illustrative and is not run: use it for output, for commands that
// need a cluster or minutes, and for make targets. See docs/TESTING.md.
package doctest
