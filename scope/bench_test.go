package scope

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/internal/benchcpu"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/logtest"
	"go.opentelemetry.io/otel/trace"
)

// loop runs f b.N times, reporting allocations and cpu-ns/op.
func loop(b *testing.B, f func()) { benchcpu.Loop(b, f) }

func BenchmarkNewCorrelationID(b *testing.B) {
	b.Run("pooled-chacha8", func(b *testing.B) {
		loop(b, func() { sinkString = NewCorrelationID() })
	})
	b.Run("crypto-rand", func(b *testing.B) {
		loop(b, func() {
			var raw [16]byte
			_, _ = crand.Read(raw[:])
			sinkString = hex.EncodeToString(raw[:])
		})
	})
	b.Run("pooled-chacha8/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = NewCorrelationID()
			}
		})
	})
}

// BenchmarkHandler measures the correlation handler per record, against
// the same logger without it ("bare").
func BenchmarkHandler(b *testing.B) {
	scoped, end := Start(context.Background(), Options{CorrelationID: "req-1"})
	defer end(nil)
	traced, end2 := Start(context.Background(), Options{CorrelationID: "req-2", SpanContext: testSpanContext})
	defer end2(nil)
	bare := slog.New(logtest.Nop{})
	wrapped := slog.New(NewHandler(logtest.Nop{}, HandlerOptions{}))
	fused := slog.New(NewHandler(nopTail{}, HandlerOptions{}))
	for _, bc := range []struct {
		name string
		l    *slog.Logger
		ctx  context.Context
	}{
		{"bare", bare, scoped},
		{"no-scope", wrapped, context.Background()},
		{"scope", wrapped, scoped},
		{"scope-and-span", wrapped, traced},
		{"scope-and-span/group-open", wrapped.WithGroup("g"), traced},
		{"scope-and-child-span", wrapped, withSpan(traced, trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}}))},
		{"span-without-scope", wrapped, withSpan(context.Background(), testSpanContext)},
		{"bound-logger/no-context", Logger(WithLogger(traced, wrapped)), context.Background()},
		{"scope/layered10", wrapped, layered(scoped, 10)},
		{"scope-and-span/layered10", wrapped, layered(traced, 10)},
		{"no-scope/layered10", wrapped, layered(context.Background(), 10)},
		{"fused/scope-and-span", fused, traced},
		{"fused/scope-and-span/layered10", fused, layered(traced, 10)},
		{"fused/scope-and-child-span/layered10", fused, layered(withSpan(traced, trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}})), 10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, func() {
				bc.l.LogAttrs(bc.ctx, slog.LevelInfo, "request handled", slog.String("method", "GET"), slog.Int("status", 200))
			})
		})
	}
	b.Run("fused/scope-and-span/layered10/parallel", func(b *testing.B) {
		ctx := layered(traced, 10)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fused.LogAttrs(ctx, slog.LevelInfo, "request handled", slog.String("method", "GET"), slog.Int("status", 200))
			}
		})
	})
}

// layered returns ctx with n values layered on it, as a middleware stack
// leaves a request's context.
func layered(ctx context.Context, n int) context.Context {
	for i := range n {
		ctx = context.WithValue(ctx, layerKey(i), i)
	}
	return ctx
}

type layerKey int

// nopTail is a next handler that takes a tail and does nothing, as a
// fused layer below would.
type nopTail struct{ logtest.Nop }

func (nopTail) WithAttrs([]slog.Attr) slog.Handler { return nopTail{} }
func (nopTail) WithGroup(string) slog.Handler      { return nopTail{} }
func (nopTail) HandleTail(context.Context, slog.Record, fuse.Tail) error {
	return nil
}

// sinkString keeps results alive so that the compiler cannot drop the work.
var sinkString string

// BenchmarkHandle measures Handle called directly (without slog.Logger's
// own cost, which dominates BenchmarkHandler): a record with the standard
// 6 attributes, a scope with a span, the context exactly the scope's or
// with 10 values layered on it, into a next handler that takes a tail
// ("fused") or not.
func BenchmarkHandle(b *testing.B) {
	traced, end := Start(context.Background(), Options{CorrelationID: "req-2", SpanContext: testSpanContext})
	defer end(nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "request handled", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/orders"), slog.Int("status", 200),
		slog.Int("bytes", 512), slog.Bool("ok", true), slog.String("user", "u1"))
	for _, next := range []struct {
		name string
		h    slog.Handler
	}{{"plain", logtest.Nop{}}, {"fused", nopTail{}}} {
		h := NewHandler(next.h, HandlerOptions{})
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{{"exact", traced}, {"layered10", layered(traced, 10)}, {"no-scope", context.Background()}} {
			b.Run(next.name+"/"+c.name, func(b *testing.B) {
				loop(b, func() { _ = h.Handle(c.ctx, r) })
			})
		}
		b.Run(next.name+"/layered10/parallel", func(b *testing.B) {
			ctx := layered(traced, 10)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = h.Handle(ctx, r)
				}
			})
		})
	}
}
