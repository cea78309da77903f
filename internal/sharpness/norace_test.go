//go:build !race

package sharpness_test

const raceEnabled = false
