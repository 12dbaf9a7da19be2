// Package counter provides Counter, a uint64 counter that many goroutines
// add to without sharing one cache line: each add goes to one of a fixed
// set of padded cells, picked from the adding goroutine's stack address,
// and Load sums the cells. It is what the stack's counters that every
// record touches are built on, so that parallel callers do not contend.
package counter
