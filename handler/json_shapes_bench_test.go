package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// This file holds the payload shapes that public slog benchmark suites
// log: a bare message; 5, 10 and 40 attributes cycling through every kind;
// a big nested group; With then log; WithGroup then log; AddSource.

// benchShape is one payload shape of the public slog benchmark suites.
type benchShape struct {
	name      string
	addSource bool
	setup     func(l *slog.Logger) *slog.Logger
	attrs     []slog.Attr
}

type benchUser struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Since time.Time `json:"since"`
}

var (
	benchTime = time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.UTC)
	errBench  = errors.New("connection reset by peer")
)

// benchKinds returns n attributes cycling through every kind.
func benchKinds(n int) []slog.Attr {
	all := []slog.Attr{
		slog.String("string", "a moderately long string value"),
		slog.Int("int", 123456),
		slog.Int64("int64", -987654321),
		slog.Uint64("uint64", 18446744073709551615),
		slog.Float64("float64", 3.14159),
		slog.Bool("bool", true),
		slog.Time("time", benchTime),
		slog.Duration("duration", 1500*time.Millisecond),
		slog.Any("error", errBench),
		slog.Any("struct", benchUser{Name: "Jane Doe", Email: "jane@example.com", Since: benchTime}),
		slog.Any("map", map[string]int{"a": 1, "b": 2}),
		slog.Any("bytes", []byte("payload")),
	}
	out := make([]slog.Attr, n)
	for i := range out {
		out[i] = all[i%len(all)]
	}
	return out
}

// benchShapes are the payload shapes.
var benchShapes = []benchShape{
	{name: "bare"},
	{name: "attrs5", attrs: benchKinds(5)},
	{name: "attrs10", attrs: benchKinds(10)},
	{name: "attrs40", attrs: benchKinds(40)},
	{name: "nested", attrs: []slog.Attr{slog.Group("request",
		slog.String("method", "GET"), slog.String("path", "/api/v1/orders/42"),
		slog.Group("headers", slog.String("accept", "application/json"), slog.String("user_agent", "curl/8.5"),
			slog.Group("trace", slog.String("id", "4bf92f3577b34da6"), slog.Int("sampled", 1))),
		slog.Group("user", slog.Int("id", 42), slog.String("role", "admin"), slog.Bool("mfa", true)),
		slog.Duration("latency", 1234567), slog.Int("status", 200))}},
	{name: "with", setup: func(l *slog.Logger) *slog.Logger {
		return l.With("service", "checkout", "version", "1.2.3", "region", "eu-west-1", "pid", 4242, "host", "web-1")
	}, attrs: benchKinds(5)},
	{name: "withgroup", setup: func(l *slog.Logger) *slog.Logger { return l.WithGroup("req") }, attrs: benchKinds(5)},
	{name: "source", addSource: true, attrs: benchKinds(5)},
}

// BenchmarkShapes logs each payload shape through slog.Logger to
// io.Discard over a handler that does nothing (the floor), slog.JSONHandler
// and JSONHandler, reporting the process CPU time per record (cpu-ns/op)
// beside the wall time, which a loaded machine inflates. Compare the
// handlers with
//
//	go test -run '^$' -bench Shapes -count 6 ./handler > shapes.txt
//	benchstat -col /handler -filter '.unit:cpu-ns/op' shapes.txt
func BenchmarkShapes(b *testing.B) {
	handlers := []struct {
		name string
		new  func(o *slog.HandlerOptions) slog.Handler
	}{
		{"floor", func(*slog.HandlerOptions) slog.Handler { return noopHandler{} }},
		{"slog", func(o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(io.Discard, o) }},
		{"slogstack", func(o *slog.HandlerOptions) slog.Handler { return NewJSONHandler(io.Discard, o) }},
	}
	ctx := context.Background()
	for _, sh := range benchShapes {
		for _, h := range handlers {
			b.Run("shape="+sh.name+"/handler="+h.name, func(b *testing.B) {
				l := slog.New(h.new(&slog.HandlerOptions{AddSource: sh.addSource}))
				if sh.setup != nil {
					l = sh.setup(l)
				}
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					l.LogAttrs(ctx, slog.LevelInfo, "request handled", sh.attrs...)
				}
			})
		}
	}
}
