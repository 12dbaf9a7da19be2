package sampling

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/internal/benchcpu"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// recordsPerRequest is how many records a request logs in the
// "per-request" variants before it ends and the next one opens, so that
// the per-request costs (opening and ending the scope, which httpctx does,
// and this handler's per-scope state and buffer ring) are spread over them
// as in a service. The "steady" variants log every record in one scope:
// the handler's cost per record alone (for not-sampled-buffered, with the
// buffer full, each record evicting the oldest).
const recordsPerRequest = 16

// BenchmarkCaller measures the caller's cost per record of the standard
// payload through slog.Logger, for each path through the Handler, beside
// a call at a disabled level and the plain slog.JSONHandler writing the
// record to io.Discard.
func BenchmarkCaller(b *testing.B) {
	json := func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }
	cases := []struct {
		name     string
		handler  func() slog.Handler
		decision *reqscope.Decision // nil: no scope
	}{
		// References: the scope in the context is ignored by these, so
		// their per-request variants show what opening and ending a scope
		// costs the benchmark loop itself.
		{"disabled-level", func() slog.Handler {
			return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})
		}, &notSampled},
		{"noop", func() slog.Handler { return noopHandler{} }, &notSampled},
		{"json", json, &notSampled},
		{"no-scope", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }, nil},
		{"sampled", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }, &sampledBy},
		{"not-sampled-buffered", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }, &notSampled},
		{"not-sampled-unbuffered", func() slog.Handler { return NewHandler(json(), Options{}) }, &notSampled},
	}
	for _, c := range cases {
		variants := []string{""}
		if c.decision != nil {
			variants = []string{"/steady", "/per-request"}
		}
		for _, v := range variants {
			b.Run(c.name+v, func(b *testing.B) {
				l := logtest.StandardLogger(c.handler())
				ctx := context.Background()
				var s *reqscope.Scope
				rotate := func() {
					if s != nil {
						s.End()
					}
					s = reqscope.New("0af7651916cd43dd8448eb211c80319c", trace.SpanContext{}, *c.decision)
					ctx = reqscope.NewContext(context.Background(), s)
				}
				if c.decision != nil {
					rotate()
				}
				n := 0
				b.ReportAllocs()
				stop := cpuMeter(b)
				for b.Loop() {
					if v == "/per-request" && n%recordsPerRequest == 0 {
						rotate()
					}
					n++
					logtest.LogStandard(ctx, l)
				}
				stop(n)
				if s != nil {
					s.End()
				}
			})
		}
	}
}

// cpuMeter reports cpu-ns/op (see internal/benchcpu).
func cpuMeter(b *testing.B) func(ops int) { return benchcpu.Meter(b) }

// noopHandler is enabled and does nothing: what slog.Logger itself costs
// per record (capturing the caller, the time and the attributes).
type noopHandler struct{}

func (noopHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (noopHandler) Handle(context.Context, slog.Record) error { return nil }
func (h noopHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h noopHandler) WithGroup(string) slog.Handler           { return h }

// BenchmarkPolicyDecide measures the per-request decision.
func BenchmarkPolicyDecide(b *testing.B) {
	p := Policy{Rate: 0.1, AlwaysSamplePaths: []string{"/api/v1/payments"}}
	b.ReportAllocs()
	stop, n := cpuMeter(b), 0
	for b.Loop() {
		p.Decide("/api/v1/orders/42", "0af7651916cd43dd8448eb211c80319c", trace.SpanContext{})
		n++
	}
	stop(n)
}

// BenchmarkDecide measures the hash and comparison alone.
func BenchmarkDecide(b *testing.B) {
	b.ReportAllocs()
	stop, n := cpuMeter(b), 0
	for b.Loop() {
		Decide("0af7651916cd43dd8448eb211c80319c", 0.1)
		n++
	}
	stop(n)
}

// BenchmarkCallerParallel is BenchmarkCaller's per-request variant with
// callers on every core, each logging into its own requests: the shared
// counters and the global budget are the only state they share.
func BenchmarkCallerParallel(b *testing.B) {
	json := func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }
	cases := []struct {
		name     string
		handler  func() slog.Handler
		decision reqscope.Decision
	}{
		{"disabled-level", func() slog.Handler {
			return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})
		}, notSampled},
		{"json", json, notSampled},
		{"sampled", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }, sampledBy},
		{"not-sampled-buffered", func() slog.Handler { return NewHandler(json(), DefaultOptions()) }, notSampled},
		{"not-sampled-unbuffered", func() slog.Handler { return NewHandler(json(), Options{}) }, notSampled},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
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
						s = reqscope.New("0af7651916cd43dd8448eb211c80319c", trace.SpanContext{}, c.decision)
						ctx = reqscope.NewContext(context.Background(), s)
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
