package async

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// flusher is what Handler and Writer have in common for these tests.
type flusher interface {
	Flush(context.Context) error
	Close(context.Context) error
	Stats() Stats
}

// gatedLines is an io.Writer whose Writes wait for gate (when not nil)
// and then keep the bytes.
type gatedLines struct {
	gate chan struct{}
	buf  logtest.Buffer
}

func (w *gatedLines) Write(p []byte) (int, error) {
	if w.gate != nil {
		<-w.gate
	}
	return w.buf.Write(p)
}

// messages returns the "msg" of every JSON line written so far.
func (w *gatedLines) messages(t *testing.T) []string {
	t.Helper()
	var msgs []string
	for _, l := range w.buf.Lines(t) {
		msgs = append(msgs, fmt.Sprint(l["msg"]))
	}
	return msgs
}

// flushSubject builds a Handler or a Writer over a sink that waits for
// gate before it writes anything, and returns the logger over it and a
// function returning the messages the sink wrote.
type flushSubject struct {
	name string
	make func(gate chan struct{}, opts Options) (flusher, *slog.Logger, func(*testing.T) []string)
}

var flushSubjects = []flushSubject{
	{"Handler", func(gate chan struct{}, opts Options) (flusher, *slog.Logger, func(*testing.T) []string) {
		sink := &gatedLines{gate: gate}
		h := NewHandler(slog.NewJSONHandler(sink, nil), opts)
		return h, slog.New(h), sink.messages
	}},
	{"Writer", func(gate chan struct{}, opts Options) (flusher, *slog.Logger, func(*testing.T) []string) {
		sink := &gatedLines{gate: gate}
		w := NewWriter(sink, opts)
		return w, slog.New(slog.NewJSONHandler(w, nil)), sink.messages
	}},
}

// TestFlushWaitsForEveryQueuedRecord: Flush returns only once every record
// logged before it is in the sink, and leaves the Handler or Writer open
// (a record logged after it is queued and flushed again); the counters
// show every record written and nothing else.
func TestFlushWaitsForEveryQueuedRecord(t *testing.T) {
	for _, tt := range flushSubjects {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				gate := make(chan struct{})
				f, logger, written := tt.make(gate, DefaultOptions())
				for _, msg := range []string{"a", "b", "c"} {
					logger.Info(msg)
				}
				done := make(chan error, 1)
				go func() { done <- f.Flush(context.Background()) }()
				synctest.Wait()
				select {
				case err := <-done:
					t.Fatalf("Flush returned %v while the sink was still blocked", err)
				default:
				}
				close(gate)
				if err := <-done; err != nil {
					t.Fatalf("Flush: %v", err)
				}
				if diff := cmp.Diff([]string{"a", "b", "c"}, written(t)); diff != "" {
					t.Fatalf("written when Flush returned (-want +got):\n%s", diff)
				}
				logger.Info("d")
				if err := f.Flush(context.Background()); err != nil {
					t.Fatalf("second Flush: %v", err)
				}
				if diff := cmp.Diff([]string{"a", "b", "c", "d"}, written(t)); diff != "" {
					t.Fatalf("written after the second Flush (-want +got):\n%s", diff)
				}
				st := f.Stats()
				if st.Accepted != 4 || st.Written != 4 || st.QueueDepth != 0 || st.Failed+st.Dropped+st.Lost+st.Synchronous != 0 {
					t.Fatalf("Stats after Flush = %+v, want 4 accepted and written, nothing else", st)
				}
				if err := f.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		})
	}
}

// TestFlushStalledSinkReturnsAtDeadline: with the sink stuck, Flush returns
// exactly at its context's deadline with an error counting the records
// still queued or being written, abandons none of them (they are written
// once the sink resumes) and changes no counter.
func TestFlushStalledSinkReturnsAtDeadline(t *testing.T) {
	for _, tt := range flushSubjects {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				gate := make(chan struct{})
				f, logger, written := tt.make(gate, DefaultOptions())
				for i := range 3 {
					logger.Info(fmt.Sprint(i))
				}
				synctest.Wait() // the drain is stuck in the sink
				before := f.Stats()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				start := time.Now()
				err := f.Flush(ctx)
				if got := time.Since(start); got != 2*time.Second {
					t.Errorf("Flush returned after %v, want exactly 2s", got)
				}
				want := "async: Flush: 3 records still queued or being written: context deadline exceeded"
				if err == nil || err.Error() != want || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Flush = %v, want %q wrapping context.DeadlineExceeded", err, want)
				}
				if diff := cmp.Diff(before, f.Stats()); diff != "" {
					t.Fatalf("Flush changed the counters (-before +after):\n%s", diff)
				}
				close(gate)
				if err := f.Flush(context.Background()); err != nil {
					t.Fatalf("Flush after the sink resumed: %v", err)
				}
				if diff := cmp.Diff([]string{"0", "1", "2"}, written(t)); diff != "" {
					t.Fatalf("written (-want +got):\n%s", diff)
				}
				if err := f.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		})
	}
}

