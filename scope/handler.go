package scope

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"github.com/slogstack/slogstack/internal/snapshot"
	"go.opentelemetry.io/otel/trace"
)

// Keys of the correlation attributes Handler adds.
const (
	keyCorrelationID = "correlation_id"
	keyTraceID       = "trace_id"
	keySpanID        = "span_id"
)

// HandlerOptions configures Handler. The zero value adds correlation_id,
// trace_id and span_id.
type HandlerOptions struct {
	// OmitTrace leaves out trace_id and span_id (for a sink that stamps
	// them itself from the context, such as the OpenTelemetry log bridge).
	OmitTrace bool
}

// Stats are the counters of a Handler and of every handler derived from it
// with WithAttrs and WithGroup.
type Stats struct {
	// Records is the number of records handled.
	Records uint64
	// WithCorrelationID is the number of records given a correlation_id.
	WithCorrelationID uint64
	// WithTrace is the number of records given trace_id and span_id.
	WithTrace uint64
	// Regrouped is the number of records that were given correlation
	// attributes while a WithGroup group was open, and so went through a
	// chain built for their scope (see Handler).
	Regrouped uint64
	// ChainsBuilt is the number of such chains built: once per scope,
	// handler and span while a scope's cache has room (a record logged
	// after its scope ended, or with a span but no scope, builds one for
	// itself). ChainsBuilt much larger than the number of scopes means the
	// per-scope cache is too small for the loggers in use.
	ChainsBuilt uint64
}

// handlerCounters are the counters of a Handler and of the handlers
// derived from it. Those every record (or every record of a scope)
// touches are sharded, so that parallel callers do not share a cache
// line; building a chain is rare.
type handlerCounters struct {
	// byAttrs counts the records by the correlation attributes they were
	// given (an attrClass): a record costs one add, and Records,
	// WithCorrelationID and WithTrace are sums over the same reads, so
	// neither of the latter ever exceeds Records.
	byAttrs     [attrClasses]counter.Counter
	regrouped   counter.Counter
	chainsBuilt atomic.Uint64
}

// attrClass says which correlation attributes a record was given: a set
// of the bits below.
type attrClass int

const (
	classID     attrClass = 1 << iota // correlation_id
	classTrace                        // trace_id and span_id
	attrClasses = 1 << iota
)

// Handler is a slog.Handler that adds the correlation attributes of the
// record's context to every record and passes it to the next handler:
// correlation_id when the context carries a scope (Start, or the HTTP
// middleware of httpctx), and
// trace_id and span_id (lower-case hex) when the context carries a valid
// OpenTelemetry span context, or else the scope has one (from an incoming
// traceparent header). A record whose context carries neither passes
// unchanged, for the cost of two context lookups. The context is passed on
// unchanged.
//
// The attributes are always added at the top level of the record, after
// the attributes bound with WithAttrs before any group, so that a log
// search finds them in the same place in every line. With no group open
// they follow the record's own attributes: a next handler of this module
// (aggregation, redact) takes them beside the record, which is not
// copied; any other gets a copy of the record with them added. Under a group opened with WithGroup the
// record itself is never rebuilt: it goes, unchanged, through a chain made
// for its scope by replaying the handler's history on the next handler,
// with the correlation attributes inserted where the first group opens:
//
//	next.WithAttrs(before the group...).WithAttrs(correlation...).WithGroup(g).WithAttrs(...)...
//
// so every handler below sees the same WithAttrs and WithGroup calls, in
// the same order, whether a record has a scope or not (a marker bound with
// With, such as aggregation.System(), is seen where it was bound). Such a
// chain is built once per scope, handler and span, and cached on the scope
// (at most 16 per scope, the oldest replaced first); the cache
// is released when the scope ends. A record logged under a group after its
// scope ended, or with a span but no scope, gets a chain of its own.
//
// Attributes bound with WithAttrs after a group is open are snapshots
// taken at the call (LogValuers resolved once, there; maps and slices
// copied), so every chain replays the same values, and a caller that
// changes a map it bound changes nothing already bound.
//
// A key already bound at the top level with WithAttrs (for example a logger
// built with With("correlation_id", id)) is not added again. Keys in the
// record's own attributes are not checked.
type Handler struct {
	root slog.Handler // next, as it was before the first open group
	next slog.Handler // next with every WithAttrs and WithGroup applied
	// tailNext is next when it takes a tail (fuse.Handler), else nil.
	tailNext fuse.Handler
	hist     *history // the calls made from the first open group on; nil when no group is open
	present  uint8    // presentX bits: keys bound at the top level
	opts     HandlerOptions
	stats    *handlerCounters
}

