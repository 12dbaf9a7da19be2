package slogstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// gatedWriter is an io.Writer whose Writes wait for gate and then keep
// the bytes.
type gatedWriter struct {
	gate chan struct{}
	buf  logtest.Buffer
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.gate
	return w.buf.Write(p)
}

// flushedLine is what TestStackFlushWritesEverythingQueued compares of a
// written line: its message and, for a summary, its count.
type flushedLine struct {
	Msg   string
	Count float64
}

// TestStackFlushWritesEverythingQueued: a record logged before Flush is in
// the sink when Flush returns, with NewStack (DefaultConfig: async.Writer)
// and NewStackWithSink (async.Handler), and so is the open aggregation
// summary; the stack stays open (a record logged after Flush is written by
// the next Flush, and Shutdown still works).
func TestStackFlushWritesEverythingQueued(t *testing.T) {
	tests := []struct {
		name  string
		build func(w *gatedWriter) (*Stack, error)
	}{
		{"NewStack", func(w *gatedWriter) (*Stack, error) {
			return NewStack(w, DefaultConfig())
		}},
		{"NewStackWithSink", func(w *gatedWriter) (*Stack, error) {
			return NewStackWithSink(slog.NewJSONHandler(w, nil), DefaultConfig())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				w := &gatedWriter{gate: make(chan struct{})}
				s, err := tt.build(w)
				if err != nil {
					t.Fatal(err)
				}
				logger := s.Logger()
				logger.Info("first")
				logger.Error("second")
				for range 8 { // the burst of 5 is written, 3 are folded into a summary
					logger.Info("Health check completed")
				}
				done := make(chan error, 1)
				go func() { done <- s.Flush(context.Background()) }()
				synctest.Wait()
				select {
				case err := <-done:
					t.Fatalf("Flush returned %v while the writer was blocked", err)
				default:
				}
				close(w.gate)
				if err := <-done; err != nil {
					t.Fatalf("Flush: %v", err)
				}
				hc := flushedLine{Msg: "Health check completed"}
				want := []flushedLine{{Msg: "first"}, {Msg: "second"}, hc, hc, hc, hc, hc, {Msg: hc.Msg, Count: 3}}
				if diff := cmp.Diff(want, flushedLines(t, &w.buf)); diff != "" {
					t.Fatalf("written when Flush returned (-want +got):\n%s", diff)
				}
				logger.Info("after")
				if err := s.Flush(context.Background()); err != nil {
					t.Fatalf("second Flush: %v", err)
				}
				if got := flushedLines(t, &w.buf); len(got) != len(want)+1 || got[len(want)].Msg != "after" {
					t.Fatalf("after the second Flush: %+v, want the 8 lines and then \"after\"", got)
				}
				if err := s.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			})
		})
	}
}

func flushedLines(t *testing.T, b *logtest.Buffer) []flushedLine {
	t.Helper()
	var got []flushedLine
	for _, l := range b.Lines(t) {
		c, _ := l["_count"].(float64)
		got = append(got, flushedLine{Msg: fmt.Sprint(l["msg"]), Count: c})
	}
	return got
}

// TestStackFlushStalledSinkReturnsAtDeadline: with the sink stuck, Flush
// returns exactly at its context's deadline, says how many records were
// still unwritten, and abandons none: Shutdown writes them once the sink
// resumes.
func TestStackFlushStalledSinkReturnsAtDeadline(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		sink := &stuckSink{release: make(chan struct{}), handled: make(chan struct{}, 16)}
		s, err := NewStackWithSink(sink, Config{Async: true, AsyncOptions: DefaultConfig().AsyncOptions})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			s.Logger().Info("queued", "i", i)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err = s.Flush(ctx)
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Flush returned after %v, want exactly 1s", waited)
		}
		want := "slogstack: async: Flush: 3 records still queued or being written: context deadline exceeded"
		if err == nil || err.Error() != want || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Flush = %v, want %q wrapping context.DeadlineExceeded", err, want)
		}
		close(sink.release)
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if n := len(sink.handled); n != 3 {
			t.Fatalf("sink took %d records, want 3", n)
		}
	})
}

