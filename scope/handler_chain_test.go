package scope

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
	"go.opentelemetry.io/otel/trace"
)

// historyOp is one With or WithGroup call of a random logger history.
type historyOp struct {
	group string // WithGroup(group) when attrs is nil
	attrs []any
}

func (op historyOp) apply(l *slog.Logger) *slog.Logger {
	if op.attrs == nil {
		return l.WithGroup(op.group)
	}
	return l.With(op.attrs...)
}

// randomHistory returns 0 to 5 With/WithGroup calls; top-level With calls
// sometimes bind a correlation key themselves.
func randomHistory(rng *rand.Rand) []historyOp {
	var ops []historyOp
	grouped := false
	for i := range rng.IntN(6) {
		switch rng.IntN(4) {
		case 0:
			ops = append(ops, historyOp{group: fmt.Sprintf("g%d", i)})
			grouped = true
		case 1:
			if !grouped {
				key := []string{keyCorrelationID, keyTraceID, keySpanID}[rng.IntN(3)]
				ops = append(ops, historyOp{attrs: []any{key, "bound"}})
				continue
			}
			fallthrough
		default:
			ops = append(ops, historyOp{attrs: []any{fmt.Sprintf("w%d", i), rng.IntN(100), "s", "x"}})
		}
	}
	return ops
}

// expectedLine logs through a plain JSON handler the layout Handler must
// produce: the correlation attributes corr at the top level, after the
// attributes bound before the first group, or after the record's own
// attributes when no group is open.
func expectedLine(t *testing.T, ops []historyOp, corr []any, msg string, args []any) string {
	t.Helper()
	var plain logtest.Buffer
	l := slog.New(plain.JSONHandler(slog.LevelDebug))
	inserted := false
	for _, op := range ops {
		if op.attrs == nil && !inserted {
			if len(corr) > 0 {
				l = l.With(corr...)
			}
			inserted = true
		}
		l = op.apply(l)
	}
	if !inserted {
		args = append(append([]any(nil), args...), corr...)
	}
	l.Info(msg, args...)
	return plain.String()
}

// TestHandlerLayoutProperty checks, for random With/WithGroup histories
// and every kind of context (scope, scope with span, child span, span
// without scope, none), that the output is byte for byte the plain
// handler's with the correlation attributes at the top level, including
// records of one history logged with several spans in one scope.
func TestHandlerLayoutProperty(t *testing.T) {
	childSpan := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{9, 8, 7, 6, 5, 4, 3, 2}})
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		ops := randomHistory(rng)
		var sink logtest.Buffer
		base := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))
		l := base
		bound := map[string]bool{}
		grouped := false
		for _, op := range ops {
			if op.attrs == nil {
				grouped = true
			} else if !grouped {
				bound[op.attrs[0].(string)] = true
			}
			l = op.apply(l)
		}
		scopeCtx, end := scopedContext(fmt.Sprintf("req-%d", seed), testSpanContext)
		plainScope, end2 := scopedContext(fmt.Sprintf("plain-%d", seed), noSpan)
		for _, c := range []struct {
			name      string
			ctx       context.Context
			id        string
			span      trace.SpanContext
			wantLines int
		}{
			{"no scope", context.Background(), "", noSpan, 1},
			{"scope without span", plainScope, fmt.Sprintf("plain-%d", seed), noSpan, 1},
			{"scope and span", scopeCtx, fmt.Sprintf("req-%d", seed), testSpanContext, 1},
			{"child span", withSpan(scopeCtx, childSpan), fmt.Sprintf("req-%d", seed), childSpan, 1},
			{"scope span again", scopeCtx, fmt.Sprintf("req-%d", seed), testSpanContext, 1},
			{"span without scope", withSpan(context.Background(), childSpan), "", childSpan, 1},
		} {
			var corr []any
			if c.id != "" && !bound[keyCorrelationID] {
				corr = append(corr, keyCorrelationID, c.id)
			}
			if c.span.IsValid() && !(bound[keyTraceID] && bound[keySpanID]) {
				if !bound[keyTraceID] {
					corr = append(corr, keyTraceID, c.span.TraceID().String())
				}
				if !bound[keySpanID] {
					corr = append(corr, keySpanID, c.span.SpanID().String())
				}
			}
			args := []any{"a", rng.IntN(10)}
			if rng.IntN(3) == 0 {
				args = nil
			}
			sink.Reset()
			l.InfoContext(c.ctx, "m", args...)
			want := expectedLine(t, ops, corr, "m", args)
			if got := sink.String(); got != want {
				t.Fatalf("seed %d, %s, history %+v:\n got %s\nwant %s", seed, c.name, ops, got, want)
			}
		}
		end(nil)
		end2(nil)
	}
}

