// Package goid reads the id of the calling goroutine, for the few places
// that must recognise a call made on one of their own goroutines (a sink
// calling back into the handler that is calling it) and refuse to wait
// for themselves.
package goid
