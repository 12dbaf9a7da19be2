//go:build linux

package async_test

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD from <sys/resource.h>: the calling
// thread's usage (the syscall package does not name it).
const rusageThread = 1

// threadCPUTime returns the user plus system CPU time the calling OS
// thread has used, and whether it is known.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// processCPUTime returns the user plus system CPU time of the process.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
