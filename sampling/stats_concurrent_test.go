package sampling

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
)

// TestStatsDuringLogging reads Stats while records are buffered by some
// goroutines and dropped by the requests' ends on others: the gauges
// never read below zero, and once logging is done the conservation rule
// holds exactly.
func TestStatsDuringLogging(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	l := slog.New(h)
	// Many requests, so that the reader is often preempted between the
	// cells of one counter while records enter and leave the buffers.
	requests, records := 300000, 1
	if raceEnabled {
		requests = 20000
	}
	var done atomic.Bool
	var reader sync.WaitGroup
	var negative atomic.Int64
	reader.Go(func() {
		for !done.Load() {
			st := h.Stats()
			if st.BufferedRecords < 0 || st.BufferedBytes < 0 {
				negative.Store(min(st.BufferedRecords, st.BufferedBytes))
			}
		}
	})
	ends := make(chan func() bool, 64)
	var ender sync.WaitGroup
	ender.Go(func() {
		for end := range ends {
			end()
		}
	})
	for range requests {
		ctx, s := open(notSampled)
		for range records {
			l.InfoContext(ctx, "buffered")
		}
		ends <- s.End
	}
	close(ends)
	ender.Wait()
	done.Store(true)
	reader.Wait()
	if n := negative.Load(); n != 0 {
		t.Errorf("a gauge read %d during logging", n)
	}
	st := h.Stats()
	checkConservation(t, st)
	if st.RecordsBuffered != uint64(requests*records) || st.RecordsDropped != uint64(requests*records) {
		t.Fatalf("buffered %d, dropped %d; want %d each", st.RecordsBuffered, st.RecordsDropped, requests*records)
	}
}
