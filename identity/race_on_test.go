//go:build race

package identity

// raceEnabled: the race detector's instrumentation changes allocations.
const raceEnabled = true
