package scope

import (
	"context"
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

func scopeOf(ctx context.Context) *reqscope.Scope { return reqscope.FromContext(ctx) }
