package async

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"

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
