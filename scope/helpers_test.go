package scope

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// textLines returns the lines written to b so far, without their
// newlines; nil if nothing was written.
func textLines(b *logtest.Buffer) []string {
	out := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

var (
	noSpan          trace.SpanContext
	testTraceID     = trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	testSpanID      = trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	testSpanContext = trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: testSpanID, TraceFlags: trace.FlagsSampled})
)

func withSpan(ctx context.Context, sc trace.SpanContext) context.Context {
	return trace.ContextWithSpanContext(ctx, sc)
}

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// discardHandler handles every record and does nothing.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// keepingSink stands in for sampling.Handler in tests: it writes the
// records of a scope only while the scope is sampled (or kept), and every
// record without a scope.
type keepingSink struct{ next slog.Handler }

func (k keepingSink) Enabled(ctx context.Context, l slog.Level) bool { return k.next.Enabled(ctx, l) }
func (k keepingSink) Handle(ctx context.Context, r slog.Record) error {
	if s := reqscope.FromContext(ctx); s != nil && !s.Sampled() {
		return nil
	}
	return k.next.Handle(ctx, r)
}
func (k keepingSink) WithAttrs(as []slog.Attr) slog.Handler {
	return keepingSink{k.next.WithAttrs(as)}
}
func (k keepingSink) WithGroup(name string) slog.Handler { return keepingSink{k.next.WithGroup(name)} }

func scopeOf(ctx context.Context) *reqscope.Scope { return reqscope.FromContext(ctx) }
