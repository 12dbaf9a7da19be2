package scope

import (
	"context"
	"reflect"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"go.opentelemetry.io/otel/trace"
)

// scopeSpans is what the handler keeps on a scope to find the span of a
// record's context without walking the context chain again: the hex IDs
// of the scope's own span, and the span found in the last context a
// record of the scope was logged with. A request logs most records with
// one context (the request's, with the values its middleware layered on
// it); for that context the span is looked up once. It is attached to the
// scope (reqscope.Scope.Attach), shared by every Handler, and released
// when the scope ends.
type scopeSpans struct {
	own  spanIDs // the scope's span; zero IDs and "" when it has none
	last atomic.Pointer[ctxSpan]
}

// spanIDs is a span's IDs and their hex forms; "" for no valid span.
type spanIDs struct {
	traceID           trace.TraceID
	spanID            trace.SpanID
	traceHex, spanHex string
}

// ctxSpan is the span that trace.SpanContextFromContext finds in ctx
// (else the scope's own), as hex IDs. A context's values do not change,
// so the same context always finds the same span.
type ctxSpan struct {
	ctx context.Context
	spanIDs
}

// scopeSpansKeyType makes scopeSpansKey a key no other package can make.
type scopeSpansKeyType struct{ _ byte }

// scopeSpansKey is the key of the scopeSpans attached to a scope.
var scopeSpansKey = &scopeSpansKeyType{}

// spansOf returns the scopeSpans of s, attaching it on first use, and
// false when s has ended (it holds no per-scope state then). ctx carries
// s: the scope's hex IDs are taken from its state when it has one.
func spansOf(ctx context.Context, s *reqscope.Scope) (*scopeSpans, bool) {
	if v, ok := s.Lookup(scopeSpansKey); ok {
		return v.(*scopeSpans), true
	}
	v, ok := s.Attach(scopeSpansKey, func() any { return newScopeSpans(ctx, s) })
	if !ok {
		return nil, false
	}
	return v.(*scopeSpans), true
}

// newScopeSpans returns the scopeSpans of s with the hex IDs of its span,
// shared with its state in ctx when there is one.
func newScopeSpans(ctx context.Context, s *reqscope.Scope) *scopeSpans {
	c := new(scopeSpans)
	sc := s.SpanContext()
	if !sc.IsValid() {
		return c
	}
	c.own = spanIDs{traceID: sc.TraceID(), spanID: sc.SpanID()}
	if st := scopectx.From(ctx); st != nil && st.Scope == s && st.TraceID != "" {
		c.own.traceHex, c.own.spanHex = st.TraceID, st.SpanID
	} else {
		c.own.traceHex, c.own.spanHex = sc.TraceID().String(), sc.SpanID().String()
	}
	return c
}

// ids returns the hex trace and span IDs for a record of the scope logged
// with ctx: those of the valid span context in ctx, else of the scope's
// span, else "". For the context seen last it does not walk the context
// chain; for another it walks it once and remembers it.
func (c *scopeSpans) ids(ctx context.Context) (traceID, spanID string) {
	last := c.last.Load()
	if last != nil && last.ctx == ctx {
		return last.traceHex, last.spanHex
	}
	sc := trace.SpanContextFromContext(ctx)
	var found spanIDs
	switch {
	case !sc.IsValid() || sc.TraceID() == c.own.traceID && sc.SpanID() == c.own.spanID:
		found = c.own
	case last != nil && last.traceHex != "" && sc.TraceID() == last.traceID && sc.SpanID() == last.spanID:
		found = last.spanIDs
	default:
		found = spanIDs{traceID: sc.TraceID(), spanID: sc.SpanID(), traceHex: sc.TraceID().String(), spanHex: sc.SpanID().String()}
	}
	if isComparable(ctx) {
		c.last.Store(&ctxSpan{ctx: ctx, spanIDs: found})
	}
	return found.traceHex, found.spanHex
}

// isComparable reports whether ctx can be compared with == without a
// panic: its type is comparable and so is every value held in its
// interface fields (a struct with a context.Context or an any field is a
// comparable type, yet comparing two of them panics when both hold a
// slice, a map or a context of such a type). Only such a context is
// remembered: comparing it with any other context then cannot panic, as
// two interfaces are compared further only when their dynamic types are
// identical, and each dynamic type in ctx is comparable.
func isComparable(ctx context.Context) bool {
	return reflect.ValueOf(ctx).Comparable()
}
