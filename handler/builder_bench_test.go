package handler

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
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
	opts := s.StartOptions("/api/v1/users/42")
	opts.Policy = sampling.Policy{Rate: rate}
	opts.CorrelationID = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx, end := httpctx.Start(context.Background(), opts)
	b.Cleanup(func() { end(nil) })
	return ctx
}

// BenchmarkStack measures the caller's cost of one log call through stacks
// built by NewStack, writing to io.Discard, against the JSON handler alone.
// "queue=bytes" is the async.Writer under the JSON handler that NewStack
// builds, "queue=records" the async.Handler above it.
func BenchmarkStack(b *testing.B) {
	b.Run("json-alone", func(b *testing.B) {
		benchLog(b, slog.New(NewJSONHandler(io.Discard, nil)), context.Background())
	})
	for _, tc := range []struct {
		name         string
		cfg          func() Config
		queueRecords bool
		rate         float64 // 0: no request scope
	}{
		{"all-off", func() Config { return Config{ExpvarName: NoExpvar} }, false, 0},
		{"sampled/sync", func() Config { c := DefaultConfig(); c.Async = false; return c }, false, 1},
		{"sampled/queue=bytes", DefaultConfig, false, 1},
		{"sampled/queue=records", DefaultConfig, true, 1},
		{"not-sampled/buffered", DefaultConfig, false, -1},
		{"not-sampled/unbuffered", func() Config { c := DefaultConfig(); c.SamplingOptions.DisableBuffering = true; return c }, false, -1},
		{"async-only/queue=bytes", func() Config { return Config{Async: true} }, false, 0},
		{"async-only/queue=records", func() Config { return Config{Async: true} }, true, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := tc.cfg()
			cfg.ExpvarName = NoExpvar
			s, err := newStack(io.Discard, cfg, tc.queueRecords)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if tc.rate != 0 {
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
