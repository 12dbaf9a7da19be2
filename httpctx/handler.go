package httpctx

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// Keys of the correlation attributes Handler adds.
const (
	KeyCorrelationID = "correlation_id"
	KeyTraceID       = "trace_id"
	KeySpanID        = "span_id"
)

// HandlerOptions configures Handler. The zero value adds correlation_id,
// trace_id and span_id.
type HandlerOptions struct {
	// OmitTrace leaves out trace_id and span_id (for a sink that stamps
	// them itself from the context, such as the OpenTelemetry log bridge).
	OmitTrace bool
}

// HandlerStats are the counters of a Handler and of every handler derived
// from it with WithAttrs and WithGroup.
type HandlerStats struct {
	// Records is the number of records handled.
	Records uint64
	// WithCorrelationID is the number of records given a correlation_id.
	WithCorrelationID uint64
	// WithTrace is the number of records given trace_id and span_id.
	WithTrace uint64
	// Regrouped is the number of records that were given correlation
	// attributes while a WithGroup group was open, and so were rebuilt to
	// put them at the top level.
	Regrouped uint64
}

type handlerCounters struct {
	records, withID, withTrace, regrouped atomic.Uint64
}

// Handler is a slog.Handler that adds the correlation attributes of the
// record's context to every record and passes it to the next handler:
// correlation_id when the context carries a scope (Middleware, Start), and
// trace_id and span_id (lower-case hex) when the context carries a valid
// OpenTelemetry span context, or else the scope has one (from an incoming
// traceparent header). A record whose context carries neither passes
// unchanged, for the cost of two context lookups. The context is passed on
// unchanged.
//
// The attributes are always added at the top level of the record, after
// the attributes bound with WithAttrs before any group, so that a log
// search finds them in the same place in every line. Under a group opened
// with WithGroup this means rebuilding the record: the attributes and groups
// added after the first open group are replayed onto the record as nested
// slog.Group values and the record is handed to the handler as it was before
// that group (the output is the same as without Handler, plus the top-level
// attributes). That costs an allocation or two per record with a group
// open, and the next handler renders the attributes bound inside the group
// for every such record; records with no group open cost no allocation
// beyond slog's own.
//
// A key already bound at the top level with WithAttrs (for example a logger
// built with With("correlation_id", id)) is not added again. Keys in the
// record's own attributes are not checked.
type Handler struct {
	root    slog.Handler // next, as it was before the first open group
	next    slog.Handler // next with every WithAttrs and WithGroup applied
	groups  []groupFrame // the open groups, outermost first
	present uint8        // presentX bits: keys bound at the top level
	opts    HandlerOptions
	stats   *handlerCounters
}

// groupFrame is one open group and the attributes added inside it (not in
// a nested group).
type groupFrame struct {
	name  string
	attrs []slog.Attr
}

const (
	presentID uint8 = 1 << iota
	presentTrace
	presentSpan
)

// NewHandler returns a Handler that adds correlation attributes and passes
// records to next. A nil next panics.
func NewHandler(next slog.Handler, opts HandlerOptions) *Handler {
	if next == nil {
		panic("httpctx: NewHandler with a nil next handler")
	}
	return &Handler{root: next, next: next, opts: opts, stats: &handlerCounters{}}
}

// NewMiddleware returns a function that wraps a handler in a Handler with
// opts, for slogmulti.Pipe and the module's builder.
func NewMiddleware(opts HandlerOptions) func(slog.Handler) slog.Handler {
	return func(next slog.Handler) slog.Handler { return NewHandler(next, opts) }
}

// Stats returns the handler's counters; it is safe to call at any time.
func (h *Handler) Stats() HandlerStats {
	return HandlerStats{
		Records:           h.stats.records.Load(),
		WithCorrelationID: h.stats.withID.Load(),
		WithTrace:         h.stats.withTrace.Load(),
		Regrouped:         h.stats.regrouped.Load(),
	}
}

