//go:build !race

package rules_test

// raceEnabled says the race detector runs, slowing Parse several times over.
const raceEnabled = false
