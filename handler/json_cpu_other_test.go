//go:build !unix

package handler

import "time"

// processCPUTime reports that the process CPU time is not known on this
// platform.
func processCPUTime() (time.Duration, bool) { return 0, false }
