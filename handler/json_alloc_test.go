package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// noopHandler accepts every record and does nothing: logging through it
// costs what slog.Logger itself costs, the floor for any handler.
type noopHandler struct{}

func (noopHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (noopHandler) Handle(context.Context, slog.Record) error { return nil }
func (h noopHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h noopHandler) WithGroup(string) slog.Handler           { return h }

var errStatic = errors.New("connection reset")

// TestJSONHandlerAllocsAtFloor asserts that logging through JSONHandler
// allocates no more than the same call through slog.Logger over a handler
// that does nothing, for the common attribute kinds, with and without
// AddSource, With and WithGroup.
func TestJSONHandlerAllocsAtFloor(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	payloads := []struct {
		name  string
		attrs []slog.Attr
	}{
		{"standard payload (6 attrs)", []slog.Attr{
			slog.String("method", "GET"), slog.String("path", "/api/v1/users"), slog.Int("status", 200),
			slog.Duration("latency", 1500*time.Microsecond), slog.Int64("bytes", 5120), slog.Bool("ok", true)}},
		{"5 attrs (inline in the record)", []slog.Attr{
			slog.String("method", "GET"), slog.Int("status", 200), slog.Uint64("u", 7),
			slog.Float64("ratio", 0.25), slog.Bool("ok", false)}},
		{"times, errors, nil, escaping, groups", []slog.Attr{
			slog.Time("at", now), slog.Any("err", errStatic), slog.Any("nil", nil),
			slog.String("esc", "quote\" tab\t é \u2028"), slog.Group("g", slog.Int("a", 1), slog.String("b", "x")),
			slog.Float64("f", 1e-9), slog.Any("level", slog.LevelWarn)}},
		{"no attrs", nil},
	}
	for _, addSource := range []bool{false, true} {
		for _, p := range payloads {
			floorLogger := slog.New(noopHandler{}).With("service", "api", "correlation_id", "c0ffee")
			floor := testing.AllocsPerRun(1000, func() {
				floorLogger.LogAttrs(ctx, slog.LevelInfo, "request handled", p.attrs...)
			})
			logger := slog.New(NewJSONHandler(io.Discard, &slog.HandlerOptions{AddSource: addSource})).
				With("service", "api", "correlation_id", "c0ffee").WithGroup("req")
			got := testing.AllocsPerRun(1000, func() {
				logger.LogAttrs(ctx, slog.LevelInfo, "request handled", p.attrs...)
			})
			if got != floor {
				t.Errorf("AddSource=%v, %s: %v allocs per record, floor (no-op handler) %v", addSource, p.name, got, floor)
			}
		}
	}
}

// TestJSONHandlerWithAttrsPrerendered checks that a logger built with
// With does not re-encode the bound attributes per record: a LogValuer
// bound with With is resolved once, when With is called.
func TestJSONHandlerWithAttrsPrerendered(t *testing.T) {
	calls := 0
	lv := countingValuer{&calls}
	logger := slog.New(NewJSONHandler(io.Discard, nil)).With("lazy", lv)
	for range 10 {
		logger.Info("m")
	}
	if calls != 1 {
		t.Fatalf("LogValue called %d times for 10 records, want 1 (at With)", calls)
	}
}

// countingValuer counts its LogValue calls.
type countingValuer struct{ n *int }

func (c countingValuer) LogValue() slog.Value {
	*c.n++
	return slog.StringValue("v")
}
