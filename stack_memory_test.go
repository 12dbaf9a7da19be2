package slogstack

import (
	"context"
	"io"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
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
	const allowance = 2 << 20
	var (
		s    *Stack
		ends []func(error)
	)
	// fill logs the payloads on a fresh stack and returns the heap held
	// while the requests are open.
	fill := func() int64 {
		if s != nil { // the previous measure's stack
			for _, end := range ends {
				end(nil)
			}
			if err := s.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		s, err = NewStack(io.Discard, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ends = nil
		before := logtest.HeapInUse()
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
		return logtest.HeapInUse() - before
	}
	// The lowest of up to three measures: a goroutine of another test
	// allocating between the two reads raises one.
	held, _ := logtest.Measure(3, fill, func(lowest, _ int64) bool { return lowest <= budget+allowance })
	t.Logf("heap held %.2f MiB (budget %.2f MiB + %.2f MiB)", float64(held)/(1<<20), float64(budget)/(1<<20), float64(allowance)/(1<<20))
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