// countingValuer counts its LogValue calls.
type countingValuer struct{ calls *atomic.Int64 }

func (v countingValuer) LogValue() slog.Value {
	v.calls.Add(1)
	return slog.StringValue("resolved")
}

// TestHandlerWithValuerResolvedOnce: a LogValuer bound with With under a
// group is resolved once, at With, however many records and scopes use the
// logger.
func TestHandlerWithValuerResolvedOnce(t *testing.T) {
	var calls atomic.Int64
	var sink logtest.Buffer
	l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{})).
		WithGroup("g").With("v", countingValuer{&calls})
	for i := range 3 {
		ctx, end := scopedContext(fmt.Sprintf("r%d", i), noSpan)
		for range 10 {
			l.InfoContext(ctx, "m")
		}
		end(nil)
	}
	l.Info("no scope")
	if got := calls.Load(); got != 1 {
		t.Errorf("LogValue called %d times, want 1", got)
	}
	lines := textLines(&sink)
	want := `{"level":"INFO","msg":"m","correlation_id":"r2","g":{"v":"resolved"}}`
	if len(lines) != 31 || lines[29] != want {
		t.Errorf("got %d lines, line 30 %q; want 31, %q", len(lines), lines[29], want)
	}
}

// TestHandlerWithMapSnapshot: a map bound with With under a group and
// changed afterwards (also while records are logged) shows its content at
// the With call in every scope's chain.
func TestHandlerWithMapSnapshot(t *testing.T) {
	var sink logtest.Buffer
	m := map[string]int{"a": 1}
	l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{})).
		WithGroup("g").With("m", m)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				m["a"] = i
				m[fmt.Sprint(i%5)] = i
			}
		}
	})
	for i := range 20 {
		ctx, end := scopedContext(fmt.Sprintf("r%d", i), noSpan)
		l.InfoContext(ctx, "m")
		end(nil)
	}
	close(stop)
	wg.Wait()
	for i, line := range textLines(&sink) {
		want := fmt.Sprintf(`{"level":"INFO","msg":"m","correlation_id":"r%d","g":{"m":{"a":1}}}`, i)
		if line != want {
			t.Fatalf("line %d = %s, want %s", i, line, want)
		}
	}
}