const (
	presentID uint8 = 1 << iota
	presentTrace
	presentSpan
)

// NewHandler returns a Handler that adds correlation attributes and passes
// records to next. A nil next panics.
//
// To compose it with slogmulti.Pipe, wrap it in a closure:
//
//	slogmulti.Pipe(func(next slog.Handler) slog.Handler { return scope.NewHandler(next, opts) })
func NewHandler(next slog.Handler, opts HandlerOptions) *Handler {
	if next == nil {
		panic("scope: NewHandler: nil next handler")
	}
	h := &Handler{root: next, opts: opts, stats: &handlerCounters{}}
	h.setNext(next)
	return h
}

// Stats returns the handler's counters (shared with every handler derived
// from it); it is safe to call at any time.
func (h *Handler) Stats() Stats {
	st := Stats{
		Regrouped:   h.stats.regrouped.Load(),
		ChainsBuilt: h.stats.chainsBuilt.Load(),
	}
	for c := range attrClass(attrClasses) {
		n := h.stats.byAttrs[c].Load()
		st.Records += n
		if c&classID != 0 {
			st.WithCorrelationID += n
		}
		if c&classTrace != 0 {
			st.WithTrace += n
		}
	}
	return st
}

// Enabled reports whether the next handler handles records at level l.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle adds the correlation attributes of ctx to r and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var attrs [fuse.MaxTail]slog.Attr
	s, n, class := h.correlationAttrs(ctx, &attrs)
	h.stats.byAttrs[class].Add(1)
	if n == 0 {
		return h.next.Handle(ctx, r)
	}
	if h.hist == nil {
		return h.passWith(ctx, r, attrs[:n])
	}
	h.stats.regrouped.Add(1)
	return h.chainFor(s, attrs[:n]).Handle(ctx, r)
}

// passWith passes r followed by as to the next handler: beside the record
// (fuse.Tail) when the next handler takes a tail, else as a clone of r
// with as added (never appending into a back array shared with a copy of
// r), which is what fuse.Pass does, without copying the record twice
// more.
func (h *Handler) passWith(ctx context.Context, r slog.Record, as []slog.Attr) error {
	if h.tailNext != nil {
		var t fuse.Tail
		for _, a := range as {
			t.Add(a)
		}
		return h.tailNext.HandleTail(ctx, r, t)
	}
	r = r.Clone()
	r.AddAttrs(as...)
	return h.next.Handle(ctx, r)
}

// correlationAttrs fills attrs with the correlation attributes of ctx that
// are not bound at the top level already, and returns the scope of ctx (nil
// if none), how many attributes it filled and the class of the record for
// Stats.
//
// It walks the context chain at most once for a record logged with a
// context seen before in its scope: a record logged with exactly the
// context the HTTP middleware or Start made (the common case) finds the
// scope, its state and the context's span in that state, without walking;
// any other context is walked for its scope, and its span is remembered
// on the scope for the next record logged with the same context
// (scopeSpans).
func (h *Handler) correlationAttrs(ctx context.Context, attrs *[fuse.MaxTail]slog.Attr) (*reqscope.Scope, int, attrClass) {
	n := 0
	var class attrClass
	var s *reqscope.Scope
	st, exact := ctx.(*scopectx.State)
	if exact && st.Scope != nil {
		s = st.Scope
	} else {
		st = nil
		s = reqscope.FromContext(ctx)
	}
	if s != nil && h.present&presentID == 0 {
		attrs[n] = slog.String(keyCorrelationID, s.CorrelationID())
		n++
		class |= classID
	}
	if !h.opts.OmitTrace && h.present&(presentTrace|presentSpan) != presentTrace|presentSpan {
		traceID, spanID := traceIDs(ctx, s, st)
		if traceID != "" {
			if h.present&presentTrace == 0 {
				attrs[n] = slog.String(keyTraceID, traceID)
				n++
			}
			if h.present&presentSpan == 0 {
				attrs[n] = slog.String(keySpanID, spanID)
				n++
			}
			class |= classTrace
		}
	}
	return s, n, class
}

