package main

import (
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	// Every value lies in [lowerBound(b), lowerBound(b+1)) of its bucket b,
	// and that range is within 1/16 of the value.
	for _, v := range []uint64{0, 1, 15, 16, 17, 31, 32, 1000, 1023, 1024, 123456789, 1 << 40, 1<<63 - 1} {
		b := bucketOf(v)
		lo, hi := lowerBound(b), lowerBound(b+1)
		if v < lo || (b+1 < 64*subBuckets && v >= hi) {
			t.Errorf("value %d in bucket %d = [%d, %d)", v, b, lo, hi)
		}
		if v >= subBuckets && float64(v-lo) > float64(v)/subBuckets {
			t.Errorf("value %d: bucket lower bound %d is more than 1/16 away", v, lo)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	if got := h.Quantile(0.5); got != 0 {
		t.Fatalf("empty histogram p50 = %v, want 0", got)
	}
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	h.Record(-time.Second)
	if h.Count() != 1001 {
		t.Fatalf("Count = %d, want 1001", h.Count())
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, 1000 * time.Microsecond}} {
		got := h.Quantile(tc.q)
		if got > tc.want || float64(tc.want-got) > float64(tc.want)/subBuckets {
			t.Errorf("Quantile(%v) = %v, want within 1/16 below %v", tc.q, got, tc.want)
		}
	}
}
