package async

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// TestNoRecordWaitsPastLinger drives, on synctest's clock, random rounds
// of producers that log bursts of records at once or spread over time,
// with queues whose wake-up threshold is one record, a few or 64 records,
// a byte count, or a batch (BatchSize records, BatchBytes bytes): whenever the producers have stopped for lingerTime,
// every record accepted is written (none waits in the queue for a drain
// that missed its wake-up), for a Handler and a Writer.
func TestNoRecordWaitsPastLinger(t *testing.T) {
	type form struct {
		name string
		make func(opts Options) (log func(), c closerStats)
	}
	forms := []form{
		{"handler", func(opts Options) (func(), closerStats) {
			h := NewHandler(handler.NewJSONHandler(io.Discard, nil), opts)
			return func() { slog.New(h).Info("m") }, h
		}},
		{"writer", func(opts Options) (func(), closerStats) {
			w := NewWriter(io.Discard, opts)
			return func() { slog.New(handler.NewJSONHandler(w, nil)).Info("m") }, w
		}},
	}
	queues := []Options{
		{Capacity: 4},
		{Capacity: 64},
		{Capacity: 4096},
		{Capacity: 4096, MaxBytes: 4096},
		// A batch wakes a lingering drain: a few records, a few blocks
		// of a Writer's.
		{Capacity: 4096, BatchSize: 16},
		{Capacity: 4096, BatchSize: 3, BatchBytes: 200},
	}
	for _, fm := range forms {
		for _, q := range queues {
			for seed := range uint64(4) {
				synctest.Test(t, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, uint64(q.Capacity+q.MaxBytes)))
					log, c := fm.make(q)
					defer c.Close(context.Background())
					for round := range 30 {
						var producers sync.WaitGroup
						for range 1 + rng.IntN(6) {
							n, spread := rng.IntN(100), rng.IntN(3)
							gap := time.Duration(rng.IntN(1500)) * time.Microsecond
							producers.Go(func() {
								for i := range n {
									log()
									if spread > 0 && i%spread == 0 {
										time.Sleep(gap)
									}
								}
							})
						}
						producers.Wait()
						if rng.IntN(3) == 0 {
							continue // the next round starts while the drain lingers
						}
						time.Sleep(lingerTime)
						synctest.Wait()
						st := c.Stats()
						if st.Written+st.Dropped != st.Accepted || st.QueueDepth != 0 || st.InFlight != 0 {
							t.Fatalf("%s %+v seed %d round %d: lingerTime after the last record: %+v", fm.name, q, seed, round, st)
						}
					}
				})
			}
		}
	}
}