// traceIDs returns the hex trace and span IDs of the valid span context in
// ctx, else of the scope's, or "" when there is none. exact, when not
// nil, is ctx itself: the state of scope s, which holds the scope's IDs
// and the context's span. The scope's own IDs are encoded once per scope;
// for a span in ctx that is not the scope's (a child span), the last one
// seen is kept on the scope, so a request logging under one child span
// encodes it once.
func traceIDs(ctx context.Context, s *reqscope.Scope, exact *scopectx.State) (traceID, spanID string) {
	if exact != nil {
		if !exact.CtxSpanValid {
			// No span in the context: the scope's IDs, encoded when it
			// opened ("" when it has no span).
			return exact.TraceID, exact.SpanID
		}
		return childIDs(exact, exact.CtxSpan)
	}
	if s == nil {
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() {
			return "", ""
		}
		return sc.TraceID().String(), sc.SpanID().String()
	}
	if c, ok := spansOf(ctx, s); ok {
		return c.ids(ctx)
	}
	// The scope has ended: it keeps nothing for the handler.
	return endedScopeIDs(ctx, s)
}

// childIDs returns the hex IDs of sc, the valid span in st (a context
// that is the state of its scope): the scope's own when sc is the scope's
// span, else those of the last child span seen, encoded once per span.
func childIDs(st *scopectx.State, sc trace.SpanContext) (traceID, spanID string) {
	if ssc := st.Scope.SpanContext(); st.TraceID != "" && ssc.TraceID() == sc.TraceID() && ssc.SpanID() == sc.SpanID() {
		return st.TraceID, st.SpanID
	}
	if c := st.ChildSpan.Load(); c != nil && c.TraceID == sc.TraceID() && c.SpanID == sc.SpanID() {
		return c.TraceHex, c.SpanHex
	}
	c := &scopectx.SpanHex{TraceID: sc.TraceID(), SpanID: sc.SpanID(), TraceHex: sc.TraceID().String(), SpanHex: sc.SpanID().String()}
	st.ChildSpan.Store(c)
	return c.TraceHex, c.SpanHex
}

// endedScopeIDs is traceIDs for a record of a scope that has ended.
func endedScopeIDs(ctx context.Context, s *reqscope.Scope) (traceID, spanID string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		sc = s.SpanContext()
		if !sc.IsValid() {
			return "", ""
		}
	}
	if st := scopectx.From(ctx); st != nil && st.Scope == s {
		return childIDs(st, sc)
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

// WithAttrs returns a Handler whose next handler has as added. Attributes
// added before any group count as top-level: correlation keys among them
// are not added again. Attributes added under an open group are
// snapshots (see Handler): the next handler gets the snapshots too, so a
// LogValuer among them is resolved once, here.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	if h.hist == nil {
		h2.setNext(h.next.WithAttrs(as))
		h2.root = h2.next
		h2.present |= presentBits(as)
		return &h2
	}
	snap, _ := snapshot.Attrs(as)
	kept := slices.Clone(snap) // ours: the next handler owns what it is given
	h2.setNext(h.next.WithAttrs(snap))
	h2.hist = h.hist.with(historyStep{attrs: kept})
	return &h2
}

// setNext makes next the handler's next handler.
func (h *Handler) setNext(next slog.Handler) {
	h.next = next
	h.tailNext, _ = next.(fuse.Handler)
}

// presentBits returns the presentX bits of the correlation keys among as.
func presentBits(as []slog.Attr) uint8 {
	var bits uint8
	for _, a := range as {
		switch a.Key {
		case keyCorrelationID:
			bits |= presentID
		case keyTraceID:
			bits |= presentTrace
		case keySpanID:
			bits |= presentSpan
		}
	}
	return bits
}

// WithGroup returns a Handler whose next handler has the group name open.
// An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.setNext(h.next.WithGroup(name))
	h2.hist = h.hist.with(historyStep{group: name})
	return &h2
}
