package aggregation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// heldSink passes individual records at once and holds every summary until
// release is closed, counting the summaries' records it has finished.
type heldSink struct {
	release    chan struct{}
	records    atomic.Int64
	summaries  atomic.Int64
	folded     atomic.Int64
	startedSum atomic.Int64

	mu    sync.Mutex
	sizes []int64 // the "size" of each summary, in the order given
}

// started returns the "size" of each summary given to the sink, in order.
func (s *heldSink) started() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sizes)
}

func (s *heldSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *heldSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *heldSink) WithGroup(string) slog.Handler            { return s }
func (s *heldSink) Handle(_ context.Context, r slog.Record) error {
	n, size := int64(-1), int64(-1)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case keyCount:
			n = a.Value.Int64()
		case "size":
			size = a.Value.Int64()
		}
		return true
	})
	if n < 0 {
		s.records.Add(1)
		return nil
	}
	s.startedSum.Add(1)
	s.mu.Lock()
	s.sizes = append(s.sizes, size)
	s.mu.Unlock()
	<-s.release
	s.summaries.Add(1)
	s.folded.Add(n)
	return nil
}

// writers counts the goroutines of the package that write summaries or run
// the flusher.
func writers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "aggregation.(*flusher).run") || strings.Contains(g, "aggregation.closeWork.run") ||
			strings.Contains(g, "aggregation.(*shared).write") {
			n++
		}
	}
	return n
}

// TestLifecycleDeadline checks Close and Flush against a sink that holds
// every summary until released: they return exactly at their context's
// deadline with an error that wraps it and says how many summaries and
// folded records were not written (Close: dropped and counted) or are
// still to be written (Flush: left to its writer, never dropped) and how
// many were still in the next handler; a later Close returns the first
// outcome; after Close records pass individually; and once the sink is
// released every goroutine of the handler exits, Close's having written
// only the summary it was writing, Flush's every summary.
func TestLifecycleDeadline(t *testing.T) {
	const timeout = time.Second
	tests := []struct {
		name string
		// stallFlusher lets the flusher take group 0's summary first.
		stallFlusher bool
		flush        bool // Flush(ctx) instead of Close(ctx)
		wantErr      string
		// wanted after release: summaries and folded records written.
		wantSummaries, wantFolded int64
		wantDropped               uint64
	}{
		{
			name:          "Close stalled on its first summary",
			wantErr:       "aggregation: Close: context deadline exceeded: 2 summaries of 6 records not written; 1 summary of 3 records still being written by the next handler",
			wantSummaries: 1, wantFolded: 3, wantDropped: 6,
		},
		{
			name:          "Close waiting for a stalled flusher",
			stallFlusher:  true,
			wantErr:       "aggregation: Close: context deadline exceeded: 2 summaries of 6 records not written; 1 summary of 3 records still being written by the next handler",
			wantSummaries: 1, wantFolded: 3, wantDropped: 6,
		},
		{
			name:          "Flush stalled on its first summary",
			flush:         true,
			wantErr:       "aggregation: Flush: context deadline exceeded: 3 summaries of 9 records still to be written, in the background (1 summary of 3 records in the next handler now)",
			wantSummaries: 3, wantFolded: 9, wantDropped: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &heldSink{release: make(chan struct{})}
				h := NewHandler(sink, DefaultOptions())
				log := slog.New(h)
				for g := range 3 {
					for range defaultBurst + 3 {
						log.Debug(poolMsg, "size", g)
					}
					if g == 0 && tt.stallFlusher {
						// Group 0's window ends; the flusher stalls
						// writing its summary.
						time.Sleep(defaultWindow)
						synctest.Wait()
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				start := time.Now()
				var err error
				if tt.flush {
					err = h.Flush(ctx)
				} else {
					err = h.Close(ctx)
				}
				if elapsed := time.Since(start); elapsed != timeout {
					t.Errorf("returned after %v, want at the deadline, %v", elapsed, timeout)
				}
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want %q wrapping context.DeadlineExceeded", err, tt.wantErr)
				}
				if !tt.flush {
					if again := h.Close(context.Background()); again == nil || again.Error() != err.Error() {
						t.Errorf("second Close = %v, want the first outcome", again)
					}
					// After Close, records pass individually at once.
					log.Debug(poolMsg, "size", 9)
					if got := sink.records.Load(); got != 3*defaultBurst+1 {
						t.Errorf("sink got %d individual records, want %d", got, 3*defaultBurst+1)
					}
				}
				st := h.Stats()
				if st.SummariesDropped != uint64(tt.wantDropped/3) || st.FoldedDropped != tt.wantDropped {
					t.Errorf("dropped = %d summaries, %d records, want %d, %d", st.SummariesDropped, st.FoldedDropped, tt.wantDropped/3, tt.wantDropped)
				}

				close(sink.release)
				synctest.Wait()
				if tt.flush {
					// The handler is still open: its flusher runs on.
					if err := h.Close(context.Background()); err != nil {
						t.Errorf("Close after the Flush: %v", err)
					}
				}
				if n := writers(); n != 0 {
					t.Errorf("%d goroutines of the handler left after the sink returned", n)
				}
				if got := [2]int64{sink.summaries.Load(), sink.folded.Load()}; got != [2]int64{tt.wantSummaries, tt.wantFolded} {
					t.Errorf("sink wrote %d summaries of %d records, want %d of %d", got[0], got[1], tt.wantSummaries, tt.wantFolded)
				}
				st = h.Stats()
				if st.Folded != st.FoldedWritten+st.FoldedFailed+st.FoldedDisabled+st.FoldedDropped {
					t.Errorf("folded records not accounted for: %+v", st)
				}
			})
		})
	}
}

