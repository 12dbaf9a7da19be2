package slogstack

import (
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/scope"
)

// TestStackHeapWithinBudget logs 32 MiB of fresh byte slices in requests
// that are not sampled and still open, through the default stack with a
// 4 MiB buffer budget: the heap held while the requests are open stays
// within the budget (plus a fixed allowance), whatever was logged.
func TestStackHeapWithinBudget(t *testing.T) {
	leakcheck.Check(t)
	const budget = 4 << 20
	cfg := DefaultConfig()
	cfg.SamplingPolicy.Rate = 0 // no request sampled: every record is buffered
	cfg.SamplingOptions.MaxRequestBytes = 2 << 20
	cfg.SamplingOptions.MaxBufferedBytes = budget
	s, err := NewStack(io.Discard, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	var ends []func(error)
	for range 8 {
		ctx, end := scope.Start(context.Background(), s.ScopeOptions("job"))
		ends = append(ends, end)
		for range 4 {
			big := make([]byte, 1<<20)
			for i := range big {
				big[i] = byte('a' + i%26)
			}
			s.Logger().InfoContext(ctx, "large", "payload", big)
		}
	}
	held := heapInUse() - before
	const allowance = 2 << 20
	if held > budget+allowance {
		t.Errorf("heap held by buffered records: %d bytes, budget %d (+%d allowance); stats %+v", held, budget, allowance, s.Stats().Sampling)
	}
	for _, end := range ends {
		end(nil)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b := s.Stats().Sampling.BufferedBytes; b != 0 {
		t.Errorf("after the requests ended, %d bytes still buffered", b)
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
