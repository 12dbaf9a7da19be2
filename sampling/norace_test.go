//go:build !race

package sampling

// raceEnabled scales stress tests down under the race detector, which
// makes each record several times dearer; the assertions stay the same.
const raceEnabled = false