// TestFlushAfterCloseReturnsAtOnce: after Close, and after a Close that
// gave up on a stuck sink, Flush returns nil at once, even with a context
// already cancelled.
func TestFlushAfterCloseReturnsAtOnce(t *testing.T) {
	for _, tt := range flushSubjects {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				gate := make(chan struct{})
				f, logger, _ := tt.make(gate, DefaultOptions())
				logger.Info("stuck")
				logger.Info("lost")
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := f.Close(ctx); err == nil {
					t.Fatal("Close with a stuck sink returned nil")
				}
				ended, cancelEnded := context.WithCancel(context.Background())
				cancelEnded()
				start := time.Now()
				if err := f.Flush(ended); err != nil {
					t.Fatalf("Flush after Close = %v, want nil", err)
				}
				if got := time.Since(start); got != 0 {
					t.Fatalf("Flush after Close took %v", got)
				}
				close(gate)
				synctest.Wait()
			})
		})
	}
}

// TestFlushSurvivesSinkPanicAndGoexit: a sink that panics or ends the drain
// goroutine (runtime.Goexit) does not make Flush hang: it returns nil once
// the records are settled, counted as failed.
func TestFlushSurvivesSinkPanicAndGoexit(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var buf logtest.Buffer
		h := NewHandler(&exitingSink{next: buf.JSONHandler(nil)}, DefaultOptions())
		logger := slog.New(h)
		for _, msg := range []string{"panic", "exit", "ok"} {
			logger.Info(msg)
		}
		if err := h.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		want := sinkCounts{Accepted: 3, Written: 1, Failed: 2, SinkPanics: 2}
		if diff := cmp.Diff(want, countsOf(h.Stats())); diff != "" {
			t.Fatalf("Stats when Flush returned (-want +got):\n%s", diff)
		}
		if got := strings.Count(buf.String(), `"msg":"ok"`); got != 1 {
			t.Fatalf("ok written %d times, want 1:\n%s", got, buf.String())
		}
		if err := h.Close(context.Background()); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// TestFlushCountsDroppedRecordsAsSettled: records dropped to make room are
// settled for Flush (counted, never waited for).
func TestFlushCountsDroppedRecordsAsSettled(t *testing.T) {
	for _, tt := range flushSubjects {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				gate := make(chan struct{})
				opts := Options{Capacity: 4, BatchSize: 1}
				f, logger, written := tt.make(gate, opts)
				logger.Info("in the sink")
				synctest.Wait() // the drain holds it, stuck in the sink
				for i := range 10 {
					logger.Info(fmt.Sprint(i))
				}
				close(gate)
				if err := f.Flush(context.Background()); err != nil {
					t.Fatalf("Flush: %v", err)
				}
				if diff := cmp.Diff([]string{"in the sink", "6", "7", "8", "9"}, written(t)); diff != "" {
					t.Fatalf("written (-want +got):\n%s", diff)
				}
				if st := f.Stats(); st.Accepted != 11 || st.Written != 5 || st.Dropped != 6 || st.QueueDepth != 0 {
					t.Fatalf("Stats = %+v, want 11 accepted, 5 written, 6 dropped", st)
				}
				if err := f.Close(context.Background()); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		})
	}
}

// TestFlushConcurrentWithLoggingAndClose: goroutines that log and flush
// while others do the same, and while Close runs, always find their own
// records written when their Flush returns; nothing leaks and the counters
// add up.
func TestFlushConcurrentWithLoggingAndClose(t *testing.T) {
	const producers, records = 4, 300
	for _, tt := range flushSubjects {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			sink := &lockedLines{}
			var f flusher
			var logger *slog.Logger
			if tt.name == "Handler" {
				h := NewHandler(slog.NewJSONHandler(sink, nil), Options{Capacity: 64})
				f, logger = h, slog.New(h)
			} else {
				w := NewWriter(sink, Options{Capacity: 64})
				f, logger = w, slog.New(slog.NewJSONHandler(w, nil))
			}
			var wg sync.WaitGroup
			closeAt := make(chan struct{})
			var closeOnce sync.Once
			for p := range producers {
				wg.Go(func() {
					for n := range records {
						logger.Info("r", "p", p, "n", n)
						if n == records/2 {
							closeOnce.Do(func() { close(closeAt) })
						}
						if n%10 != 0 {
							continue
						}
						if err := f.Flush(context.Background()); err != nil {
							t.Errorf("Flush: %v", err)
							return
						}
						if !sink.has(fmt.Sprintf(`"p":%d,"n":%d}`, p, n)) {
							t.Errorf("record p=%d n=%d not written when Flush returned", p, n)
							return
						}
					}
				})
			}
			<-closeAt
			if err := f.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
			wg.Wait()
			st := f.Stats()
			if st.Accepted != st.Written+st.Failed+st.Skipped+st.Dropped+st.Lost || st.Accepted+st.Synchronous != producers*records {
				t.Fatalf("counts do not add up: %+v", st)
			}
		})
	}
}

// lockedLines keeps what is written and answers whether a string is in it.
type lockedLines struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (w *lockedLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedLines) has(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Contains(w.buf.String(), s)
}

var _ io.Writer = (*lockedLines)(nil)
