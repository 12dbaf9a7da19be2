package main

import (
	"slices"
	"time"
)

// latencies summarises per-call durations.
type latencies struct {
	p50, p99, p999, max time.Duration
	slow                int // calls of 1 ms or more
}

// summarise returns the percentiles of ds (sorting ds in place); the zero
// value when ds is empty. Percentiles use the nearest-rank method.
func summarise(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	slices.Sort(ds)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	l := latencies{p50: rank(0.50), p99: rank(0.99), p999: rank(0.999), max: ds[len(ds)-1]}
	i, _ := slices.BinarySearch(ds, time.Millisecond)
	l.slow = len(ds) - i
	return l
}
