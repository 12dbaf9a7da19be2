package sampling

import (
	"syscall"
	"time"
)

// threadCPUTime returns the CPU time the calling OS thread has used. The
// benchmarks lock their goroutine to its thread and report the CPU time
// per operation beside the wall time: on a machine shared with other work,
// wall time counts the time the thread waited for a core, CPU time does
// not.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