// Enabled reports whether the next handler handles records at level l.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle adds the correlation attributes of ctx to r and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	h.stats.records.Add(1)
	var attrs [3]slog.Attr
	n := 0
	// A record logged with exactly the context Middleware or Start made
	// (the common case) finds the scope, its state and the context's span
	// in that state, without walking the context chain.
	var s *reqscope.Scope
	st, exact := ctx.(*scopeState)
	if exact && st.scope != nil {
		s = st.scope
	} else {
		st = nil
		s = reqscope.FromContext(ctx)
	}
	if s != nil && h.present&presentID == 0 {
		attrs[n] = slog.String(KeyCorrelationID, s.CorrelationID())
		n++
		h.stats.withID.Add(1)
	}
	if !h.opts.OmitTrace && h.present&(presentTrace|presentSpan) != presentTrace|presentSpan {
		traceID, spanID := traceIDs(ctx, s, st)
		if traceID != "" {
			if h.present&presentTrace == 0 {
				attrs[n] = slog.String(KeyTraceID, traceID)
				n++
			}
			if h.present&presentSpan == 0 {
				attrs[n] = slog.String(KeySpanID, spanID)
				n++
			}
			h.stats.withTrace.Add(1)
		}
	}
	if n == 0 {
		return h.next.Handle(ctx, r)
	}
	if len(h.groups) == 0 {
		r = r.Clone() // never append into a back array shared with a copy
		r.AddAttrs(attrs[:n]...)
		return h.next.Handle(ctx, r)
	}
	h.stats.regrouped.Add(1)
	return h.root.Handle(ctx, h.regroup(r, attrs[:n]))
}

// regroup returns a record with top at its top level followed by the open
// groups, as nested Group attributes, holding the record's attributes.
func (h *Handler) regroup(r slog.Record, top []slog.Attr) slog.Record {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(top...)
	last := len(h.groups) - 1
	inner := make([]slog.Attr, 0, len(h.groups[last].attrs)+r.NumAttrs())
	inner = append(inner, h.groups[last].attrs...)
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	g := slog.Attr{Key: h.groups[last].name, Value: slog.GroupValue(inner...)}
	for i := last - 1; i >= 0; i-- {
		inner = make([]slog.Attr, 0, len(h.groups[i].attrs)+1)
		inner = append(inner, h.groups[i].attrs...)
		inner = append(inner, g)
		g = slog.Attr{Key: h.groups[i].name, Value: slog.GroupValue(inner...)}
	}
	out.AddAttrs(g)
	return out
}

// traceIDs returns the hex trace and span IDs of the valid span context in
// ctx, else of the scope's, or "" when there is none. The scope's own IDs
// are encoded once per scope; for a span in ctx that is not the scope's
// (a child span), the last one seen is cached on the scope's state, so a
// request logging under one child span encodes it once. exact, when not
// nil, is ctx itself: the state of scope s.
func traceIDs(ctx context.Context, s *reqscope.Scope, exact *scopeState) (traceID, spanID string) {
	var sc trace.SpanContext
	if exact != nil {
		if !exact.ctxSpanValid {
			// No span in the context: the scope's IDs, encoded when it
			// opened ("" when it has no span).
			return exact.traceID, exact.spanID
		}
		sc = exact.ctxSpan
	} else {
		sc = trace.SpanContextFromContext(ctx)
	}
	if !sc.IsValid() {
		if s == nil {
			return "", ""
		}
		sc = s.SpanContext()
		if !sc.IsValid() {
			return "", ""
		}
	}
	if s == nil {
		return sc.TraceID().String(), sc.SpanID().String()
	}
	st := exact
	if st == nil {
		st = stateFrom(ctx)
	}
	if st == nil || st.scope != s {
		return sc.TraceID().String(), sc.SpanID().String()
	}
	if ssc := s.SpanContext(); st.traceID != "" && ssc.TraceID() == sc.TraceID() && ssc.SpanID() == sc.SpanID() {
		return st.traceID, st.spanID
	}
	if c := st.childSpan.Load(); c != nil && c.traceID == sc.TraceID() && c.spanID == sc.SpanID() {
		return c.traceHex, c.spanHex
	}
	c := &spanHex{traceID: sc.TraceID(), spanID: sc.SpanID(), traceHex: sc.TraceID().String(), spanHex: sc.SpanID().String()}
	st.childSpan.Store(c)
	return c.traceHex, c.spanHex
}

// spanHex is a span's IDs with their hex forms.
type spanHex struct {
	traceID           trace.TraceID
	spanID            trace.SpanID
	traceHex, spanHex string
}

// WithAttrs returns a Handler whose next handler has as added. Attributes
// added before any group count as top-level: correlation keys among them
// are not added again.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.next = h.next.WithAttrs(as)
	if len(h.groups) == 0 {
		h2.root = h2.next
		for _, a := range as {
			switch a.Key {
			case KeyCorrelationID:
				h2.present |= presentID
			case KeyTraceID:
				h2.present |= presentTrace
			case KeySpanID:
				h2.present |= presentSpan
			}
		}
		return &h2
	}
	h2.groups = slices.Clone(h.groups)
	last := &h2.groups[len(h2.groups)-1]
	last.attrs = append(slices.Clip(last.attrs), as...)
	return &h2
}

// WithGroup returns a Handler whose next handler has the group name open.
// An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.next = h.next.WithGroup(name)
	h2.groups = append(slices.Clip(h.groups), groupFrame{name: name})
	return &h2
}
