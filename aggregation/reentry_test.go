package aggregation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// reentrantSink calls back into the handler it is the next handler of
// (through a handler derived from it with WithGroup, which shares its
// state) while it writes the first summary: it first logs a new group of
// records into the handler, then calls Flush or Close, and keeps the
// error. It records the size attribute of every summary, in order.
type reentrantSink struct {
	h    atomic.Pointer[Handler]
	call func(h *Handler) error
	once atomic.Bool

	mu      sync.Mutex
	inner   error
	called  bool
	sizes   []int64
	records int
}

func (s *reentrantSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *reentrantSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *reentrantSink) WithGroup(string) slog.Handler            { return s }
func (s *reentrantSink) Handle(_ context.Context, r slog.Record) error {
	summary, size := false, int64(-1)
	r.Attrs(func(a slog.Attr) bool {
		summary = summary || a.Key == keyCount
		if a.Key == "size" {
			size = a.Value.Int64()
		}
		return true
	})
	s.mu.Lock()
	if summary {
		s.sizes = append(s.sizes, size)
	} else {
		s.records++
	}
	s.mu.Unlock()
	if !summary || !s.once.CompareAndSwap(false, true) {
		return nil
	}
	h := s.h.Load()
	log := slog.New(h)
	for range defaultBurst + 3 {
		log.Debug(poolMsg, "size", 2)
	}
	err := s.call(h.WithGroup("derived").(*Handler))
	s.mu.Lock()
	s.inner, s.called = err, true
	s.mu.Unlock()
	return nil
}

// TestFlushOrCloseFromNextHandler checks that Flush and Close, called by
// the next handler while it writes a summary (on the goroutine writing
// it: a Flush's, the flusher's or Close's), return at once an error
// saying it cannot wait for itself instead of waiting for their own
// goroutine, closing nothing and leaving the open summaries in the cache:
// the outer writer goes on in order, a Close with a deadline made
// elsewhere then writes everything, no goroutine is left and every
// folded record is in exactly one written summary.
func TestFlushOrCloseFromNextHandler(t *testing.T) {
	flush := func(h *Handler) error { return h.Flush(context.Background()) }
	closeH := func(h *Handler) error { return h.Close(context.Background()) }
	const (
		flushErr = "aggregation: Flush called from the next handler while it writes summaries: it cannot wait for itself"
		closeErr = "aggregation: Close called from the next handler while it writes summaries: it cannot wait for itself; nothing was closed"
	)
	writers := []struct {
		name string
		// write makes the handler write groups 0 and 1 on some
		// goroutine, waiting until it has.
		write func(t *testing.T, h *Handler)
		// the summaries' sizes in order, and the stats after the final Close
		sizes []int64
		stats Stats
	}{
		{
			name: "Flush writer",
			write: func(t *testing.T, h *Handler) {
				done := make(chan error, 1)
				go func() { done <- h.Flush(context.Background()) }()
				synctest.Wait()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("outer Flush = %v", err)
					}
				default:
					t.Fatal("outer Flush hangs: it waits for the batch its own goroutine writes")
				}
			},
			sizes: []int64{0, 1, 2},
			stats: Stats{
				Seen: 3 * (defaultBurst + 3), PassedMatched: 3 * defaultBurst,
				Folded: 9, FoldedWritten: 9, Summaries: SummaryCounts{Flush: 3},
			},
		},
		{
			name: "Flush writer with a deadline",
			write: func(t *testing.T, h *Handler) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := h.Flush(ctx); err != nil {
					t.Errorf("outer Flush = %v", err)
				}
			},
			sizes: []int64{0, 1, 2},
			stats: Stats{
				Seen: 3 * (defaultBurst + 3), PassedMatched: 3 * defaultBurst,
				Folded: 9, FoldedWritten: 9, Summaries: SummaryCounts{Flush: 3},
			},
		},
		{
			name: "flusher tick",
			write: func(t *testing.T, h *Handler) {
				time.Sleep(time.Hour)
				synctest.Wait()
			},
			sizes: []int64{0, 1, 2},
			stats: Stats{
				Seen: 3 * (defaultBurst + 3), PassedMatched: 3 * defaultBurst,
				Folded: 9, FoldedWritten: 9, Summaries: SummaryCounts{Window: 3}, GroupsExpired: 3,
			},
		},
	}
	calls := []struct {
		name    string
		call    func(h *Handler) error
		wantErr string
	}{
		{name: "Flush", call: flush, wantErr: flushErr},
		{name: "Close", call: closeH, wantErr: closeErr},
	}
	for _, w := range writers {
		for _, c := range calls {
			t.Run(c.name+" from the sink during "+w.name, func(t *testing.T) {
				leakcheck.Check(t)
				synctest.Test(t, func(t *testing.T) {
					sink := &reentrantSink{call: c.call}
					h := NewHandler(sink, DefaultOptions())
					sink.h.Store(h)
					log := slog.New(h)
					for g := range 2 {
						for range defaultBurst + 3 {
							log.Debug(poolMsg, "size", g)
						}
					}
					w.write(t, h)
					sink.mu.Lock()
					called, inner := sink.called, sink.inner
					sink.mu.Unlock()
					if !called {
						t.Fatal("the sink never called back")
					}
					if errString(inner) != c.wantErr {
						t.Errorf("%s from the sink = %v, want %q", c.name, inner, c.wantErr)
					}
					if n, records := h.sh.countOpen(); w.name != "flusher tick" && (n != 1 || records != 3) {
						t.Errorf("open after the inner %s: %d summaries of %d records, want 1 of 3 (group 2 left in the cache)", c.name, n, records)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					if err := h.Close(ctx); err != nil {
						t.Fatalf("Close after the sink's %s = %v, want nil", c.name, err)
					}
					sink.mu.Lock()
					sizes, records := sink.sizes, sink.records
					sink.mu.Unlock()
					if diff := cmp.Diff(w.sizes, sizes); diff != "" {
						t.Errorf("summaries given to the sink, by size (-want +got):\n%s", diff)
					}
					if records != 3*defaultBurst {
						t.Errorf("sink got %d individual records, want %d", records, 3*defaultBurst)
					}
					if diff := cmp.Diff(w.stats, h.Stats()); diff != "" {
						t.Errorf("stats (-want +got):\n%s", diff)
					}
				})
			})
		}
	}
}

