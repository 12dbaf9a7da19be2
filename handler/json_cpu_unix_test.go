//go:build unix

package handler

import (
	"syscall"
	"time"
)

// processCPUTime returns the user plus system CPU time the process has
// used so far, and whether it is known.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
