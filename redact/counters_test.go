package redact

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slogstack/slogstack/handler"
)

// TestStatsExactUnderParallelRecords logs clean and secret records from
// many goroutines at once, fused and unfused, while another goroutine reads
// Stats: every read shows no more records changed than handled, and once
// the goroutines are done the counts are exact.
func TestStatsExactUnderParallelRecords(t *testing.T) {
	const goroutines, perGoroutine = 8, 300
	for _, sink := range []struct {
		name string
		next slog.Handler
	}{
		{"handler.JSONHandler", handler.NewJSONHandler(io.Discard, nil)},
		{"pass-through", passThrough{handler.NewJSONHandler(io.Discard, nil)}},
	} {
		t.Run(sink.name, func(t *testing.T) {
			h := NewHandler(sink.next, DefaultOptions())
			ctx := context.Background()
			clean := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
			clean.AddAttrs(slog.String("path", "/api/v1/orders/42"), slog.Int("status", 200))
			secret := slog.NewRecord(time.Now(), slog.LevelInfo, "login", 0)
			secret.AddAttrs(slog.String("password", "hunter2"), slog.String("header", "Bearer "+secretBearer))

			done := make(chan struct{})
			var reader sync.WaitGroup
			reader.Go(func() {
				for {
					if s := h.Stats(); s.RecordsChanged > s.Records {
						t.Errorf("Stats shows %d records changed of %d handled", s.RecordsChanged, s.Records)
						return
					}
					select {
					case <-done:
						return
					default:
					}
				}
			})
			var writers sync.WaitGroup
			for g := range goroutines {
				writers.Go(func() {
					for i := range perGoroutine {
						r := clean
						if (g+i)%3 == 0 {
							r = secret
						}
						if err := h.Handle(ctx, r); err != nil {
							t.Errorf("Handle: %v", err)
						}
					}
				})
			}
			writers.Wait()
			close(done)
			reader.Wait()

			const records, secrets = goroutines * perGoroutine, goroutines * perGoroutine / 3
			got := h.Stats()
			want := Stats{
				Records:        records,
				RecordsChanged: secrets,
				KeyMasked:      secrets, // password
				Patterns:       PatternCounts{Bearer: secrets},
				// Two keys per record; each of the four keys misses once
				// unless two goroutines miss it at the same time.
				KeyCacheHits:   2*records - got.KeyCacheMisses,
				KeyCacheMisses: got.KeyCacheMisses,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
			if got.KeyCacheMisses < 4 || got.KeyCacheMisses > 4*goroutines {
				t.Errorf("KeyCacheMisses = %d, want 4 to %d", got.KeyCacheMisses, 4*goroutines)
			}
		})
	}
}
