package slogstack

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// benchLog logs the standard payload on logger with ctx.
func benchLog(b *testing.B, logger *slog.Logger, ctx context.Context) {
	b.Helper()
	l := logtest.StandardLogger(logger.Handler())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		logtest.LogStandard(ctx, l)
	}
}

// requestContext opens a request scope with the given sampling rate.
func requestContext(b *testing.B, s *Stack, rate float64) context.Context {
	b.Helper()
	opts := s.ScopeOptions("/api/v1/users/42")
	opts.Policy = sampling.Policy{Rate: rate}
	opts.CorrelationID = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx, end := scope.Start(context.Background(), opts)
	b.Cleanup(func() { end(nil) })
	return ctx
}

// BenchmarkStack measures the caller's cost of one log call through stacks
// built by the public builder, writing to io.Discard, against the JSON
// handler alone. "queue=bytes" is what NewStack builds (the async.Writer
// under the JSON handler), "queue=records" what NewStackWithSink builds
// with a JSONHandler as the sink (the async.Handler above it).
func BenchmarkStack(b *testing.B) {
	b.Run("json-alone", func(b *testing.B) {
		benchLog(b, slog.New(handler.NewJSONHandler(io.Discard, nil)), context.Background())
	})
	noBuffer := func() Config { c := DefaultConfig(); c.SamplingOptions.MaxRequestRecords = 0; return c }
	for _, tc := range []struct {
		name         string
		cfg          func() Config
		queueRecords bool
		scoped       bool
		rate         float64 // of the request scope, when scoped
	}{
		{"all-off", func() Config { return Config{} }, false, false, 0},
		{"sampled/sync", func() Config { c := DefaultConfig(); c.Async = false; return c }, false, true, 1},
		{"sampled/queue=bytes", DefaultConfig, false, true, 1},
		{"sampled/queue=records", DefaultConfig, true, true, 1},
		{"not-sampled/buffered", DefaultConfig, false, true, 0},
		{"not-sampled/unbuffered", noBuffer, false, true, 0},
		{"async-only/queue=bytes", func() Config { return Config{Async: true, AsyncOptions: async.DefaultOptions()} }, false, false, 0},
		{"async-only/queue=records", func() Config { return Config{Async: true, AsyncOptions: async.DefaultOptions()} }, true, false, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := benchStack(tc.cfg(), tc.queueRecords)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if tc.scoped {
				ctx = requestContext(b, s, tc.rate)
			}
			benchLog(b, s.Logger(), ctx)
			b.StopTimer()
			if err := s.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
			if st := s.Stats().Async; st != nil && st.Dropped > 0 {
				b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
			}
		})
	}
}

// benchStack builds cfg's stack writing to io.Discard: with NewStack, or
// with queueRecords through NewStackWithSink in front of a JSONHandler.
func benchStack(cfg Config, queueRecords bool) (*Stack, error) {
	if queueRecords {
		return NewStackWithSink(handler.NewJSONHandler(io.Discard, nil), cfg)
	}
	return NewStack(io.Discard, cfg)
}
