package httpctx

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

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

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }

func withSpan(ctx context.Context, sc trace.SpanContext) context.Context {
	return trace.ContextWithSpanContext(ctx, sc)
}

// quietServer starts a server whose own error log (net/http's report of
// re-raised panics) is discarded.
func quietServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	return srv
}

func scopeOf(ctx context.Context) *reqscope.Scope { return reqscope.FromContext(ctx) }

// withDefaults returns DefaultOptions with the fields o sets (non-zero)
// in their place: an access record per request, the default policy unless
// o has one, and the 4096-byte body limit unless o.Body sets another.
func withDefaults(o Options) Options {
	d := DefaultOptions()
	d.Logger = o.Logger
	if o.Policy != nil {
		d.Policy = o.Policy
	}
	if o.AccessMessage != "" {
		d.AccessMessage = o.AccessMessage
	}
	maxBytes := d.Body.MaxBytes
	d.Body = o.Body
	if d.Body.MaxBytes == 0 {
		d.Body.MaxBytes = maxBytes
	}
	d.Recover = o.Recover
	return d
}
