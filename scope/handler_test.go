package scope

import (
	"context"
	"encoding/json"
	slogmulti "github.com/samber/slog-multi"
	"log/slog"
	"sync"
	"testing"
	"testing/slogtest"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

func TestHandlerSlogtest(t *testing.T) {
	var sink logtest.Buffer
	h := NewHandler(slog.NewJSONHandler(&sink, nil), HandlerOptions{})
	results := func() []map[string]any { return sink.Lines(t) }
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Fatal(err)
	}
}

// TestHandlerSlogtestWithScope runs slogtest with a scope and a span bound
// to every record (slogtest logs without a context, so the logger is bound
// with WithLogger and Logger): the handler's own attributes are at the top level, and
// slogtest's checks on everything else still hold.
func TestHandlerSlogtestWithScope(t *testing.T) {
	var sink logtest.Buffer
	ctx, end := Start(withSpan(context.Background(), testSpanContext), Options{CorrelationID: "job-1"})
	defer end(nil)
	h := Logger(WithLogger(ctx, slog.New(NewHandler(slog.NewJSONHandler(&sink, nil), HandlerOptions{})))).Handler()
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		sink.Reset()
		return h
	}, func(t *testing.T) map[string]any {
		recs := sink.Lines(t)
		if len(recs) != 1 {
			t.Fatalf("got %d records, want 1", len(recs))
		}
		r := recs[0]
		want := map[string]any{keyCorrelationID: "job-1", keyTraceID: testTraceID.String(), keySpanID: testSpanID.String()}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%s = %v, want %v", k, r[k], v)
			}
			delete(r, k)
		}
		return r
	})
}

// scopedContext returns a context with a scope (ID id) and the span sc.
func scopedContext(id string, sc trace.SpanContext) (context.Context, func(error)) {
	return Start(context.Background(), Options{CorrelationID: id, SpanContext: sc})
}

