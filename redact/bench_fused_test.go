package redact

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// BenchmarkJSONHandler measures the standard payload (a logger bound with
// service and correlation_id, 6 attributes of mixed kinds), clean and with
// secrets (an authorization header with a bearer token, an error whose text
// holds a card number), through the module's JSON handler to io.Discard:
// plain, behind Handler (fused: it drives the handler's encoder) and behind
// Handler over a pass-through wrapper (unfused: it hands the handler a
// record). Besides the wall time, it reports the CPU time of the logging
// goroutine's thread per call (cpu-ns/op, Linux), which other work on a
// shared machine disturbs far less.
func BenchmarkJSONHandler(b *testing.B) {
	errCard := errors.New("charge declined for card " + secretCard)
	impls := []struct {
		name string
		h    func() slog.Handler
	}{
		{"plain", func() slog.Handler { return handler.NewJSONHandler(io.Discard, nil) }},
		{"fused", func() slog.Handler { return NewHandler(handler.NewJSONHandler(io.Discard, nil), DefaultOptions()) }},
		{"unfused", func() slog.Handler {
			return NewHandler(passThrough{handler.NewJSONHandler(io.Discard, nil)}, DefaultOptions())
		}},
	}
	ctx := context.Background()
	for _, payload := range []string{"clean", "secret"} {
		for _, im := range impls {
			b.Run("payload="+payload+"/impl="+im.name, func(b *testing.B) {
				l := slog.New(im.h()).With("service", "orders", "correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")
				attrs := []slog.Attr{
					slog.String("method", "GET"), slog.String("path", "/api/v1/orders/42"), slog.Int("status", 200),
					slog.Duration("latency", 1500*time.Microsecond), slog.Int64("bytes", 5120), slog.Bool("ok", true),
				}
				if payload == "secret" {
					attrs = append(attrs, slog.String("authorization", "Bearer "+secretBearer), slog.Any("error", errCard))
				}
				b.ReportAllocs()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				start, ok := threadCPU()
				for b.Loop() {
					l.LogAttrs(ctx, slog.LevelInfo, "request handled", attrs...)
				}
				if end, ok2 := threadCPU(); ok && ok2 {
					b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
