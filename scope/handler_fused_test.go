package scope

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/logtest"
	"go.opentelemetry.io/otel/trace"
)

// tailWriter is a next handler that takes a tail (fuse.Handler): it
// writes through next a record it builds itself from the record's
// attributes followed by the tail's, and counts the tails it was given.
type tailWriter struct {
	next  slog.Handler
	tails *atomic.Int64
}

func (w tailWriter) Enabled(ctx context.Context, l slog.Level) bool { return w.next.Enabled(ctx, l) }
func (w tailWriter) Handle(ctx context.Context, r slog.Record) error {
	return w.next.Handle(ctx, r)
}
func (w tailWriter) WithAttrs(as []slog.Attr) slog.Handler {
	return tailWriter{next: w.next.WithAttrs(as), tails: w.tails}
}
func (w tailWriter) WithGroup(name string) slog.Handler {
	return tailWriter{next: w.next.WithGroup(name), tails: w.tails}
}
func (w tailWriter) HandleTail(ctx context.Context, r slog.Record, t fuse.Tail) error {
	w.tails.Add(1)
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
	for i := range t.Len() {
		out.AddAttrs(t.At(i))
	}
	return w.next.Handle(ctx, out)
}

// hidden passes everything to next and hides whether next takes a tail.
type hidden struct{ next slog.Handler }

func (h hidden) Enabled(ctx context.Context, l slog.Level) bool  { return h.next.Enabled(ctx, l) }
func (h hidden) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }
func (h hidden) WithAttrs(as []slog.Attr) slog.Handler           { return hidden{h.next.WithAttrs(as)} }
func (h hidden) WithGroup(name string) slog.Handler              { return hidden{h.next.WithGroup(name)} }

// randomContexts returns the kinds of context a record can be logged
// with: none, a scope with and without a span, a child span, values
// layered on them, a span without a scope, a scope that has ended.
func randomContexts(seed uint64) (ctxs []context.Context, end func()) {
	child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{9, 8, 7, 6, 5, 4, 3, byte(seed)}})
	traced, end1 := scopedContext(fmt.Sprintf("req-%d", seed), testSpanContext)
	plain, end2 := scopedContext(fmt.Sprintf("plain-%d", seed), noSpan)
	ended, end3 := scopedContext(fmt.Sprintf("ended-%d", seed), testSpanContext)
	end3(nil)
	ctxs = []context.Context{
		context.Background(), traced, plain, ended,
		layered(traced, 10), layered(plain, 3), layered(ended, 2),
		withSpan(traced, child), layered(withSpan(traced, child), 4), withSpan(layered(traced, 4), child),
		withSpan(plain, child), withSpan(context.Background(), child), layered(withSpan(context.Background(), child), 2),
	}
	return ctxs, func() { end1(nil); end2(nil) }
}

// randomArgs returns 0 to 8 attributes of assorted kinds, sometimes one
// with a correlation key of its own.
func randomArgs(rng *rand.Rand) []any {
	var args []any
	for i := range rng.IntN(9) {
		switch rng.IntN(6) {
		case 0:
			args = append(args, fmt.Sprintf("s%d", i), "v")
		case 1:
			args = append(args, fmt.Sprintf("n%d", i), rng.IntN(1000))
		case 2:
			args = append(args, slog.Group(fmt.Sprintf("grp%d", i), "a", 1, "b", true))
		case 3:
			args = append(args, slog.Group("", "inl", i))
		case 4:
			args = append(args, keyCorrelationID, "own")
		default:
			args = append(args, fmt.Sprintf("f%d", i), float64(i)/3)
		}
	}
	return args
}