// TestCloseWritesEverything checks that Close with a live context writes
// every open summary, the one the flusher is writing included, and returns
// nil only once no goroutine of the handler is left; later calls return
// nil too.
func TestCloseWritesEverything(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		sink := &heldSink{release: make(chan struct{})}
		h := NewHandler(sink, DefaultOptions())
		log := slog.New(h)
		for g := range 3 {
			for range defaultBurst + 3 {
				log.Debug(poolMsg, "size", g)
			}
			if g == 0 {
				time.Sleep(defaultWindow)
				synctest.Wait()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		closed := make(chan error, 1)
		go func() { closed <- h.Close(ctx) }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v while the sink held a summary", err)
		default:
		}
		close(sink.release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if n := writers(); n != 0 {
			t.Errorf("%d goroutines of the handler left after Close returned nil", n)
		}
		if err := h.Close(ctx); err != nil {
			t.Errorf("second Close: %v", err)
		}
		want := Stats{Seen: 24, PassedMatched: 15, Folded: 9, FoldedWritten: 9, Summaries: SummaryCounts{Window: 1, Flush: 2}}
		if diff := cmp.Diff(want, h.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if got := sink.folded.Load(); got != 9 {
			t.Errorf("sink got %d folded records, want 9", got)
		}
	})
}

// laterCloseErr is the error of a Close whose context ends while an
// earlier Close is still writing.
const laterCloseErr = "aggregation: Close: context deadline exceeded while an earlier Close was still writing"

// TestConcurrentCloseNamesEveryLoss checks Close calls made while the
// first still writes, with a Flush beside them: only the first Close's
// context can end the writing, and its error names every summary it
// abandoned; a later call whose context ends first says it gave up
// waiting and abandons nothing, and one whose context ends later returns
// the first outcome; the first Close's error accounts for exactly what
// Stats counts as dropped, what a Flush left to its writer included.
func TestConcurrentCloseNamesEveryLoss(t *testing.T) {
	tests := []struct {
		name          string
		closers       int           // later Close calls
		laterTimeout  time.Duration // the first Close's is a second
		withFlush     bool
		wantLaterGave bool // later calls give up waiting
	}{
		{name: "later calls give up first", closers: 2, laterTimeout: time.Second / 2, wantLaterGave: true},
		{name: "later calls give up first, with Flush", closers: 2, laterTimeout: time.Second / 2, withFlush: true, wantLaterGave: true},
		{name: "later calls outwait the first", closers: 2, laterTimeout: 2 * time.Second},
		{name: "later calls outwait the first, with Flush", closers: 2, laterTimeout: 2 * time.Second, withFlush: true},
		{name: "later calls at the same deadline, with Flush", closers: 2, laterTimeout: time.Second, withFlush: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for round := range 20 {
				synctest.Test(t, func(t *testing.T) {
					sink := &heldSink{release: make(chan struct{})}
					h := NewHandler(sink, defaultsWith(func(o *Options) { o.Burst = 0 }))
					for i := range 20 {
						r := slog.NewRecord(time.Now(), slog.LevelInfo, poolMsg, 0)
						r.AddAttrs(slog.Int("size", i%3))
						h.Handle(context.Background(), r)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					laterCtx, cancelLater := context.WithTimeout(context.Background(), tt.laterTimeout)
					defer cancelLater()
					var flushErr error
					flushed := make(chan struct{})
					if tt.withFlush {
						go func() { flushErr = h.Flush(ctx); close(flushed) }()
					} else {
						close(flushed)
					}
					first := make(chan error, 1)
					go func() { first <- h.Close(ctx) }()
					synctest.Wait() // the first Close owns the writing
					later := make(chan error, tt.closers)
					for range tt.closers {
						go func() { later <- h.Close(laterCtx) }()
					}
					firstErr := <-first
					var laterErrs []string
					for range tt.closers {
						laterErrs = append(laterErrs, errString(<-later))
					}
					<-flushed
					close(sink.release)
					synctest.Wait()
					if firstErr == nil || !errors.Is(firstErr, context.DeadlineExceeded) {
						t.Fatalf("round %d: first Close = %v, want its deadline", round, firstErr)
					}
					for _, got := range laterErrs {
						switch {
						case got == firstErr.Error():
							if tt.wantLaterGave {
								t.Errorf("round %d: later Close = %q, want %q", round, got, laterCloseErr)
							}
						case got == laterCloseErr:
							if !tt.wantLaterGave && tt.laterTimeout != time.Second {
								t.Errorf("round %d: later Close gave up after the first had finished", round)
							}
						default:
							t.Errorf("round %d: later Close = %q, want the first outcome or %q", round, got, laterCloseErr)
						}
					}
					st := h.Stats()
					// A Flush drops nothing: what it left to its writer
					// is dropped and named by the first Close.
					dropped := notWritten(t, firstErr.Error())
					if flushErr != nil && (!errors.Is(flushErr, context.DeadlineExceeded) || !strings.Contains(flushErr.Error(), "still to be written, in the background")) {
						t.Errorf("round %d: Flush = %v, want what it left to its writer, wrapping context.DeadlineExceeded", round, flushErr)
					}
					if uint64(dropped) != st.SummariesDropped {
						t.Fatalf("round %d: errors name %d summaries not written, Stats.SummariesDropped = %d\nClose: %v\nFlush: %v",
							round, dropped, st.SummariesDropped, firstErr, flushErr)
					}
					if !conserved(st) {
						t.Errorf("round %d: folded records not accounted for: %+v", round, st)
					}
				})
			}
		})
	}
}

// TestLaterCloseNeverAbandonsFirst checks that a Close with a context
// that cannot end writes every summary even when a later Close with a
// short deadline gives up waiting: the later one says so and abandons
// nothing, the first returns nil, nothing is dropped, and calls made after
// the first finished return its outcome, even with an ended context.
func TestLaterCloseNeverAbandonsFirst(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		sink := &heldSink{release: make(chan struct{})}
		h := NewHandler(sink, defaultsWith(func(o *Options) { o.Burst = 0 }))
		for i := range 10 {
			r := slog.NewRecord(time.Now(), slog.LevelInfo, poolMsg, 0)
			r.AddAttrs(slog.Int("size", i%5))
			h.Handle(context.Background(), r)
		}
		first := make(chan error, 1)
		go func() { first <- h.Close(context.Background()) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		start := time.Now()
		err := h.Close(ctx)
		cancel()
		if elapsed := time.Since(start); elapsed != time.Millisecond {
			t.Errorf("later Close returned after %v, want at its deadline", elapsed)
		}
		if errString(err) != laterCloseErr || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("later Close = %v, want %q wrapping context.DeadlineExceeded", err, laterCloseErr)
		}
		close(sink.release)
		if err := <-first; err != nil {
			t.Errorf("first Close = %v, want nil", err)
		}
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h.Close(ended); err != nil {
			t.Errorf("Close after the first finished, with an ended context = %v, want nil", err)
		}
		want := Stats{Seen: 10, Folded: 10, FoldedWritten: 10, Summaries: SummaryCounts{Flush: 5}}
		if diff := cmp.Diff(want, h.Stats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		if got := sink.folded.Load(); got != 10 {
			t.Errorf("sink got %d folded records, want 10", got)
		}
	})
}

// notWritten reads n from a lifecycle error's "n summaries of m records
// not written".
func notWritten(t *testing.T, msg string) int {
	t.Helper()
	i := strings.Index(msg, " not written")
	if i < 0 {
		t.Fatalf("error %q names nothing not written", msg)
	}
	head := strings.Fields(msg[:i])
	var n int
	if len(head) < 5 {
		t.Fatalf("error %q: cannot read the count", msg)
	}
	if _, err := fmt.Sscan(head[len(head)-5], &n); err != nil {
		t.Fatalf("error %q: %v", msg, err)
	}
	return n
}
