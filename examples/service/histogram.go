package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// subBuckets is how many buckets split each power of two: values are kept
// to within 1/16 (about 6%) of their size, enough for p50 and p99.
const subBuckets = 16

// histogram is a lock-free latency histogram with log-linear buckets over
// nanoseconds, from 1 ns to the largest time.Duration. Record is safe for
// concurrent use and never allocates; its memory is fixed (8 KiB).
type histogram struct {
	counts [64 * subBuckets]atomic.Uint64
	total  atomic.Uint64
}

func bucketOf(ns uint64) int {
	if ns < subBuckets {
		return int(ns)
	}
	e := bits.Len64(ns) - 1 // ns in [2^e, 2^(e+1)), e >= 4
	m := (ns >> (e - 4)) & (subBuckets - 1)
	return (e-3)*subBuckets + int(m)
}

// lowerBound returns the smallest value that falls in bucket i.
func lowerBound(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	e := i/subBuckets + 3
	m := uint64(i % subBuckets)
	return (subBuckets + m) << (e - 4)
}

// Record adds one observation; a negative duration counts as zero.
func (h *histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))].Add(1)
	h.total.Add(1)
}

// Count returns the number of observations.
func (h *histogram) Count() uint64 { return h.total.Load() }

// Quantile returns the lower bound of the bucket holding the q-th quantile
// (0 < q <= 1), or 0 with no observations.
func (h *histogram) Quantile(q float64) time.Duration {
	var snapshot [len(h.counts)]uint64
	var n uint64
	for i := range h.counts {
		snapshot[i] = h.counts[i].Load()
		n += snapshot[i]
	}
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range snapshot {
		seen += c
		if seen >= rank {
			return time.Duration(lowerBound(i))
		}
	}
	return time.Duration(lowerBound(len(snapshot) - 1))
}
