package scopectx

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/traceparent"
	"go.opentelemetry.io/otel/trace"
)

// State is what the scope package keeps in a context beside the
// reqscope.Scope. It is itself the context that carries it (answering
// Value for its own key and delegating everything else to its parent),
// which saves the allocation of a separate context value. A State made by
// Init also holds the scope it opens and answers Value for the scope's
// key (reqscope.FromContext) itself: opening a scope allocates the State
// and nothing else, and a lookup of the scope stops at the State.
type State struct {
	context.Context                             // the parent, carrying the scope
	Scope           *reqscope.Scope             // nil for a state made by WithLogger outside a scope
	TraceID         string                      // hex trace ID of Scope.SpanContext(), "" if not valid
	SpanID          string                      // hex span ID of Scope.SpanContext(), "" if not valid
	Logger          *slog.Logger                // nil means slog.Default()
	Bound           atomic.Pointer[slog.Logger] // logger bound to this context, built on first use
	ChildSpan       atomic.Pointer[SpanHex]     // the last span other than the scope's seen by the handler
	// CtxSpan is the span context that trace.SpanContextFromContext
	// returns for this context (the parent's: the state adds no span),
	// looked up once by Init (and by the scope package's WithLogger) so
	// that the handler need not walk the context chain for a record
	// logged with exactly this context.
	CtxSpan      trace.SpanContext
	CtxSpanValid bool // CtxSpan.IsValid()

	// opened is the scope Init opened, held in place (Scope points to it
	// then); carries reports that Value answers the scope's key with it.
	opened  reqscope.Scope
	carries bool
}

// SpanHex is a span's IDs with their hex forms.
type SpanHex struct {
	TraceID           trace.TraceID
	SpanID            trace.SpanID
	TraceHex, SpanHex string
}

type stateKey struct{}

// Value returns st for the state's key and asks the parent for anything else.
func (st *State) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return st
	}
	if st.carries && reqscope.IsContextKey(key) {
		return st.Scope
	}
	return st.Context.Value(key)
}

// String describes the context for debugging.
func (st *State) String() string {
	if st.carries {
		return fmt.Sprintf("%v.WithValue(scope %s)", st.Context, st.Scope.CorrelationID())
	}
	return fmt.Sprintf("%v.WithValue(scope)", st.Context)
}

// From returns the nearest State in ctx, or nil.
func From(ctx context.Context) *State {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(stateKey{}).(*State)
	return st
}

// WithState returns a copy of ctx in which From finds st.
func WithState(ctx context.Context, st *State) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

// Open puts a new scope and its state into ctx, whose span context is
// ctxSpan (trace.SpanContextFromContext(ctx)).
func Open(ctx context.Context, ctxSpan trace.SpanContext, id string, sc trace.SpanContext, d reqscope.Decision, logger *slog.Logger) (context.Context, *State) {
	st := new(State)
	return st.InitSpan(ctx, ctxSpan, id, sc, d, logger), st
}

// Init opens a new scope under parent, held in st, makes st its state and
// returns st as the context that carries both. st must be the zero State.
// A nil logger means the one of the nearest State in parent (nil there
// means slog.Default()).
func (st *State) Init(parent context.Context, id string, sc trace.SpanContext, d reqscope.Decision, logger *slog.Logger) context.Context {
	return st.InitSpan(parent, trace.SpanContextFromContext(parent), id, sc, d, logger)
}

// InitSpan is Init for a caller that has looked up the span context of
// parent already: parentSpan is trace.SpanContextFromContext(parent), so
// that opening the scope walks parent's chain once, not twice.
func (st *State) InitSpan(parent context.Context, parentSpan trace.SpanContext, id string, sc trace.SpanContext, d reqscope.Decision, logger *slog.Logger) context.Context {
	s := &st.opened
	s.Open(id, sc, d)
	if logger == nil {
		if p := From(parent); p != nil {
			logger = p.Logger
		}
	}
	st.Context = parent
	st.Scope, st.carries = s, true
	st.CtxSpan = parentSpan
	st.CtxSpanValid = st.CtxSpan.IsValid()
	st.Logger = logger
	if sc.IsValid() {
		if isTraceHex(id, sc.TraceID()) {
			st.TraceID = id // the ID is the trace ID: share the string
		} else {
			st.TraceID = sc.TraceID().String()
		}
		st.SpanID = sc.SpanID().String()
	}
	return st
}

// isTraceHex reports whether s is the lower-case hex form of tid.
func isTraceHex(s string, tid trace.TraceID) bool {
	var t trace.TraceID
	return traceparent.DecodeLowerHex(t[:], s) && t == tid
}
