package aggregation

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/benchcpu"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/otel/trace"
)

func discardJSON() slog.Handler {
	return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})
}

var systemAttrs = []slog.Attr{
	slog.Int("size", 10), slog.Int("idle", 2), slog.Int("in_use", 8),
	slog.Int64("wait_count", 0), slog.Int("max_open", 20),
}

var businessAttrs = []slog.Attr{
	slog.String("method", "GET"), slog.String("path", "/api/v1/orders"), slog.Int("status", 200),
	slog.Duration("latency", 1234*time.Microsecond), slog.Int("bytes", 512), slog.Bool("ok", true),
}

// BenchmarkHandle measures the caller's cost per record through
// slog.Logger.LogAttrs: a business event (not matched), a system record
// passed individually, a system record folded (one group, and 1000 live
// groups), against writing the same records with slog.JSONHandler to
// io.Discard (the json_write rows; the aggregation rows write to the same
// handler). Run with -cpu 1,2 for the parallel rows' scaling.
func BenchmarkHandle(b *testing.B) {
	ctx := context.Background()
	groupAttrs := make([][]slog.Attr, 1000)
	for i := range groupAttrs {
		as := append([]slog.Attr(nil), systemAttrs...)
		as[0] = slog.Int("size", i)
		groupAttrs[i] = as
	}
	cases := []struct {
		name string
		// handler builds the handler under test; nil closer for none.
		handler func() (slog.Handler, func())
		msg     string
		attrs   func(i int) []slog.Attr
	}{
		{"json_write_system", func() (slog.Handler, func()) { return discardJSON(), func() {} },
			poolMsg, func(int) []slog.Attr { return systemAttrs }},
		{"json_write_business", func() (slog.Handler, func()) { return discardJSON(), func() {} },
			"request handled", func(int) []slog.Attr { return businessAttrs }},
		{"not_matched", realClock, "request handled", func(int) []slog.Attr { return businessAttrs }},
		{"matched_passed", passing, poolMsg, func(int) []slog.Attr { return systemAttrs }},
		{"matched_folded", realClock, poolMsg, func(int) []slog.Attr { return systemAttrs }},
		{"matched_folded_1000_groups", realClock, poolMsg, func(i int) []slog.Attr { return groupAttrs[i%len(groupAttrs)] }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h, done := c.handler()
			defer done()
			log := slog.New(h).With("service", "api")
			// Warm up: open the groups and their summaries.
			for i := range 6 * len(groupAttrs) {
				log.LogAttrs(ctx, slog.LevelDebug, c.msg, c.attrs(i)...)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				log.LogAttrs(ctx, slog.LevelDebug, c.msg, c.attrs(i)...)
			}
		})
		b.Run(c.name+"_parallel", func(b *testing.B) {
			h, done := c.handler()
			defer done()
			log := slog.New(h).With("service", "api")
			for i := range 6 * len(groupAttrs) {
				log.LogAttrs(ctx, slog.LevelDebug, c.msg, c.attrs(i)...)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					log.LogAttrs(ctx, slog.LevelDebug, c.msg, c.attrs(i)...)
				}
			})
		})
	}
}

// realClock returns an aggregation handler with the default options in
// front of slog.JSONHandler to io.Discard: records are dated by their own
// time, summaries close by count (every 1000 records) well before their
// window ends.
func realClock() (slog.Handler, func()) {
	h := NewHandler(discardJSON(), DefaultOptions())
	return h, func() { _ = h.Close(context.Background()) }
}

// passing returns an aggregation handler like realClock's whose burst
// allowance is never used up: every system record is looked up in its
// group and passed on individually.
func passing() (slog.Handler, func()) {
	h := NewHandler(discardJSON(), defaultsWith(func(o *Options) { o.Burst = math.MaxInt }))
	return h, func() { _ = h.Close(context.Background()) }
}

