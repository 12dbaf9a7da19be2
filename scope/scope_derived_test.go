package scope

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

type derivedTestKey struct{}

// overrideCtx answers Value for one key itself and delegates the rest.
type overrideCtx struct {
	context.Context
	key, value any
}

func (c overrideCtx) Value(key any) any {
	if key == c.key {
		return c.value
	}
	return c.Context.Value(key)
}

// hidingCtx answers no key: a context that carries nothing of its parent.
type hidingCtx struct{ context.Context }

func (hidingCtx) Value(any) any { return nil }

// TestScopeFoundThroughDerivedContexts checks, for contexts derived from a
// scope's context by the context package and by other packages, and for a
// scope nested in another one under such a context, that the scope found
// (by CorrelationID, by Handler, and by a nested Start's parent lookups)
// is the innermost one the context carries, and none once a context hides
// its parent's values. Each scope is ended before the next case starts;
// an ended scope's context still names it.
func TestScopeFoundThroughDerivedContexts(t *testing.T) {
	other := reqscope.New("other", noSpan, reqscope.Decision{})
	var cancels []context.CancelFunc
	defer func() {
		for _, cancel := range cancels {
			cancel()
		}
	}()
	derive := []struct {
		name   string
		derive func(context.Context) context.Context
		hides  bool // the derived context carries no scope
		other  bool // the derived context carries the scope "other"
	}{
		{"exact", func(c context.Context) context.Context { return c }, false, false},
		{"WithValue", func(c context.Context) context.Context { return context.WithValue(c, derivedTestKey{}, 1) }, false, false},
		{"WithoutCancel", context.WithoutCancel, false, false},
		{"WithCancel", func(c context.Context) context.Context {
			c, cancel := context.WithCancel(c)
			cancels = append(cancels, cancel)
			return c
		}, false, false},
		{"WithTimeout", func(c context.Context) context.Context {
			c, cancel := context.WithTimeout(c, time.Hour)
			cancels = append(cancels, cancel)
			return c
		}, false, false},
		{"override of another key", func(c context.Context) context.Context { return overrideCtx{c, derivedTestKey{}, 2} }, false, false},
		{"WithLogger", func(c context.Context) context.Context { return WithLogger(c, slog.Default()) }, false, false},
		{"WithLogger of WithoutCancel", func(c context.Context) context.Context {
			return WithLogger(context.WithoutCancel(c), slog.Default())
		}, false, false},
		{"hiding", func(c context.Context) context.Context { return hidingCtx{c} }, true, false},
		{"another scope put in", func(c context.Context) context.Context { return reqscope.NewContext(c, other) }, false, true},
	}
	for _, d := range derive {
		t.Run(d.name, func(t *testing.T) {
			outer, endOuter := Start(context.Background(), Options{CorrelationID: "outer"})
			derived := d.derive(outer)
			inner, endInner := Start(derived, Options{CorrelationID: "inner"})
			innerDerived := d.derive(inner)
			want := func(id string) string {
				switch {
				case d.hides:
					return ""
				case d.other:
					return "other"
				}
				return id
			}
			cases := []struct {
				name string
				ctx  context.Context
				want string
			}{
				{"outer", outer, "outer"},
				{"derived from outer", derived, want("outer")},
				{"inner", inner, "inner"},
				{"derived from inner", innerDerived, want("inner")},
			}
			check := func(when string) {
				t.Helper()
				for _, c := range cases {
					if got := CorrelationID(c.ctx); got != c.want {
						t.Errorf("%s: CorrelationID(%s) = %q, want %q", when, c.name, got, c.want)
					}
					if got := handlerCorrelationID(t, c.ctx); got != c.want {
						t.Errorf("%s: Handler wrote correlation_id %q for %s, want %q", when, got, c.name, c.want)
					}
				}
			}
			check("open")
			endInner(nil)
			endOuter(nil)
			check("ended")
		})
	}
}

