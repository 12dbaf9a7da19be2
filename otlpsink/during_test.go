package otlpsink

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
)

// TestLoggingDuringShutdown: callers keep logging while Shutdown runs and
// after it; Shutdown returns, and every record is accounted for once they
// stop: the stack's written equals Handed, nothing pending.
func TestLoggingDuringShutdown(t *testing.T) {
	for _, async := range []bool{true, false} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			checkNoLeak(t)
			c := newCollector(t)
			opts := testOptions(c)
			opts.QueueSize, opts.BatchSize = 32, 8
			s := newTestStack(t, plainConfig(async), opts)
			var stop atomic.Bool
			var loggers sync.WaitGroup
			started := make(chan struct{}, 4)
			for g := range 4 {
				loggers.Go(func() {
					for i := 0; !stop.Load(); i++ {
						s.Logger().Info("record", "g", g, "i", i)
						if i == 100 {
							started <- struct{}{}
						}
					}
				})
			}
			for range 4 {
				<-started
			}
			err := s.Shutdown(context.Background())
			after := s.ExportStats()
			stop.Store(true)
			loggers.Wait()
			st := s.ExportStats()
			checkConserved(t, st)
			if after.Pending != 0 || st.Pending != 0 || st.Handed != stackWritten(s) {
				t.Errorf("Shutdown: %v; ExportStats at its return %+v, after the loggers stopped %+v; the stack wrote %d",
					err, after, st, stackWritten(s))
			}
			if got := uint64(len(c.received())); got != st.Exported {
				t.Errorf("server kept %d, Exported %d", got, st.Exported)
			}
		})
	}
}

// panicValuer is a LogValuer that panics.
type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("LogValue") }

// TestPanickingValueIsNotCounted: a record whose value panics is not
// handed; the stack counts it, the pipeline stays consistent.
func TestPanickingValueIsNotCounted(t *testing.T) {
	c := newCollector(t)
	s := newTestStack(t, plainConfig(true), testOptions(c))
	s.Logger().Info("before")
	s.Logger().Info("bad", "v", panicValuer{})
	s.Logger().Info("after")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	st := s.ExportStats()
	checkConserved(t, st)
	if st.Handed != stackWritten(s) || st.Exported != st.Handed || uint64(len(c.received())) != st.Handed {
		t.Errorf("ExportStats %+v, stack wrote %d, server got %d", st, stackWritten(s), len(c.received()))
	}
}