// TestStackFlushConcurrentWithShutdown: Flush and Shutdown made together
// on a stuck sink both return nil once it resumes, every record is
// written once, Flush after Shutdown returns nil at once even with an
// ended context, and no goroutine is left.
func TestStackFlushConcurrentWithShutdown(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		sink := &stuckSink{release: make(chan struct{}), handled: make(chan struct{}, 16)}
		cfg := DefaultConfig()
		cfg.Sampling = false
		s, err := NewStackWithSink(sink, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			s.Logger().Info("queued", "i", i)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				if i%2 == 0 {
					errs[i] = s.Flush(context.Background())
				} else {
					errs[i] = s.Shutdown(context.Background())
				}
			})
		}
		synctest.Wait()
		close(sink.release)
		wg.Wait()
		if diff := cmp.Diff(make([]error, 4), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Fatalf("Flush, Shutdown, Flush, Shutdown results (-want +got):\n%s", diff)
		}
		if n := len(sink.handled); n != 3 {
			t.Fatalf("sink took %d records, want 3", n)
		}
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Flush(ended); err != nil {
			t.Fatalf("Flush after Shutdown = %v, want nil", err)
		}
	})
}

// TestStackFlushWithoutQueuesReturnsAtOnce: a stack with neither
// aggregation nor async holds nothing: Flush returns nil even with an
// ended context.
func TestStackFlushWithoutQueuesReturnsAtOnce(t *testing.T) {
	var buf logtest.Buffer
	s, err := NewStack(&buf, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Logger().Info("written at once")
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Flush(ended); err != nil {
		t.Fatalf("Flush = %v, want nil", err)
	}
	if got := len(buf.Lines(t)); got != 1 {
		t.Fatalf("%d lines, want 1", got)
	}
}

// pausingWriter keeps what is written to it; while paused, its Writes
// wait for resume.
type pausingWriter struct {
	mu   sync.Mutex
	gate chan struct{} // nil when not paused
	buf  logtest.Buffer
}

func (w *pausingWriter) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gate = make(chan struct{})
}

func (w *pausingWriter) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.gate)
	w.gate = nil
}

func (w *pausingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	gate := w.gate
	w.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return w.buf.Write(p)
}

// TestStackFlushReportsDrops: records the async queue dropped before
// Flush (a stalled sink) are reported in the output when Flush returns,
// even within ReportInterval of the previous report: the program may call
// os.Exit next.
func TestStackFlushReportsDrops(t *testing.T) {
	const report = "async: records dropped"
	tests := []struct {
		name  string
		build func(w *pausingWriter, cfg Config) (*Stack, error)
	}{
		{"NewStack", func(w *pausingWriter, cfg Config) (*Stack, error) {
			return NewStack(w, cfg)
		}},
		{"NewStackWithSink", func(w *pausingWriter, cfg Config) (*Stack, error) {
			return NewStackWithSink(slog.NewJSONHandler(w, nil), cfg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.Sampling = false
				cfg.AsyncOptions.Capacity = 4
				cfg.AsyncOptions.Reserved = 0
				cfg.AsyncOptions.StallTimeout = 0
				cfg.AsyncOptions.ReportInterval = time.Hour
				w := &pausingWriter{}
				s, err := tt.build(w, cfg)
				if err != nil {
					t.Fatal(err)
				}
				// Each round: the first record in the paused sink, four
				// queued, three more pushing out the three oldest.
				for _, round := range []string{"a", "b"} {
					w.pause()
					s.Logger().Info(round + "0")
					synctest.Wait()
					for i := 1; i < 8; i++ {
						s.Logger().Info(fmt.Sprint(round, i))
					}
					done := make(chan error, 1)
					go func() { done <- s.Flush(context.Background()) }()
					synctest.Wait()
					w.resume()
					if err := <-done; err != nil {
						t.Fatalf("Flush: %v", err)
					}
				}
				var got []string
				for _, l := range w.buf.Lines(t) {
					line := fmt.Sprint(l["msg"])
					if n, ok := l["dropped"]; ok {
						line += fmt.Sprintf(" %v", n)
					}
					got = append(got, line)
				}
				want := []string{"a0", report + " 3", "a4", "a5", "a6", "a7", "b0", report + " 3", "b4", "b5", "b6", "b7"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("written when the second Flush returned (-want +got):\n%s", diff)
				}
				if err := s.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			})
		})
	}
}

// stackFlushingSink is a sink (an io.Writer, and a slog.Handler over it)
// that calls Flush on its stack, with context.Background(), on its first
// call, and keeps the error.
type stackFlushingSink struct {
	buf   logtest.Buffer
	stack *Stack
	once  sync.Once
	err   chan error
}

func (s *stackFlushingSink) flush() {
	s.once.Do(func() { s.err <- s.stack.Flush(context.Background()) })
}

func (s *stackFlushingSink) Write(p []byte) (int, error) {
	s.flush()
	return s.buf.Write(p)
}

func (s *stackFlushingSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *stackFlushingSink) Handle(ctx context.Context, r slog.Record) error {
	s.flush()
	return slog.NewJSONHandler(&s.buf, nil).Handle(ctx, r)
}
func (s *stackFlushingSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *stackFlushingSink) WithGroup(string) slog.Handler      { return s }

