package otlpsink

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestStalledPipelineHoldsBoundedMemory: with the server stalled and no
// async queue, 3,000 records of 10 KB each (30 MB) pass through; the
// pipeline holds at most QueueSize of them, the rest is dropped, counted.
func TestStalledPipelineHoldsBoundedMemory(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 100, 50
	s := newTestStack(t, plainConfig(false), opts)
	big := []byte(strings.Repeat("x", 10<<10))
	before := heapAlloc()
	const n = 3000
	for i := range n {
		big[0] = byte('a' + i%26)
		s.Logger().Info("record", "i", i, "big", string(big)) // a string of its own each time
	}
	grown := int64(heapAlloc()) - int64(before)
	st := s.ExportStats()
	if st.Handed != n || st.Pending != 100 || st.Dropped != n-100 {
		t.Errorf("ExportStats %+v: want 100 pending and %d dropped", st, n-100)
	}
	if grown > 8<<20 {
		t.Errorf("heap grew by %d MB holding %d records of 10 KB", grown>>20, st.Pending)
	}
	c.unstall()
}

// TestShutdownTwiceReturnsTheFirstResult: a second Shutdown returns the
// first one's error, whatever its own ctx.
func TestShutdownTwiceReturnsTheFirstResult(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	s.Logger().Info("record")
	<-c.arrived
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	first := s.Shutdown(ctx)
	if first == nil {
		t.Fatal("Shutdown: nil with a stalled server")
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if second := s.Shutdown(done); second != first {
		t.Errorf("second Shutdown: %v, want the first's %v", second, first)
	}
	if !errors.Is(first, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want it to wrap the deadline", first)
	}
}

// TestStalledPipelineHoldsQueueSizeLargeRecords: the batch processor's
// bound is in records, the async queue's in bytes: with the server stalled
// and records of 1 MB each, the pipeline holds at most QueueSize records
// plus the export in progress (its request body a copy of BatchSize
// records) plus the async queue's MaxBytes and the records it is handing
// over; the rest is dropped, counted.
func TestStalledPipelineHoldsQueueSizeLargeRecords(t *testing.T) {
	c := newCollector(t)
	c.setAnswer(answerStall)
	opts := testOptions(c)
	opts.QueueSize, opts.BatchSize = 8, 4
	cfg := plainConfig(true)
	cfg.AsyncOptions.StallTimeout = 0 // drop at once rather than wait
	s := newTestStack(t, cfg, opts)
	big := []byte(strings.Repeat("x", 1<<20))
	before := heapAlloc()
	const n = 24
	for i := range n {
		big[0] = byte('a' + i%26)
		s.Logger().Info("record", "i", i, "big", string(big)) // a string of its own each time
	}
	<-c.arrived // an export of BatchSize records is stalled
	grown := int64(heapAlloc()) - int64(before)
	st := s.ExportStats()
	as := s.Stats().Async
	limit := int64(opts.QueueSize+opts.BatchSize+as.InFlight)<<20 + int64(cfg.AsyncOptions.MaxBytes) + 4<<20
	if st.Pending > uint64(opts.QueueSize) || grown > limit || as.Dropped == 0 || st.Handed+as.Dropped+uint64(as.QueueDepth)+uint64(as.InFlight) != n {
		t.Errorf("heap grew by %d MB (limit %d MB) holding %d records of 1 MB in the batch processor, async %+v", grown>>20, limit>>20, st.Pending, as)
	}
	c.unstall()
}

// heapAlloc is the heap in use after a garbage collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
