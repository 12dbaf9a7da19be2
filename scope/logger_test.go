package scope

import (
	"context"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/trace"
)

// TestLoggerWithoutContext is the point of Logger: Info without a context
// still carries the scope's correlation ID and follows its decision.
func TestLoggerWithoutContext(t *testing.T) {
	var sink logtest.Buffer
	logger := slog.New(NewHandler(logtest.ScopeSink{Next: sink.JSONHandler(slog.LevelDebug)}, HandlerOptions{}))
	work := func(rate float64) {
		ctx, end := Start(context.Background(), Options{CorrelationID: "abc", Logger: logger, Policy: sampling.Policy{Rate: rate}})
		defer end(nil)
		l := Logger(ctx)
		if l2 := Logger(ctx); l2 != l {
			t.Error("Logger built a second bound logger for the same scope")
		}
		l.Info("plain", "k", 1)
		l.With("a", 1).WithGroup("g").Warn("grouped", "k", 2)
		logger.Info("unbound") // no scope: passes, without correlation_id
	}
	work(1)
	want := []string{
		`{"level":"INFO","msg":"plain","k":1,"correlation_id":"abc"}`,
		`{"level":"WARN","msg":"grouped","a":1,"correlation_id":"abc","g":{"k":2}}`,
		`{"level":"INFO","msg":"unbound"}`,
	}
	if diff := cmp.Diff(want, textLines(&sink)); diff != "" {
		t.Errorf("sampled scope (-want +got):\n%s", diff)
	}

	// The same in a scope that is not sampled: nothing is written.
	sink.Reset()
	work(0)
	if diff := cmp.Diff([]string{`{"level":"INFO","msg":"unbound"}`}, textLines(&sink)); diff != "" {
		t.Errorf("not sampled (-want +got):\n%s", diff)
	}
}

func TestLoggerOutsideScope(t *testing.T) {
	if Logger(context.Background()) != slog.Default() {
		t.Error("Logger without a scope is not slog.Default()")
	}
	var sink logtest.Buffer
	mine := slog.New(sink.JSONHandler(slog.LevelDebug))
	ctx := WithLogger(context.Background(), mine)
	if Logger(ctx) != mine {
		t.Error("Logger after WithLogger without a scope is not that logger")
	}
	// A scope opened under WithLogger binds that logger.
	ctx, end := Start(ctx, Options{CorrelationID: "job-9"})
	defer end(nil)
	Logger(ctx).Info("x")
	if got := textLines(&sink); len(got) != 1 || got[0] != `{"level":"INFO","msg":"x"}` {
		// no Handler in this chain: no correlation_id, but the record went
		// to the logger set with WithLogger
		t.Errorf("got %q", got)
	}
	if l := Logger(WithLogger(context.Background(), mine)); l != mine {
		t.Error("Logger without a scope wrapped the logger set with WithLogger")
	}
	var nilCtx context.Context
	if l := Logger(nilCtx); l != slog.Default() {
		t.Error("Logger(nil) is not slog.Default()")
	}
}

func TestWithLoggerInsideScope(t *testing.T) {
	var a, b logtest.Buffer
	ctx, end := Start(context.Background(), Options{CorrelationID: "s-1", Logger: slog.New(NewHandler(a.JSONHandler(slog.LevelDebug), HandlerOptions{}))})
	defer end(nil)
	ctx2 := WithLogger(ctx, slog.New(NewHandler(b.JSONHandler(slog.LevelDebug), HandlerOptions{})))
	Logger(ctx).Info("to a")
	Logger(ctx2).Info("to b")
	if got := textLines(&a); len(got) != 1 || got[0] != `{"level":"INFO","msg":"to a","correlation_id":"s-1"}` {
		t.Errorf("a: %q", got)
	}
	if got := textLines(&b); len(got) != 1 || got[0] != `{"level":"INFO","msg":"to b","correlation_id":"s-1"}` {
		t.Errorf("b: %q", got)
	}
}

// TestBoundLoggerKeepsOwnContext: a context passed to the bound logger that
// has no scope but has its own span keeps the span and gains the scope.
func TestBoundLoggerKeepsOwnContext(t *testing.T) {
	var sink logtest.Buffer
	ctx, end := Start(context.Background(), Options{CorrelationID: "s-2", Logger: slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))})
	defer end(nil)
	l := Logger(ctx)
	child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9}})
	l.InfoContext(withSpan(context.Background(), child), "child")
	// A context with a scope of its own is used as is.
	other, end2 := Start(context.Background(), Options{CorrelationID: "other"})
	defer end2(nil)
	l.InfoContext(other, "other")
	want := []string{
		`{"level":"INFO","msg":"child","correlation_id":"s-2","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"0909090909090909"}`,
		`{"level":"INFO","msg":"other","correlation_id":"other"}`,
	}
	got := textLines(&sink)
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBoundLoggerEnabledSeesScope(t *testing.T) {
	ctx, end := Start(context.Background(), Options{CorrelationID: "e"})
	defer end(nil)
	var seen string
	l := Logger(WithLogger(ctx, slog.New(enabledProbe{&seen})))
	l.Info("x")
	if seen != "e" {
		t.Errorf("Enabled saw correlation ID %q, want e", seen)
	}
}

// enabledProbe records the correlation ID its Enabled sees.
type enabledProbe struct{ seen *string }

func (p enabledProbe) Enabled(ctx context.Context, _ slog.Level) bool {
	*p.seen = CorrelationID(ctx)
	return true
}
func (p enabledProbe) Handle(context.Context, slog.Record) error { return nil }
func (p enabledProbe) WithAttrs([]slog.Attr) slog.Handler        { return p }
func (p enabledProbe) WithGroup(string) slog.Handler             { return p }
