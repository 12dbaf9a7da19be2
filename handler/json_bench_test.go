package handler

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkStandardPayload logs the standard payload (a logger bound with
// With to service and correlation_id, then LogAttrs with method, path,
// status, latency, bytes and ok) to io.Discard through slog.Logger over:
// a handler that does nothing (the floor: slog.Logger's own cost),
// slog.JSONHandler and JSONHandler; with and without AddSource; from one
// goroutine and in parallel. Compare the handlers with
//
//	go test -run '^$' -bench StandardPayload -count 6 ./handler > bench.txt
//	benchstat -col /handler bench.txt
func BenchmarkStandardPayload(b *testing.B) {
	handlers := []struct {
		name string
		new  func(opts *slog.HandlerOptions) slog.Handler
	}{
		{"floor", func(*slog.HandlerOptions) slog.Handler { return noopHandler{} }},
		{"slog", func(o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(io.Discard, o) }},
		{"slogstack", func(o *slog.HandlerOptions) slog.Handler { return NewJSONHandler(io.Discard, o) }},
	}
	ctx := context.Background()
	for _, source := range []bool{false, true} {
		for _, mode := range []string{"serial", "parallel"} {
			for _, h := range handlers {
				name := "source=off/" + mode + "/handler=" + h.name
				if source {
					name = "source=on/" + mode + "/handler=" + h.name
				}
				b.Run(name, func(b *testing.B) {
					logger := slog.New(h.new(&slog.HandlerOptions{AddSource: source})).
						With("service", "checkout", "correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")
					log := func() {
						logger.LogAttrs(ctx, slog.LevelInfo, "request handled",
							slog.String("method", "GET"),
							slog.String("path", "/api/v1/orders/42"),
							slog.Int("status", 200),
							slog.Duration("latency", 1234567*time.Nanosecond),
							slog.Int64("bytes", 5120),
							slog.Bool("ok", true))
					}
					b.ReportAllocs()
					defer reportCPU(b)()
					if mode == "serial" {
						for b.Loop() {
							log()
						}
						return
					}
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							log()
						}
					})
				})
			}
		}
	}
}

// BenchmarkHandleKinds measures Handle alone, without slog.Logger, for
// records carrying each common attribute kind.
func BenchmarkHandleKinds(b *testing.B) {
	now := time.Now()
	kinds := []struct {
		name string
		attr slog.Attr
	}{
		{"string", slog.String("k", "a moderately long value with no escapes")},
		{"escaped", slog.String("k", "line\nbreak \"quoted\" é")},
		{"int", slog.Int("k", 123456)},
		{"float", slog.Float64("k", 3.14159)},
		{"time", slog.Time("k", now)},
		{"duration", slog.Duration("k", time.Second)},
		{"error", slog.Any("k", errStatic)},
		{"group", slog.Group("k", slog.Int("a", 1), slog.String("b", "c"))},
		{"any-map", slog.Any("k", map[string]int{"a": 1})},
		{"any-struct", slog.Any("k", benchOrder{ID: 42, Customer: "Jane Doe", Email: "jane@example.com",
			Items: 3, Total: 129.95, Currency: "EUR", Paid: true, Coupon: "", Weight: 1200, Priority: 2,
			Region: "eu-west-1", Created: now, Retries: 0, Note: "leave at the door"})},
	}
	for _, k := range kinds {
		for _, impl := range []struct {
			name string
			h    slog.Handler
		}{
			{"slog", slog.NewJSONHandler(io.Discard, nil)},
			{"slogstack", NewJSONHandler(io.Discard, nil)},
		} {
			b.Run("kind="+k.name+"/handler="+impl.name, func(b *testing.B) {
				r := slog.NewRecord(now, slog.LevelInfo, "m", 0)
				r.AddAttrs(k.attr)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					_ = impl.h.Handle(ctx, r)
				}
			})
		}
	}
}

// BenchmarkHandleStandardRecord measures Handle alone, without
// slog.Logger's own cost, for the standard payload on a handler bound with
// With to service and correlation_id.
func BenchmarkHandleStandardRecord(b *testing.B) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	r.AddAttrs(slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/42"),
		slog.Int("status", 200),
		slog.Duration("latency", 1234567*time.Nanosecond),
		slog.Int64("bytes", 5120),
		slog.Bool("ok", true))
	bound := []slog.Attr{slog.String("service", "checkout"), slog.String("correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")}
	for _, impl := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog", slog.NewJSONHandler(io.Discard, nil).WithAttrs(bound)},
		{"slogstack", NewJSONHandler(io.Discard, nil).WithAttrs(bound)},
	} {
		b.Run("handler="+impl.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				_ = impl.h.Handle(ctx, r)
			}
		})
	}
}

// reportCPU starts measuring the process CPU time and returns the function
// that reports it per operation as the metric cpu-ns/op, if the platform
// provides it. Call as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start, ok := processCPUTime()
	return func() {
		end, _ := processCPUTime()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// benchOrder is a flat struct of 14 fields of the kinds written without
// encoding/json, some of them omitempty.
type benchOrder struct {
	ID       int64     `json:"id"`
	Customer string    `json:"customer"`
	Email    string    `json:"email"`
	Items    int       `json:"items"`
	Total    float64   `json:"total"`
	Currency string    `json:"currency"`
	Paid     bool      `json:"paid"`
	Coupon   string    `json:"coupon,omitempty"`
	Weight   uint32    `json:"weight"`
	Priority int8      `json:"priority"`
	Region   string    `json:"region"`
	Created  time.Time `json:"created"`
	Retries  int       `json:"retries,omitempty"`
	Note     string    `json:"note"`
}
