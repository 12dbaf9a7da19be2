package redact

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// TestStatsLawsWhileLogging reads Stats while goroutines log records with
// secrets in the message, in attributes and in tails, fused and unfused:
// every read shows no more records changed than handled, nor than the
// masks counted (each changed record masked something), and the last read,
// once logging is done, is exact.
func TestStatsLawsWhileLogging(t *testing.T) {
	const goroutines = 4
	perGoroutine := 3000
	if raceEnabled {
		perGoroutine = 600
	}
	for _, sink := range []struct {
		name string
		next slog.Handler
	}{
		{"handler.JSONHandler", handler.NewJSONHandler(io.Discard, nil)},
		{"pass-through", passThrough{handler.NewJSONHandler(io.Discard, nil)}},
	} {
		h := NewHandler(sink.next, DefaultOptions())
		ctx := context.Background()
		records := []slog.Record{
			slog.NewRecord(time.Time{}, slog.LevelInfo, "Bearer "+secretBearer, 0),
			slog.NewRecord(time.Time{}, slog.LevelInfo, "login", 0),
			slog.NewRecord(time.Time{}, slog.LevelInfo, "clean", 0),
		}
		records[1].AddAttrs(slog.String("password", "hunter2"))
		records[2].AddAttrs(slog.String("path", "/a"))
		var stop atomic.Bool
		var reader sync.WaitGroup
		reader.Go(func() {
			for !stop.Load() {
				s := h.Stats()
				if s.RecordsChanged > s.Records || s.RecordsChanged > s.KeyMasked+s.Patterns.Total() {
					t.Errorf("%s: Stats read while logging breaks a law: %+v", sink.name, s)
					return
				}
			}
		})
		var writers sync.WaitGroup
		for g := range goroutines {
			writers.Go(func() {
				for i := range perGoroutine {
					if err := h.Handle(ctx, records[(g+i)%len(records)]); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		writers.Wait()
		stop.Store(true)
		reader.Wait()
		n := uint64(goroutines * perGoroutine)
		s := h.Stats()
		if s.Records != n || s.RecordsChanged != 2*n/3 || s.KeyMasked != n/3 || s.Patterns.Bearer != n/3 {
			t.Errorf("%s: Stats after logging %+v, want %d records, %d changed, %d key masks, %d Bearer", sink.name, s, n, 2*n/3, n/3, n/3)
		}
	}
}