func TestHandlerAttributes(t *testing.T) {
	scopeCtx, end := scopedContext("req-1", noSpan)
	defer end(nil)
	traceCtx, end2 := scopedContext("req-2", testSpanContext)
	defer end2(nil)
	otherSpan := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}})
	for _, tc := range []struct {
		name string
		ctx  context.Context
		opts HandlerOptions
		log  func(l *slog.Logger, ctx context.Context)
		want string
	}{
		{
			name: "no scope, no span",
			ctx:  context.Background(),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m", "a", 1) },
			want: `{"level":"INFO","msg":"m","a":1}`,
		},
		{
			name: "span only",
			ctx:  withSpan(context.Background(), testSpanContext),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m", "a", 1) },
			want: `{"level":"INFO","msg":"m","a":1,"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}`,
		},
		{
			name: "scope",
			ctx:  scopeCtx,
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m", "a", 1) },
			want: `{"level":"INFO","msg":"m","a":1,"correlation_id":"req-1"}`,
		},
		{
			name: "scope with span",
			ctx:  traceCtx,
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			want: `{"level":"INFO","msg":"m","correlation_id":"req-2","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}`,
		},
		{
			name: "child span in the context wins over the scope's",
			ctx:  withSpan(traceCtx, otherSpan),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			want: `{"level":"INFO","msg":"m","correlation_id":"req-2","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"0102030405060708"}`,
		},
		{
			name: "omit trace",
			ctx:  traceCtx,
			opts: HandlerOptions{OmitTrace: true},
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			want: `{"level":"INFO","msg":"m","correlation_id":"req-2"}`,
		},
		{
			name: "with attrs before",
			ctx:  scopeCtx,
			log:  func(l *slog.Logger, ctx context.Context) { l.With("svc", "x").InfoContext(ctx, "m", "a", 1) },
			want: `{"level":"INFO","msg":"m","svc":"x","a":1,"correlation_id":"req-1"}`,
		},
		{
			name: "correlation_id already bound is not repeated",
			ctx:  traceCtx,
			log:  func(l *slog.Logger, ctx context.Context) { l.With("correlation_id", "mine").InfoContext(ctx, "m") },
			want: `{"level":"INFO","msg":"m","correlation_id":"mine","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}`,
		},
		{
			name: "group: attributes go to the top level",
			ctx:  scopeCtx,
			log: func(l *slog.Logger, ctx context.Context) {
				l.With("svc", "x").WithGroup("g").With("b", 2).WithGroup("h").InfoContext(ctx, "m", "a", 1)
			},
			want: `{"level":"INFO","msg":"m","svc":"x","correlation_id":"req-1","g":{"b":2,"h":{"a":1}}}`,
		},
		{
			name: "group, no record attrs: empty inner group dropped as slog does",
			ctx:  scopeCtx,
			log: func(l *slog.Logger, ctx context.Context) {
				l.WithGroup("g").With("b", 2).WithGroup("h").InfoContext(ctx, "m")
			},
			want: `{"level":"INFO","msg":"m","correlation_id":"req-1","g":{"b":2}}`,
		},
		{
			name: "group, nothing in it",
			ctx:  scopeCtx,
			log:  func(l *slog.Logger, ctx context.Context) { l.WithGroup("g").InfoContext(ctx, "m") },
			want: `{"level":"INFO","msg":"m","correlation_id":"req-1"}`,
		},
		{
			name: "group without scope passes as is",
			ctx:  context.Background(),
			log:  func(l *slog.Logger, ctx context.Context) { l.WithGroup("g").With("b", 2).InfoContext(ctx, "m", "a", 1) },
			want: `{"level":"INFO","msg":"m","g":{"b":2,"a":1}}`,
		},
		{
			name: "correlation_id inside a group does not count as bound",
			ctx:  scopeCtx,
			log: func(l *slog.Logger, ctx context.Context) {
				l.WithGroup("g").With("correlation_id", "x").InfoContext(ctx, "m")
			},
			want: `{"level":"INFO","msg":"m","correlation_id":"req-1","g":{"correlation_id":"x"}}`,
		},
		{
			name: "many attributes",
			ctx:  scopeCtx,
			log: func(l *slog.Logger, ctx context.Context) {
				l.InfoContext(ctx, "m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
			},
			want: `{"level":"INFO","msg":"m","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"correlation_id":"req-1"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink logtest.Buffer
			l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), tc.opts))
			tc.log(l, tc.ctx)
			lines := textLines(&sink)
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1: %q", len(lines), lines)
			}
			if diff := cmp.Diff(tc.want, lines[0]); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			// The same record without the handler, minus its attributes,
			// must decode to the same thing: nothing else changed.
			var plain logtest.Buffer
			tc.log(slog.New(plain.JSONHandler(slog.LevelDebug)), tc.ctx)
			var got, want map[string]any
			_ = json.Unmarshal([]byte(lines[0]), &got)
			_ = json.Unmarshal([]byte(textLines(&plain)[0]), &want)
			for _, k := range []string{keyCorrelationID, keyTraceID, keySpanID} {
				if _, ok := want[k]; !ok {
					delete(got, k)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("beyond the correlation attributes, output differs from the plain handler (-plain +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerStats(t *testing.T) {
	var sink logtest.Buffer
	h := NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{})
	l := slog.New(h)
	ctx, end := scopedContext("a", testSpanContext)
	defer end(nil)
	l.Info("no scope")
	l.InfoContext(ctx, "scope")
	l.WithGroup("g").InfoContext(ctx, "grouped", "k", 1)
	l.InfoContext(withSpan(context.Background(), testSpanContext), "span only")
	want := Stats{Records: 4, WithCorrelationID: 2, WithTrace: 3, Regrouped: 1, ChainsBuilt: 1}
	if diff := cmp.Diff(want, h.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// TestHandlerAllocs checks that a record with a scope and a span costs no
// allocation beyond the record itself.
func TestHandlerAllocs(t *testing.T) {
	h := NewHandler(logtest.Nop{}, HandlerOptions{})
	ctx, end := scopedContext("a", testSpanContext)
	defer end(nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Int("a", 1))
	if n := testing.AllocsPerRun(1000, func() { _ = h.Handle(ctx, r) }); n != 0 {
		t.Errorf("Handle allocates %v times, want 0", n)
	}
	child := withSpan(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}}))
	_ = h.Handle(child, r)
	if n := testing.AllocsPerRun(1000, func() { _ = h.Handle(child, r) }); n != 0 {
		t.Errorf("Handle under a child span allocates %v times, want 0 after its first record", n)
	}
	noScope := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _ = h.Handle(noScope, r) }); n != 0 {
		t.Errorf("Handle without scope allocates %v times, want 0", n)
	}
}

func TestHandlerForeignScope(t *testing.T) {
	// A scope put in the context by someone else (no cached state) still
	// gets its attributes.
	var sink logtest.Buffer
	l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))
	ctx := reqscope.NewContext(context.Background(), reqscope.New("f-1", testSpanContext, reqscope.Decision{}))
	l.InfoContext(ctx, "m")
	want := `{"level":"INFO","msg":"m","correlation_id":"f-1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}`
	if got := textLines(&sink); len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestHandlerComposesWithPipe: the handler composes through slogmulti.Pipe
// with a closure over NewHandler.
func TestHandlerComposesWithPipe(t *testing.T) {
	var sink logtest.Buffer
	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler { return NewHandler(next, HandlerOptions{OmitTrace: true}) })
	l := slog.New(pipe.Handler(sink.JSONHandler(slog.LevelDebug)))
	ctx, end := scopedContext("c", testSpanContext)
	defer end(nil)
	l.InfoContext(ctx, "m")
	want := `{"level":"INFO","msg":"m","correlation_id":"c"}`
	if got := textLines(&sink); len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestHandlerSiblingsDoNotShare: handlers derived from one parent under a
// group keep their own attributes.
func TestHandlerSiblingsDoNotShare(t *testing.T) {
	var sink logtest.Buffer
	ctx, end := scopedContext("s", noSpan)
	defer end(nil)
	base := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{})).WithGroup("g").With("a", 1)
	x := base.With("b", 2)
	y := base.With("c", 3)
	x.WithGroup("h").InfoContext(ctx, "x", "k", 1)
	y.InfoContext(ctx, "y")
	x.InfoContext(ctx, "x2")
	want := []string{
		`{"level":"INFO","msg":"x","correlation_id":"s","g":{"a":1,"b":2,"h":{"k":1}}}`,
		`{"level":"INFO","msg":"y","correlation_id":"s","g":{"a":1,"c":3}}`,
		`{"level":"INFO","msg":"x2","correlation_id":"s","g":{"a":1,"b":2}}`,
	}
	if diff := cmp.Diff(want, textLines(&sink)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestHandlerConcurrentChildSpans logs from many goroutines under
// alternating child spans of one request: every line must carry the span
// it was logged under (the per-request cache of child span IDs must never
// hand out another span's IDs).
func TestHandlerConcurrentChildSpans(t *testing.T) {
	var sink logtest.Buffer
	ctx, end := scopedContext("cc", testSpanContext)
	defer end(nil)
	l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))
	spans := make([]context.Context, 4)
	for i := range spans {
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}})
		spans[i] = withSpan(ctx, sc)
	}
	const goroutines, each = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				k := (g + i) % len(spans)
				l.InfoContext(spans[k], "m", "k", k)
			}
		})
	}
	wg.Wait()
	recs := sink.Lines(t)
	if len(recs) != goroutines*each {
		t.Fatalf("got %d records, want %d", len(recs), goroutines*each)
	}
	for _, r := range recs {
		k := int(r["k"].(float64))
		want := trace.SpanID{0, 0, 0, 0, 0, 0, 0, byte(k + 1)}.String()
		if r[keySpanID] != want || r[keyCorrelationID] != "cc" || r[keyTraceID] != testTraceID.String() {
			t.Fatalf("record %v: want span_id %s", r, want)
		}
	}
}

// TestNewHandlerNilNext: a nil next handler panics with a message naming
// the package and the constructor.
func TestNewHandlerNilNext(t *testing.T) {
	defer func() {
		if got, want := recover(), "scope: NewHandler: nil next handler"; got != want {
			t.Errorf("recovered %v, want %q", got, want)
		}
	}()
	NewHandler(nil, HandlerOptions{})
}
