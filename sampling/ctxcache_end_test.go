package sampling

import (
	"context"
	"log/slog"
	"sync"
	"testing"
)

// TestContextCacheNoEntryOutlivesEnd checks that no interleaving of a
// record's cache store with its scope's end leaves the ended scope's state
// (its request's contexts) in the context cache: the store comes after the
// end's removal in every case below, as it does for a record that found
// the state (by the context walk, before End released the attachments, or
// in the cache) and stores a new context of it while End runs.
func TestContextCacheNoEntryOutlivesEnd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		derive func(context.Context) context.Context
	}{
		{"same-context", func(ctx context.Context) context.Context { return ctx }},
		{"derived-value", func(ctx context.Context) context.Context { return context.WithValue(ctx, layerKey(1), 1) }},
		{"incomparable-type", func(ctx context.Context) context.Context {
			return valueContext{Context: ctx, tags: []string{"x"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, DefaultOptions())
			ctx, s := open(notSampled)
			slog.New(h).InfoContext(ctx, "buffered")
			_, st := h.sh.stateOf(ctx)
			s.End()
			h.sh.ctxs.put(tc.derive(ctx), st) // a record racing the End
			if n := cachedContexts(&h.sh.ctxs); n != 0 {
				t.Fatalf("%d contexts of an ended scope are cached", n)
			}
		})
	}
}

// TestContextCacheEmptyAfterRacingEnds logs from many goroutines, each
// with fresh contexts derived from its request's, while the requests end:
// once every request has ended, the cache holds nothing, and every request
// is counted once.
func TestContextCacheEmptyAfterRacingEnds(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	l := slog.New(h)
	const requests, loggers, records = 200, 3, 8
	var wg sync.WaitGroup
	for i := range requests {
		ctx, s := open(notSampled)
		l.InfoContext(ctx, "first") // the request is counted before the race
		var logging sync.WaitGroup
		for g := range loggers {
			logging.Go(func() {
				for j := range records {
					l.InfoContext(context.WithValue(ctx, layerKey(j), g), "r")
				}
			})
		}
		wg.Go(func() {
			if i%2 == 0 {
				logging.Wait()
			}
			s.End()
			logging.Wait()
		})
	}
	wg.Wait()
	if n := cachedContexts(&h.sh.ctxs); n != 0 {
		t.Fatalf("%d contexts of ended scopes are cached", n)
	}
	st := h.Stats()
	if st.RequestsNotSampled.Total() != requests || st.RequestsDropped != requests {
		t.Fatalf("requests: not sampled %d, dropped %d; want %d each",
			st.RequestsNotSampled.Total(), st.RequestsDropped, requests)
	}
	if got := st.RecordsBuffered + st.RecordsDiscarded; got != requests*(loggers*records+1) {
		t.Fatalf("records buffered+discarded %d, want %d", got, requests*(loggers*records+1))
	}
	if st.RecordsBuffered != st.RecordsDropped || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
		t.Fatalf("buffered %d, dropped %d, held %d records, %d bytes", st.RecordsBuffered, st.RecordsDropped, st.BufferedRecords, st.BufferedBytes)
	}
}