// TestHandlerChainsCachedPerScope: records of one scope under one grouped
// logger build one chain, whatever their number and goroutines; a child
// span gets its own; a record after the scope ended builds one for
// itself; and the cache holds at most maxScopeChains chains per scope.
func TestHandlerChainsCachedPerScope(t *testing.T) {
	h := NewHandler(logtest.Nop{}, HandlerOptions{})
	l := slog.New(h).WithGroup("g").With("a", 1)
	ctx, end := scopedContext("c", testSpanContext)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.InfoContext(ctx, "m")
			}
		})
	}
	wg.Wait()
	if got := h.Stats().ChainsBuilt; got < 1 || got > 8 {
		t.Fatalf("ChainsBuilt = %d after 800 records of one scope, want 1 (at most one per racing goroutine)", got)
	}
	before := h.Stats().ChainsBuilt
	child := withSpan(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 1, 1, 1, 1, 1, 1, 1}}))
	for range 10 {
		l.InfoContext(child, "m")
	}
	if got := h.Stats().ChainsBuilt - before; got != 1 {
		t.Errorf("a child span built %d chains for 10 records, want 1", got)
	}
	// Many loggers in one scope: the cache stays bounded.
	for i := range 3 * maxScopeChains {
		l.With("i", i).InfoContext(ctx, "m")
	}
	v, ok := scopeOf(ctx).Lookup(chainCacheKey)
	if !ok {
		t.Fatal("no chain cache attached to the scope")
	}
	if n := len(*v.(*chainCache).entries.Load()); n != maxScopeChains {
		t.Errorf("cache holds %d chains, want %d", n, maxScopeChains)
	}
	end(nil)
	if _, ok := scopeOf(ctx).Lookup(chainCacheKey); ok {
		t.Error("the chain cache outlives its scope")
	}
	before = h.Stats().ChainsBuilt
	l.InfoContext(ctx, "after end")
	l.InfoContext(ctx, "after end")
	if got := h.Stats().ChainsBuilt - before; got != 2 {
		t.Errorf("records after the end built %d chains, want 2 (one each, nothing cached)", got)
	}
}

// TestHandlerChainsFreedWithScopes: many requests, each logging under its
// own grouped logger, leave no memory behind once they end.
func TestHandlerChainsFreedWithScopes(t *testing.T) {
	h := NewHandler(slog.NewJSONHandler(discardWriter{}, nil), HandlerOptions{})
	base := slog.New(h).WithGroup("req")
	pad := string(make([]byte, 1024))
	run := func(n int) {
		for i := range n {
			ctx, end := scopedContext(fmt.Sprintf("r%d", i), testSpanContext)
			l := base.With("pad", pad, "i", i)
			l.InfoContext(ctx, "m")
			l.InfoContext(ctx, "m")
			end(nil)
		}
	}
	run(100) // warm up pools
	const scopes = 2000
	const bound = 256 << 10
	built := h.Stats().ChainsBuilt
	// The lowest of up to three measures: a goroutine of another test
	// allocating between the two reads raises one.
	grew, _ := logtest.Measure(3, func() int64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		run(scopes)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := h.Stats().ChainsBuilt - built; got != scopes {
			t.Errorf("ChainsBuilt grew by %d, want %d", got, scopes)
		}
		built += scopes
		return int64(after.HeapAlloc) - int64(before.HeapAlloc)
	}, func(lowest, _ int64) bool { return lowest <= bound })
	// Each scope's chain holds more than 1 KiB (the pre-rendered pad):
	// 2000 of them kept would be over 2 MiB.
	if grew > bound {
		t.Errorf("heap grew %d bytes over %d ended scopes, want < 256 KiB", grew, scopes)
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestHandlerGroupedAllocs: under an open group, a record of a scope whose
// chain is cached costs no allocation.
func TestHandlerGroupedAllocs(t *testing.T) {
	h := slog.New(NewHandler(logtest.Nop{}, HandlerOptions{})).WithGroup("g").With("a", 1).Handler()
	ctx, end := scopedContext("a", testSpanContext)
	defer end(nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Int("a", 1))
	_ = h.Handle(ctx, r)
	if n := testing.AllocsPerRun(1000, func() { _ = h.Handle(ctx, r) }); n != 0 {
		t.Errorf("Handle under a group allocates %v times, want 0", n)
	}
}

func TestHandlerGroupedStats(t *testing.T) {
	h := NewHandler(logtest.Nop{}, HandlerOptions{})
	ctx, end := scopedContext("a", noSpan)
	defer end(nil)
	l := slog.New(h).WithGroup("g")
	l.InfoContext(ctx, "m")
	l.InfoContext(ctx, "m")
	l.Info("no scope")
	want := Stats{Records: 3, WithCorrelationID: 2, Regrouped: 2, ChainsBuilt: 1}
	if diff := cmp.Diff(want, h.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