// TestHandlerFusedSameOutput checks, for random histories, records and
// contexts, that a Handler over a next handler that takes a tail writes
// byte for byte what it writes over the same handler hidden behind a
// pass-through (which gets the rebuilt record), and that the tail was
// taken for every record given correlation attributes with no group open.
func TestHandlerFusedSameOutput(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 13))
		ops := randomHistory(rng)
		omit := rng.IntN(4) == 0
		var fusedOut, plainOut logtest.Buffer
		var tails atomic.Int64
		fusedH := NewHandler(tailWriter{next: fusedOut.JSONHandler(slog.LevelDebug), tails: &tails}, HandlerOptions{OmitTrace: omit})
		plainH := NewHandler(hidden{plainOut.JSONHandler(slog.LevelDebug)}, HandlerOptions{OmitTrace: omit})
		fused, plain := slog.New(fusedH), slog.New(plainH)
		grouped := false
		for _, op := range ops {
			fused, plain = op.apply(fused), op.apply(plain)
			grouped = grouped || op.attrs == nil
		}
		ctxs, end := randomContexts(seed)
		for range 20 {
			ctx := ctxs[rng.IntN(len(ctxs))]
			args := randomArgs(rng)
			fused.InfoContext(ctx, "m", args...)
			plain.InfoContext(ctx, "m", args...)
		}
		end()
		if diff := cmp.Diff(plainOut.String(), fusedOut.String()); diff != "" {
			t.Fatalf("seed %d, history %+v, omit trace %v: fused output differs (-unfused +fused):\n%s", seed, ops, omit, diff)
		}
		added := plainH.Stats().WithCorrelationID + plainH.Stats().WithTrace
		switch {
		case grouped && tails.Load() != 0:
			t.Fatalf("seed %d: %d tails passed with a group open, want 0", seed, tails.Load())
		case !grouped && added > 0 && tails.Load() == 0:
			t.Fatalf("seed %d: no tail passed for %d added correlation attributes", seed, added)
		}
		if diff := cmp.Diff(plainH.Stats(), fusedH.Stats()); diff != "" {
			t.Fatalf("seed %d: stats differ (-unfused +fused):\n%s", seed, diff)
		}
	}
}

// TestHandlerTailNoClone checks that a record given correlation
// attributes is not cloned when the next handler takes a tail: a record
// with five attributes (a full record) costs no allocation, where the
// rebuilt record an unfused next handler gets costs at least one.
func TestHandlerTailNoClone(t *testing.T) {
	ctx, end := scopedContext("a", testSpanContext)
	defer end(nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "m", 0)
	for i := range 5 {
		r.AddAttrs(slog.Int(fmt.Sprintf("a%d", i), i))
	}
	for _, tc := range []struct {
		name string
		next slog.Handler
		tail bool
	}{
		{"takes a tail", nopTail{}, true},
		{"plain next", logtest.Nop{}, false},
	} {
		h := NewHandler(tc.next, HandlerOptions{})
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{{"exact", ctx}, {"layered", layered(ctx, 10)}} {
			_ = h.Handle(c.ctx, r)
			n := testing.AllocsPerRun(1000, func() { _ = h.Handle(c.ctx, r) })
			if tc.tail && n != 0 {
				t.Errorf("%s, %s context: Handle allocates %v times, want 0", tc.name, c.name, n)
			}
			if !tc.tail && n == 0 {
				t.Errorf("%s, %s context: Handle does not allocate: the rebuilt record should", tc.name, c.name)
			}
		}
	}
}

// walkCounter is a context that counts the lookups that walk through it.
type walkCounter struct {
	context.Context
	walks atomic.Int64
}

func (c *walkCounter) Value(key any) any {
	c.walks.Add(1)
	return c.Context.Value(key)
}

