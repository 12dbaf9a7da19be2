//go:build !linux

package redact

// threadCPU reports false: the thread's CPU time is read on Linux only.
func threadCPU() (int64, bool) { return 0, false }
