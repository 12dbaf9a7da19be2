package logtest

import (
	"math"
	"runtime"
)

// HeapInUse returns the bytes of live heap (runtime.MemStats.HeapAlloc)
// after two collections: the second frees what the first only moved to
// sync.Pool's victim cache or kept for a finalizer.
func HeapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// Measure calls measure up to n times and returns the lowest and highest
// values it returned, stopping as soon as pass(lowest, highest) holds.
//
// A memory measure taken with runtime.ReadMemStats is raised by another
// goroutine (a leftover of an earlier test) allocating between its two
// reads, and lowered by garbage it did not make being freed in between:
// an upper bound must hold for the lowest of several measures, and a
// lower bound (a check that the measure sees what it should) for the
// highest. pass must check exactly that: upper bounds against lowest,
// lower bounds against highest. Then a further measure can only keep pass
// true, so stopping early gives the verdict n measures give, and a test
// whose first measure passes costs no more than with a single measure.
func Measure(n int, measure func() int64, pass func(lowest, highest int64) bool) (lowest, highest int64) {
	lowest, highest = math.MaxInt64, math.MinInt64
	for range n {
		got := measure()
		lowest, highest = min(lowest, got), max(highest, got)
		if pass(lowest, highest) {
			break
		}
	}
	return lowest, highest
}