// TestHandlerOneContextWalk checks that a record logged with a context
// layered on the scope's (as middleware leaves a request's context) walks
// the context chain once, after the first record logged with that
// context, whatever span the context carries; and that the span found is
// the context's, for contexts that share the scope.
func TestHandlerOneContextWalk(t *testing.T) {
	child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}})
	for _, tc := range []struct {
		name      string
		span      trace.SpanContext // the scope's span
		childSpan bool              // a child span above the counter
	}{
		{"scope without span", noSpan, false},
		{"scope and span", testSpanContext, false},
		{"child span", testSpanContext, true},
		{"child span, scope without span", noSpan, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scopeCtx, end := scopedContext("w", tc.span)
			defer end(nil)
			wc := &walkCounter{Context: scopeCtx}
			var ctx context.Context = wc
			want := tc.span
			if tc.childSpan {
				ctx = withSpan(ctx, child)
				want = child
			}
			ctx = layered(ctx, 10)
			var sink logtest.Buffer
			l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))
			l.InfoContext(ctx, "first")
			wc.walks.Store(0)
			for range 10 {
				l.InfoContext(ctx, "again")
			}
			if got := wc.walks.Load(); got != 10 {
				t.Errorf("10 records walked the context %d times, want 10", got)
			}
			// Another context of the same scope, and back: each finds its span.
			other := layered(scopeCtx, 2)
			l.InfoContext(other, "other")
			l.InfoContext(ctx, "again")
			lines := sink.Lines(t)
			spanOf := func(sc trace.SpanContext) any {
				if !sc.IsValid() {
					return nil
				}
				return sc.SpanID().String()
			}
			wantSpans := []any{spanOf(want)}
			for range 10 {
				wantSpans = append(wantSpans, spanOf(want))
			}
			wantSpans = append(wantSpans, spanOf(tc.span), spanOf(want))
			var gotSpans []any
			for _, line := range lines {
				gotSpans = append(gotSpans, line[keySpanID])
			}
			if diff := cmp.Diff(wantSpans, gotSpans); diff != "" {
				t.Errorf("span_id per record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandlerStatsExactParallel logs a known mix of records from many
// goroutines at once and checks that every counter is exact.
func TestHandlerStatsExactParallel(t *testing.T) {
	h := NewHandler(nopTail{}, HandlerOptions{})
	l := slog.New(h)
	grouped := l.WithGroup("g")
	traced, end := scopedContext("t", testSpanContext)
	defer end(nil)
	plain, end2 := scopedContext("p", noSpan)
	defer end2(nil)
	spanOnly := withSpan(context.Background(), testSpanContext)
	const goroutines, perKind = 16, 200
	// A reader checks, while records are handled, that no Stats read shows
	// more records given an attribute than records handled.
	stop := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			if st := h.Stats(); st.WithCorrelationID > st.Records || st.WithTrace > st.Records {
				t.Errorf("Stats read while logging: %+v, an attribute count above Records", st)
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctxs := []context.Context{traced, layered(plain, g%4), spanOnly, context.Background()}
			for range perKind {
				for _, ctx := range ctxs {
					l.InfoContext(ctx, "m")
				}
				grouped.InfoContext(traced, "m", "k", 1)
			}
		})
	}
	wg.Wait()
	close(stop)
	reader.Wait()
	n := uint64(goroutines * perKind)
	want := Stats{Records: 5 * n, WithCorrelationID: 3 * n, WithTrace: 3 * n, Regrouped: n}
	got := h.Stats()
	got.ChainsBuilt = 0 // concurrent first records may each build the chain
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// mapContext is a context of a type that cannot be compared with ==.
type mapContext struct {
	context.Context
	m map[string]int
}

// anyContext is a context of a type that can be compared with == but
// whose values panic when compared if both hold an uncomparable value.
type anyContext struct {
	context.Context
	v any
}

// TestHandlerUncomparableContext checks that records logged with
// contexts that cannot be compared (which the handler must not remember,
// as comparing two of them panics) get their scope's attributes: of a
// type that cannot be compared, and of a type that can but holding a
// value that cannot, alone or wrapping one another.
func TestHandlerUncomparableContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(ctx context.Context, i int) context.Context
	}{
		{"uncomparable type", func(ctx context.Context, i int) context.Context {
			return mapContext{Context: ctx, m: map[string]int{"i": i}}
		}},
		{"slice in interface field", func(ctx context.Context, i int) context.Context {
			return anyContext{Context: ctx, v: []int{i}}
		}},
		{"uncomparable context in embedded context", func(ctx context.Context, i int) context.Context {
			return anyContext{Context: mapContext{Context: ctx, m: map[string]int{"i": i}}}
		}},
		{"pointer to uncomparable", func(ctx context.Context, i int) context.Context {
			return &mapContext{Context: ctx, m: map[string]int{"i": i}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scopeCtx, end := scopedContext("u", testSpanContext)
			defer end(nil)
			var sink logtest.Buffer
			l := slog.New(NewHandler(sink.JSONHandler(slog.LevelDebug), HandlerOptions{}))
			for i := range 3 {
				l.InfoContext(tc.wrap(scopeCtx, i), "m")
			}
			var got []any
			for _, line := range sink.Lines(t) {
				got = append(got, line[keyCorrelationID], line[keySpanID])
			}
			span := testSpanContext.SpanID().String()
			if diff := cmp.Diff([]any{"u", span, "u", span, "u", span}, got); diff != "" {
				t.Errorf("correlation_id, span_id per record (-want +got):\n%s", diff)
			}
		})
	}
}
