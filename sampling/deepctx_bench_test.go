package sampling

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"go.opentelemetry.io/otel/trace"
)

// middlewareLayers is how many values the deep-context benchmarks layer on
// the request's context over the scope's, as middleware stacks do.
const middlewareLayers = 10

// layerKey is the key type of the values layered on the request context.
type layerKey int

// deepContext opens a scope with decision d the way scope.Start and
// httpctx.Middleware do, and layers middlewareLayers values on its
// context.
func deepContext(d reqscope.Decision) (context.Context, *reqscope.Scope) {
	ctx, st := scopectx.Open(context.Background(), trace.SpanContext{}, "0af7651916cd43dd8448eb211c80319c", trace.SpanContext{}, d, nil)
	for i := range middlewareLayers {
		ctx = context.WithValue(ctx, layerKey(i), i)
	}
	return ctx, st.Scope
}

// BenchmarkDeepContext measures the not-sampled paths with ten values
// layered on the request's context over the scope's, beside a call at a
// disabled level through slog.Logger over slog.JSONHandler (the reference
// for buffering off) and slog.Logger over a handler that does nothing (the
// floor, the reference for buffering on), with the same context. The
// parallel variants log from every core, each goroutine into requests of
// its own.
func BenchmarkDeepContext(b *testing.B) {
	json := func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }
	cases := []struct {
		name    string
		handler func() slog.Handler
	}{
		{"disabled-level", func() slog.Handler {
			return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})
		}},
		{"not-sampled-unbuffered", func() slog.Handler { return NewHandler(json(), Options{}) }},
		{"noop", func() slog.Handler { return noopHandler{} }},
		{"not-sampled-buffered", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }},
	}
	for _, c := range cases {
		for _, v := range []string{"steady", "per-request"} {
			b.Run(c.name+"/"+v, func(b *testing.B) {
				l := logtest.StandardLogger(c.handler())
				ctx, s := deepContext(notSampled)
				n := 0
				b.ReportAllocs()
				stop := cpuMeter(b)
				for b.Loop() {
					if v == "per-request" && n%recordsPerRequest == 0 {
						s.End()
						ctx, s = deepContext(notSampled)
					}
					n++
					logtest.LogStandard(ctx, l)
				}
				stop(n)
				s.End()
			})
		}
		b.Run(c.name+"/parallel", func(b *testing.B) {
			l := logtest.StandardLogger(c.handler())
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var s *reqscope.Scope
				var ctx context.Context
				for n := 0; pb.Next(); n++ {
					if n%recordsPerRequest == 0 {
						if s != nil {
							s.End()
						}
						ctx, s = deepContext(notSampled)
					}
					logtest.LogStandard(ctx, l)
				}
				if s != nil {
					s.End()
				}
			})
		})
	}
}