// BenchmarkRequest measures one request's worth of system records: a
// scope opened, 8 pool-size records logged with it (5 passed, 3 folded),
// the scope ended (its summary written, its group freed), against the same
// 8 records written by slog.JSONHandler without aggregation.
func BenchmarkRequest(b *testing.B) {
	for _, agg := range []bool{false, true} {
		name := "json_write"
		if agg {
			name = "aggregated"
		}
		b.Run(name, func(b *testing.B) {
			var h slog.Handler = discardJSON()
			if agg {
				a := NewHandler(h, DefaultOptions())
				defer func() { _ = a.Close(context.Background()) }()
				h = a
			}
			log := slog.New(h)
			b.ReportAllocs()
			for b.Loop() {
				scope := reqscope.New("0123456789abcdef0123456789abcdef", trace.SpanContext{}, reqscope.Decision{Sampled: true})
				ctx := reqscope.NewContext(context.Background(), scope)
				for range 8 {
					log.LogAttrs(ctx, slog.LevelDebug, poolMsg, systemAttrs...)
				}
				scope.End()
			}
		})
	}
}

// BenchmarkHandlerOwnCost measures the handler's own cost for a business
// record (not a candidate) over a next handler that does nothing, serial
// and parallel, given as a record and as a record with a tail.
func BenchmarkHandlerOwnCost(b *testing.B) {
	ctx := context.Background()
	h := NewHandler(logtest.Nop{}, DefaultOptions())
	defer func() { _ = h.Close(context.Background()) }()
	log := slog.New(h).With("service", "api")
	b.Run("business", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			log.LogAttrs(ctx, slog.LevelInfo, "request handled", businessAttrs...)
		}
	})
	b.Run("business_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				log.LogAttrs(ctx, slog.LevelInfo, "request handled", businessAttrs...)
			}
		})
	})
	// Under the correlation handler, with a scope and a span: the
	// correlation attributes come as a tail, and go on to a next handler
	// that takes one.
	scoped, end := scope.Start(context.Background(), scope.Options{CorrelationID: "req-1", SpanContext: benchSpan})
	defer end(nil)
	under := slog.New(scope.NewHandler(NewHandler(benchTailNop{}, DefaultOptions()), scope.HandlerOptions{})).With("service", "api")
	b.Run("business_under_scope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			under.LogAttrs(scoped, slog.LevelInfo, "request handled", businessAttrs...)
		}
	})
	b.Run("business_under_scope_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				under.LogAttrs(scoped, slog.LevelInfo, "request handled", businessAttrs...)
			}
		})
	})
	b.Run("error", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			log.LogAttrs(ctx, slog.LevelError, "request failed", businessAttrs...)
		}
	})
}

var benchSpan = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID: trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
	SpanID:  trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
})

// benchTailNop is a next handler that does nothing and takes a tail, as
// the redaction handler below does.
type benchTailNop struct{ logtest.Nop }

func (benchTailNop) WithAttrs([]slog.Attr) slog.Handler { return benchTailNop{} }
func (benchTailNop) WithGroup(string) slog.Handler      { return benchTailNop{} }
func (benchTailNop) HandleTail(context.Context, slog.Record, fuse.Tail) error {
	return nil
}

// BenchmarkHandleDirect measures Handle called directly (without
// slog.Logger's own cost) on a business record with the standard 6
// attributes, and the correlation handler over it with a scope and a span
// (the record then comes with a tail), into a next handler that takes a
// tail.
func BenchmarkHandleDirect(b *testing.B) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	r.AddAttrs(businessAttrs...)
	ctx := context.Background()
	h := NewHandler(benchTailNop{}, DefaultOptions())
	defer func() { _ = h.Close(context.Background()) }()
	b.Run("business", func(b *testing.B) {
		benchcpu.Loop(b, func() { _ = h.Handle(ctx, r) })
	})
	b.Run("business_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = h.Handle(ctx, r)
			}
		})
	})
	scoped, end := scope.Start(context.Background(), scope.Options{CorrelationID: "req-1", SpanContext: benchSpan})
	defer end(nil)
	under := scope.NewHandler(h, scope.HandlerOptions{})
	b.Run("business_under_scope", func(b *testing.B) {
		benchcpu.Loop(b, func() { _ = under.Handle(scoped, r) })
	})
	b.Run("business_under_scope_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = under.Handle(scoped, r)
			}
		})
	})
}
