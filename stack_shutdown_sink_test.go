package slogstack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/goid"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// shutdownCaller calls Shutdown on the stack, once, from inside the sink
// (a Handle of the sink, or a Write of the writer), and keeps its error.
type shutdownCaller struct {
	stack atomic.Pointer[Stack]
	once  atomic.Bool
	err   error
}

func (c *shutdownCaller) call() {
	if s := c.stack.Load(); s != nil && c.once.CompareAndSwap(false, true) {
		c.err = s.Shutdown(context.Background())
	}
}

// shutdownSink is a sink whose Handle calls Shutdown on its own stack.
type shutdownSink struct {
	*shutdownCaller
	next slog.Handler
}

func (h shutdownSink) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }
func (h shutdownSink) Handle(ctx context.Context, r slog.Record) error {
	h.call()
	return h.next.Handle(ctx, r)
}
func (h shutdownSink) WithAttrs(as []slog.Attr) slog.Handler {
	return shutdownSink{h.shutdownCaller, h.next.WithAttrs(as)}
}
func (h shutdownSink) WithGroup(n string) slog.Handler {
	return shutdownSink{h.shutdownCaller, h.next.WithGroup(n)}
}

// shutdownWriter is a writer whose Write calls Shutdown on its own stack.
type shutdownWriter struct {
	*shutdownCaller
	w io.Writer
}

func (w shutdownWriter) Write(p []byte) (int, error) {
	w.call()
	return w.w.Write(p)
}

// TestShutdownFromTheSinkLeavesTheStackOpen: a Shutdown called from the
// sink, on the goroutine that drains the queue, cannot wait for itself:
// it returns at once with an error that says so and shuts nothing down,
// and the next Shutdown, from elsewhere, drains everything and returns
// nil, with no goroutine left.
func TestShutdownFromTheSinkLeavesTheStackOpen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*shutdownCaller, *logtest.Buffer) (*Stack, error)
	}{
		{"NewStack", func(c *shutdownCaller, out *logtest.Buffer) (*Stack, error) {
			cfg := DefaultConfig()
			cfg.ReplaceAttr = logtest.DropTime
			return NewStack(shutdownWriter{c, out}, cfg)
		}},
		{"NewStackWithSink", func(c *shutdownCaller, out *logtest.Buffer) (*Stack, error) {
			return NewStackWithSink(shutdownSink{c, out.JSONHandler(nil)}, DefaultConfig())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			var out logtest.Buffer
			c := &shutdownCaller{}
			s, err := tc.build(c, &out)
			if err != nil {
				t.Fatal(err)
			}
			c.stack.Store(s)
			for i := range 3 {
				s.Logger().Info("record", "i", i)
			}
			if err := s.Flush(context.Background()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if !errors.Is(c.err, goid.ErrOwnGoroutine) || !strings.Contains(c.err.Error(), "cannot wait for itself") {
				t.Errorf("Shutdown from the sink = %v, want the refusal", c.err)
			}
			s.Logger().Info("after the refused Shutdown")
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown from elsewhere: %v", err)
			}
			var got []string
			for _, line := range out.Lines(t) {
				got = append(got, line["msg"].(string))
			}
			want := []string{"record", "record", "record", "after the refused Shutdown"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
		})
	}
}
