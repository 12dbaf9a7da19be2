package otlpsink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
)

// TestErrorHandlerLogsIntoTheStack: OpenTelemetry's global error handler
// logs every failed export through the stack itself, so records arrive from
// the batch processor's own goroutine while it is the one that frees room.
// Nothing hangs, and every record, those of the handler included, is
// accounted for. With an async queue, Shutdown is given a deadline: once
// the queue is closed, the handler's records are handed synchronously and
// wait for the queue's goroutine, itself waiting for room that only the
// batch processor's goroutine frees (each wait ends after the queue's
// StallTimeout), so Shutdown ends at its deadline.
func TestErrorHandlerLogsIntoTheStack(t *testing.T) {
	for _, async := range []bool{true, false} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			var s *Stack
			// Runs last, once every goroutine of the pipeline has ended: the
			// handler's record handed synchronously after the queue closed may
			// still be on its way through the bridge when Shutdown returns.
			t.Cleanup(func() {
				st := s.ExportStats()
				checkConserved(t, st)
				if st.Pending != 0 || st.Exported != 0 || st.Handed != stackWritten(s) {
					t.Errorf("ExportStats %+v, the stack wrote %d: want every record handed failed, dropped or abandoned", st, stackWritten(s))
				}
				if as := s.Stats().Async; as != nil && as.Accepted != as.Written+as.Failed+as.Skipped+as.Dropped+as.Lost+uint64(as.QueueDepth)+uint64(as.InFlight) {
					t.Errorf("async stats do not add up: %+v", as)
				}
			})
			checkNoLeak(t)
			c := newCollector(t)
			c.setAnswer(answerBad)
			opts := testOptions(c)
			opts.QueueSize, opts.BatchSize = 16, 4
			s = newTestStack(t, plainConfig(async), opts)
			otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
				s.Logger().Error("export failed", "err", err)
			}))
			defer otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
			const n = 500
			for i := range n {
				s.Logger().Info("record", "i", i)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err := s.Shutdown(ctx)
			if st := s.ExportStats(); st.Pending != 0 || err == nil {
				t.Errorf("Shutdown: %v; ExportStats %+v: want the failed records reported, none pending", err, st)
			}
		})
	}
}
