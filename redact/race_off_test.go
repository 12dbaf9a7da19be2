//go:build !race

package redact

// raceEnabled reports whether the race detector is on: a test that races
// goroutines for long runs fewer rounds under it.
const raceEnabled = false
