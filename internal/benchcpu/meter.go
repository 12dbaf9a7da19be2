package benchcpu

import (
	"runtime"
	"testing"
)

// Loop runs f b.N times (b.Loop) and reports allocations and cpu-ns/op.
func Loop(b *testing.B, f func()) {
	b.ReportAllocs()
	stop := Meter(b)
	n := 0
	for b.Loop() {
		f()
		n++
	}
	stop(n)
}

// Meter locks the benchmark to its OS thread and returns the function that
// unlocks it and reports the thread's CPU time since, divided by ops, as
// cpu-ns/op.
func Meter(b *testing.B) func(ops int) {
	runtime.LockOSThread()
	start, ok := threadCPUTime()
	return func(ops int) {
		end, ok2 := threadCPUTime()
		runtime.UnlockOSThread()
		if ok && ok2 && ops > 0 {
			b.ReportMetric(float64(end-start)/float64(ops), "cpu-ns/op")
		}
	}
}
