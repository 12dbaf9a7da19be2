//go:build !linux

package sampling

import "time"

// threadCPUTime is available on Linux only; elsewhere the benchmarks
// report wall time alone.
func threadCPUTime() (time.Duration, bool) { return 0, false }
