package async

import (
	"context"
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

// reentrantSink is a sink (a slog.Handler and an io.Writer) that, on its
// first call, calls call (Flush or Close on the Handler or Writer it sits
// under) with context.Background() and keeps the error.
type reentrantSink struct {
	buf  logtest.Buffer
	call func() error
	once sync.Once
	err  chan error
}

func (s *reentrantSink) reenter() {
	s.once.Do(func() { s.err <- s.call() })
}

func (s *reentrantSink) Write(p []byte) (int, error) {
	s.reenter()
	return s.buf.Write(p)
}

func (s *reentrantSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *reentrantSink) Handle(ctx context.Context, r slog.Record) error {
	s.reenter()
	return slog.NewJSONHandler(&s.buf, nil).Handle(ctx, r)
}
func (s *reentrantSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *reentrantSink) WithGroup(string) slog.Handler      { return s }

// TestFlushAndCloseFromTheSink: Flush or Close called by the sink, on the
// drain goroutine, with a context that never ends, returns an error at
// once instead of waiting for itself; the drain goes on (the record in
// hand and those after it are written asynchronously, Close from outside
// the sink then works), and Close from the sink closed nothing.
func TestFlushAndCloseFromTheSink(t *testing.T) {
	const (
		flushErr = "async: Flush called from the sink, on the goroutine that writes the queue: it cannot wait for itself"
		closeErr = "async: Close called from the sink, on the goroutine that writes the queue: it cannot wait for itself; nothing was closed"
	)
	subjects := []struct {
		name string
		make func(s *reentrantSink) (flusher, *slog.Logger)
	}{
		{"Handler", func(s *reentrantSink) (flusher, *slog.Logger) {
			h := NewHandler(s, DefaultOptions())
			return h, slog.New(h)
		}},
		{"Writer", func(s *reentrantSink) (flusher, *slog.Logger) {
			x := NewWriter(s, DefaultOptions())
			return x, slog.New(slog.NewJSONHandler(x, nil))
		}},
	}
	calls := []struct {
		name string
		call func(f flusher) error
		want string
	}{
		{"Flush", func(f flusher) error { return f.Flush(context.Background()) }, flushErr},
		{"Close", func(f flusher) error { return f.Close(context.Background()) }, closeErr},
	}
	for _, sub := range subjects {
		for _, c := range calls {
			t.Run(sub.name+"/"+c.name, func(t *testing.T) {
				leakcheck.Check(t)
				synctest.Test(t, func(t *testing.T) {
					sink := &reentrantSink{err: make(chan error, 1)}
					f, logger := sub.make(sink)
					sink.call = func() error { return c.call(f) }
					logger.Info("first")
					synctest.Wait() // a call that waited for itself would block here
					var err error
					select {
					case err = <-sink.err:
					default:
						t.Fatalf("%s from the sink is still waiting", c.name)
					}
					if err == nil || err.Error() != c.want {
						t.Fatalf("%s from the sink = %v, want %q", c.name, err, c.want)
					}
					logger.Info("second")
					if err := f.Flush(context.Background()); err != nil {
						t.Fatalf("Flush from outside the sink: %v", err)
					}
					var got []string
					for _, l := range sink.buf.Lines(t) {
						got = append(got, l["msg"].(string))
					}
					if diff := cmp.Diff([]string{"first", "second"}, got); diff != "" {
						t.Fatalf("written (-want +got):\n%s", diff)
					}
					if err := f.Close(context.Background()); err != nil {
						t.Fatalf("Close from outside the sink: %v", err)
					}
					want := sinkCounts{Accepted: 2, Written: 2}
					if diff := cmp.Diff(want, countsOf(f.Stats())); diff != "" {
						t.Fatalf("Stats (-want +got):\n%s", diff)
					}
				})
			})
		}
	}
}

// echoingSink is a sink (an io.Writer and a slog.Handler writing JSON
// lines) whose write of the record "first" waits for gate, then calls
// echo, if set, and sends its error on err.
type echoingSink struct {
	buf  logtest.Buffer
	gate chan struct{}
	echo func() error
	err  chan error
}

func (s *echoingSink) Write(p []byte) (int, error) {
	if strings.Contains(string(p), `"msg":"first"`) {
		<-s.gate
		if s.echo != nil {
			s.err <- s.echo()
		}
	}
	return s.buf.Write(p)
}

func (s *echoingSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *echoingSink) Handle(ctx context.Context, r slog.Record) error {
	return slog.NewJSONHandler(s, nil).Handle(ctx, r)
}
func (s *echoingSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *echoingSink) WithGroup(string) slog.Handler      { return s }

// echoingHandler is a report handler that calls echo and sends its error
// on err before it encodes the report.
type echoingHandler struct {
	slog.Handler
	echo func() error
	err  chan error
}

func (h echoingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.err <- h.echo()
	return h.Handler.Handle(ctx, r)
}

// TestLogFromTheSinkWhileCloseDrains: a record logged into the Handler or
// Writer by its own sink, or by a Writer's ReportHandler, on the drain
// goroutine while Close drains, is dropped at once (counted in
// DroppedAfterClose, with an error saying why) instead of waiting for
// the sink that its own goroutine holds; Close returns without waiting.
func TestLogFromTheSinkWhileCloseDrains(t *testing.T) {
	const wantErr = "async: record logged by the sink after Close dropped: the goroutine that writes to the sink cannot wait for itself"
	echoRecord := slog.NewRecord(time.Time{}, slog.LevelInfo, "echo", 0)
	tests := []struct {
		name string
		// make returns the subject and a logger on it; the record
		// "first" goes to sink and, when it is let go, echo is called.
		make func(sink *echoingSink, echo func(func() error)) (flusher, *slog.Logger)
		// dropped logs records that are dropped before Close.
		dropped func(*slog.Logger)
		want    sinkCounts
	}{
		{"Handler sink", func(sink *echoingSink, echo func(func() error)) (flusher, *slog.Logger) {
			h := NewHandler(sink, DefaultOptions())
			echo(func() error { return h.Handle(context.Background(), echoRecord) })
			return h, slog.New(h)
		}, func(*slog.Logger) {}, sinkCounts{Accepted: 1, Written: 1}},
		{"Writer sink", func(sink *echoingSink, echo func(func() error)) (flusher, *slog.Logger) {
			x := NewWriter(sink, DefaultOptions())
			echo(func() error { _, err := x.Write([]byte("echo\n")); return err })
			return x, slog.New(slog.NewJSONHandler(x, nil))
		}, func(*slog.Logger) {}, sinkCounts{Accepted: 1, Written: 1}},
		{"Writer ReportHandler", func(sink *echoingSink, echo func(func() error)) (flusher, *slog.Logger) {
			var x *Writer
			opts := DefaultOptions()
			opts.MaxBytes = 1 << 9
			opts.ReportHandler = func(w io.Writer) slog.Handler {
				return echoingHandler{slog.NewJSONHandler(w, nil), func() error { _, err := x.Write([]byte("echo\n")); return err }, sink.err}
			}
			x = NewWriter(sink, opts)
			echo(nil)
			return x, slog.New(slog.NewJSONHandler(x, nil))
		}, func(l *slog.Logger) { l.Info("large", "v", strings.Repeat("x", 1<<10)) },
			sinkCounts{Accepted: 2, Written: 1, Dropped: 1, Reported: 1, Reports: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &echoingSink{gate: make(chan struct{}), err: make(chan error, 1)}
				f, logger := tt.make(sink, func(echo func() error) { sink.echo = echo })
				logger.Info("first")
				synctest.Wait() // the drain waits in the sink
				tt.dropped(logger)
				closed := make(chan error, 1)
				go func() { closed <- f.Close(context.Background()) }()
				synctest.Wait() // Close drains
				start := time.Now()
				close(sink.gate)
				if err := <-closed; err != nil {
					t.Fatalf("Close: %v", err)
				}
				if waited := time.Since(start); waited != 0 {
					t.Errorf("Close waited %v for the record the sink logged", waited)
				}
				if err := <-sink.err; err == nil || err.Error() != wantErr {
					t.Errorf("logging from the sink = %v, want %q", err, wantErr)
				}
				st := f.Stats()
				if st.DroppedAfterClose != 1 || st.Synchronous != 0 {
					t.Errorf("Stats: DroppedAfterClose %d, Synchronous %d, want 1, 0", st.DroppedAfterClose, st.Synchronous)
				}
				if diff := cmp.Diff(tt.want, countsOf(st)); diff != "" {
					t.Errorf("Stats (-want +got):\n%s", diff)
				}
				if strings.Contains(sink.buf.String(), "echo") {
					t.Errorf("the record logged by the sink was written:\n%s", sink.buf.String())
				}
			})
		})
	}
}
