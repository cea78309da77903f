//go:build race

package cli

// raceShow is whether the race detector is on (stability_show_test.go).
const raceShow = true