// handlerCorrelationID logs one record with ctx through a Handler and
// returns the correlation_id written ("" for none).
func handlerCorrelationID(t *testing.T, ctx context.Context) string {
	t.Helper()
	var buf bytes.Buffer
	slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), HandlerOptions{})).InfoContext(ctx, "m")
	var rec struct {
		ID string `json:"correlation_id"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v in %q", err, buf.Bytes())
	}
	return rec.ID
}

// keepEndListener counts the calls a scope makes to it.
type keepEndListener struct {
	mu           sync.Mutex
	kept, ended  int
	keptAtCreate bool
}

func (l *keepEndListener) ScopeKept(*reqscope.Scope) {
	l.mu.Lock()
	l.kept++
	l.mu.Unlock()
}

func (l *keepEndListener) ScopeEnded(*reqscope.Scope) {
	l.mu.Lock()
	l.ended++
	l.mu.Unlock()
}

// TestAttachWhileKeepAndEndRun attaches listeners to a scope opened by
// Start from several goroutines, first while Keep runs, then while the
// scope ends: every value attached while Keep ran is told of the keep at
// most once, and told once unless it was created after the scope was kept;
// every value attached (Attach reporting true) is told of the end exactly
// once; a value attached after the end is refused.
func TestAttachWhileKeepAndEndRun(t *testing.T) {
	for round := range 300 {
		ctx, end := Start(context.Background(), Options{CorrelationID: "c"})
		s := scopeOf(ctx)
		var all []*keepEndListener
		// attachWhile attaches listeners from 4 goroutines while op runs.
		attachWhile := func(phase int, op func()) []*keepEndListener {
			const attachers, perAttacher = 4, 8
			attached := make([][]*keepEndListener, attachers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for g := range attachers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := range perAttacher {
						v, ok := s.Attach([3]int{phase, g, i}, func() any { return &keepEndListener{keptAtCreate: s.Kept()} })
						if ok {
							attached[g] = append(attached[g], v.(*keepEndListener))
						}
					}
				}()
			}
			wg.Add(1)
			go func() { defer wg.Done(); <-start; op() }()
			close(start)
			wg.Wait()
			var out []*keepEndListener
			for _, a := range attached {
				out = append(out, a...)
			}
			return out
		}
		for i, l := range attachWhile(0, func() { Keep(ctx) }) {
			l.mu.Lock()
			kept, keptAtCreate := l.kept, l.keptAtCreate
			l.mu.Unlock()
			if kept > 1 || (kept == 0 && !keptAtCreate) {
				t.Fatalf("round %d, listener %d: told kept %d times, kept at creation %v", round, i, kept, keptAtCreate)
			}
			all = append(all, l)
		}
		all = append(all, attachWhile(1, func() { end(nil) })...)
		for i, l := range all {
			l.mu.Lock()
			ended := l.ended
			l.mu.Unlock()
			if ended != 1 {
				t.Fatalf("round %d, listener %d: told of the end %d times", round, i, ended)
			}
		}
		if _, ok := s.Attach("late", func() any { return new(keepEndListener) }); ok {
			t.Fatalf("round %d: attached after the end", round)
		}
		if diff := cmp.Diff([]bool{true, true}, []bool{s.Kept(), s.Ended()}); diff != "" {
			t.Fatalf("round %d: kept, ended (-want +got):\n%s", round, diff)
		}
	}
}

// TestWithLoggerKeepsContextSpan checks that a record logged with exactly
// a context made by WithLogger (which Handler reads without walking the
// context chain) carries the trace IDs of the span in that context, as
// one logged with a context derived from it does, also when the scope has
// no span of its own or another one, and through the logger Logger binds.
func TestWithLoggerKeepsContextSpan(t *testing.T) {
	scopeSpan := testSpanContext
	child := trace.NewSpanContext(trace.SpanContextConfig{TraceID: testTraceID, SpanID: trace.SpanID{7, 7, 7, 7, 7, 7, 7, 7}})
	for _, tc := range []struct {
		name        string
		scopeSpan   trace.SpanContext
		ctxSpan     trace.SpanContext // put into the scope's context before WithLogger
		wantSpan    trace.SpanContext
		wantTraceID bool
	}{
		{"no spans", noSpan, noSpan, noSpan, false},
		{"scope span only", scopeSpan, noSpan, scopeSpan, true},
		{"context span only", noSpan, child, child, true},
		{"child of the scope span", scopeSpan, child, child, true},
		{"scope span again", scopeSpan, scopeSpan, scopeSpan, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, end := Start(context.Background(), Options{CorrelationID: "c", SpanContext: tc.scopeSpan})
			defer end(nil)
			if tc.ctxSpan.IsValid() {
				ctx = withSpan(ctx, tc.ctxSpan)
			}
			var buf bytes.Buffer
			logger := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), HandlerOptions{}))
			wl := WithLogger(ctx, logger)
			logger.InfoContext(wl, "exact")
			logger.InfoContext(context.WithValue(wl, derivedTestKey{}, 1), "derived")
			Logger(wl).Info("bound")
			want := map[string]string{"correlation_id": "c"}
			if tc.wantTraceID {
				want["trace_id"], want["span_id"] = tc.wantSpan.TraceID().String(), tc.wantSpan.SpanID().String()
			}
			for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
				var rec struct {
					Msg     string `json:"msg"`
					ID      string `json:"correlation_id"`
					TraceID string `json:"trace_id"`
					SpanID  string `json:"span_id"`
				}
				if err := json.Unmarshal(line, &rec); err != nil {
					t.Fatalf("%v in %q", err, line)
				}
				got := map[string]string{"correlation_id": rec.ID}
				if rec.TraceID != "" || rec.SpanID != "" {
					got["trace_id"], got["span_id"] = rec.TraceID, rec.SpanID
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("record %q (-want +got):\n%s", rec.Msg, diff)
				}
			}
		})
	}
}
