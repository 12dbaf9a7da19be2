package otlpsink

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConservationUnderLoad: with callers logging concurrently, a server
// cycling through every answer and snapshots taken all along, the counters
// add up in every snapshot, and at the end every record is exported,
// failed, dropped or abandoned, exactly; what the server kept is Exported.
func TestConservationUnderLoad(t *testing.T) {
	for _, async := range []bool{true, false} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			checkNoLeak(t)
			c := newCollector(t)
			opts := testOptions(c)
			opts.QueueSize, opts.BatchSize = 64, 16
			s := newTestStack(t, plainConfig(async), opts)

			var stop atomic.Bool
			var checker sync.WaitGroup
			checker.Go(func() {
				for !stop.Load() {
					checkConserved(t, s.ExportStats())
				}
			})
			answers := []answer{answerOK, answerBusy, answerOK, answerBad, answerRejectOne, answerOK}
			const goroutines, each = 4, 400
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						if g == 0 && i%80 == 0 {
							c.setAnswer(answers[(i/80)%len(answers)])
						}
						s.Logger().Info("record", "g", g, "i", i)
					}
				})
			}
			wg.Wait()
			c.setAnswer(answerOK)
			err := s.Shutdown(context.Background())
			stop.Store(true)
			checker.Wait()

			st := s.ExportStats()
			checkConserved(t, st)
			async := s.Stats().Async
			logged := uint64(goroutines * each)
			if async != nil {
				logged -= async.Dropped // counted by the queue, never handed
			}
			if st.Pending != 0 || st.Handed != logged || st.Handed != stackWritten(s) {
				t.Errorf("ExportStats %+v: want Pending 0 and Handed %d (stack wrote %d)", st, logged, stackWritten(s))
			}
			if got := uint64(len(c.received())); got != st.Exported {
				t.Errorf("server kept %d records, Exported %d", got, st.Exported)
			}
			if lost := st.Failed + st.Dropped + st.Abandoned; (lost != 0) != (err != nil) {
				t.Errorf("Shutdown: %v with %d records not exported", err, lost)
			}
		})
	}
}