// TestCloseFromNextHandlerDuringClose checks that a Flush or Close the
// next handler makes while the first Close writes returns at once with
// the error saying it cannot wait for itself, and the first Close then
// returns nil, every summary written.
func TestCloseFromNextHandlerDuringClose(t *testing.T) {
	tests := []struct {
		name    string
		call    func(h *Handler) error
		wantErr string
	}{
		{
			name:    "Flush",
			call:    func(h *Handler) error { return h.Flush(context.Background()) },
			wantErr: "aggregation: Flush called from the next handler while it writes summaries: it cannot wait for itself",
		},
		{
			name:    "Close",
			call:    func(h *Handler) error { return h.Close(context.Background()) },
			wantErr: "aggregation: Close called from the next handler while it writes summaries: it cannot wait for itself; nothing was closed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &reentrantSink{call: tt.call}
				h := NewHandler(sink, DefaultOptions())
				sink.h.Store(h)
				log := slog.New(h)
				for g := range 2 {
					for range defaultBurst + 3 {
						log.Debug(poolMsg, "size", g)
					}
				}
				done := make(chan error, 1)
				go func() { done <- h.Close(context.Background()) }()
				synctest.Wait()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("Close = %v, want nil", err)
					}
				default:
					t.Fatal("Close hangs: it waits for the batch its own goroutine writes")
				}
				if errString(sink.inner) != tt.wantErr {
					t.Errorf("%s from the sink = %v, want %q", tt.name, sink.inner, tt.wantErr)
				}
				if diff := cmp.Diff([]int64{0, 1}, sink.sizes); diff != "" {
					t.Errorf("summaries given to the sink, by size (-want +got):\n%s", diff)
				}
				// The sink's group 2, logged after Close began, passes on individually.
				want := Stats{
					Seen: 3 * (defaultBurst + 3), PassedMatched: 2*defaultBurst + defaultBurst + 3,
					Folded: 6, FoldedWritten: 6, Summaries: SummaryCounts{Flush: 2},
				}
				if diff := cmp.Diff(want, h.Stats()); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}