// TestStackFlushFromTheSink: a sink that calls Stack.Flush from inside
// its Write or Handle (on the async queue's goroutine) gets an error at
// once instead of waiting for itself, and the stack goes on writing.
func TestStackFlushFromTheSink(t *testing.T) {
	const want = "slogstack: async: Flush called from the sink, on the goroutine that writes the queue: it cannot wait for itself"
	tests := []struct {
		name  string
		build func(sink *stackFlushingSink) (*Stack, error)
	}{
		{"NewStack", func(sink *stackFlushingSink) (*Stack, error) { return NewStack(sink, DefaultConfig()) }},
		{"NewStackWithSink", func(sink *stackFlushingSink) (*Stack, error) { return NewStackWithSink(sink, DefaultConfig()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &stackFlushingSink{err: make(chan error, 1)}
				s, err := tt.build(sink)
				if err != nil {
					t.Fatal(err)
				}
				sink.stack = s
				s.Logger().Info("first")
				synctest.Wait() // a Flush waiting for itself would block here
				select {
				case err := <-sink.err:
					if err == nil || err.Error() != want {
						t.Fatalf("Flush from the sink = %v, want %q", err, want)
					}
				default:
					t.Fatal("Flush from the sink is still waiting")
				}
				s.Logger().Info("second")
				if err := s.Flush(context.Background()); err != nil {
					t.Fatalf("Flush: %v", err)
				}
				if diff := cmp.Diff([]flushedLine{{Msg: "first"}, {Msg: "second"}}, flushedLines(t, &sink.buf)); diff != "" {
					t.Fatalf("written (-want +got):\n%s", diff)
				}
				if err := s.Shutdown(context.Background()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			})
		})
	}
}

// TestStackTextDropReport: with FormatText, the async queue's drop report
// is a text line like the others (no JSON line in a text stream), with
// its counts, written by the time Flush returns.
func TestStackTextDropReport(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Format = FormatText
		cfg.Sampling = false
		cfg.AsyncOptions.Capacity = 4
		cfg.AsyncOptions.Reserved = 0
		cfg.AsyncOptions.StallTimeout = 0
		w := &pausingWriter{}
		s, err := NewStack(w, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The first record in the paused writer, four queued, three more
		// pushing out the three oldest.
		w.pause()
		s.Logger().Info("a0")
		synctest.Wait()
		for i := 1; i < 8; i++ {
			s.Logger().Info(fmt.Sprint("a", i))
		}
		done := make(chan error, 1)
		go func() { done <- s.Flush(context.Background()) }()
		synctest.Wait()
		w.resume()
		if err := <-done; err != nil {
			t.Fatalf("Flush: %v", err)
		}
		ts := time.Now().Format("2006-01-02T15:04:05.000Z07:00") // as slog.TextHandler writes it
		line := func(msg string) string { return fmt.Sprintf("time=%s level=INFO msg=%s", ts, msg) }
		dropped := 3 * (len(line("a1")) + 1)
		report := fmt.Sprintf(`time=%s level=WARN msg="async: records dropped" dropped=3 dropped_by_level.DEBUG=0 dropped_by_level.INFO=3 dropped_by_level.WARN=0 dropped_by_level.ERROR=0 dropped_bytes=%d first_dropped=%s last_dropped=%s`, ts, dropped, ts, ts)
		want := []string{line("a0"), report, line("a4"), line("a5"), line("a6"), line("a7")}
		got := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("written (-want +got):\n%s", diff)
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

// TestStackFlushWithEndedContextKeepsSummaries: a Flush whose context has
// already ended writes nothing and abandons nothing: the open summary is
// still written by Shutdown, and no counter calls it dropped.
func TestStackFlushWithEndedContextKeepsSummaries(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.ReplaceAttr = logtest.DropTime
	var out logtest.Buffer
	s, err := NewStack(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		s.Logger().Info("Health check completed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with an ended context = %v, want context.Canceled", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []flushedLine
	for _, line := range out.Lines(t) {
		count, _ := line["_count"].(float64)
		got = append(got, flushedLine{Msg: line["msg"].(string), Count: count})
	}
	want := slices.Repeat([]flushedLine{{Msg: "Health check completed"}}, 5)
	want = append(want, flushedLine{Msg: "Health check completed", Count: 3})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	if st := s.Stats().Aggregation; st.SummariesDropped != 0 || st.FoldedDropped != 0 {
		t.Errorf("aggregation dropped %d summaries of %d records, want none", st.SummariesDropped, st.FoldedDropped)
	}
}
