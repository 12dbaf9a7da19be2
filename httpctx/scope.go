package httpctx

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/trace"
)

// StartOptions configures Start. The zero value opens a scope with a new
// correlation ID (or the trace ID of a span in the context), decided by the
// zero sampling.Policy, logging through slog.Default().
type StartOptions struct {
	// CorrelationID is the ID of the unit of work, for example the one a
	// queued message carries. It is used when ValidCorrelationID accepts
	// it; otherwise the trace ID of a valid span context (SpanContext, or
	// the one in the context) is used, else a new ID.
	CorrelationID string
	// Name identifies the kind of work for the policy's path rules, for
	// example "job/nightly-report" or "queue/orders": it is matched as the
	// path against Policy.ExcludedPaths and Policy.AlwaysSamplePaths.
	Name string
	// Policy makes the sampling decision, once, when the scope opens.
	Policy sampling.Policy
	// SpanContext is the OpenTelemetry span context of the work, for
	// example extracted from a message's headers. When it is not valid, the
	// span context in the context passed to Start (if any) is used.
	SpanContext trace.SpanContext
	// Logger is the logger that Logger(ctx) binds to the scope. Nil means
	// the logger set on the parent context with WithLogger, else
	// slog.Default().
	Logger *slog.Logger
}

// Start opens a scope for work that is not an HTTP request (a job, a queue
// consumer, a scheduled task) and returns a context that carries it, and
// the function that ends it.
//
// The scope is the same kind Middleware opens: records logged with the
// returned context (or through Logger(ctx)) carry its correlation ID and
// follow its one sampling decision. Call end exactly when the work is done:
// a non-nil error keeps the scope (its buffered records are written, as for
// an HTTP 5xx) before it ends. end may be called more than once; only the
// first call counts. Records logged after end follow the final decision.
func Start(ctx context.Context, opts StartOptions) (context.Context, func(err error)) {
	if ctx == nil {
		ctx = context.Background()
	}
	sc := opts.SpanContext
	if !sc.IsValid() {
		sc = trace.SpanContextFromContext(ctx)
	}
	id := opts.CorrelationID
	if !ValidCorrelationID(id) {
		if sc.IsValid() {
			id = sc.TraceID().String()
		} else {
			id = NewCorrelationID()
		}
	}
	sampled, rate, reason := opts.Policy.Decide(opts.Name, id, sc)
	d := reqscope.Decision{Sampled: sampled, Rate: rate, Reason: reason}
	ctx, st := openScope(ctx, id, sc, d, opts.Logger)
	s := st.scope
	return ctx, func(err error) {
		if err != nil {
			s.Keep()
		}
		s.End()
	}
}

// Keep keeps the records of the scope in ctx, as an error would: records
// held back because the scope was not sampled are written, and later ones
// pass. It reports whether this call kept the scope (false when there is no
// scope, it was sampled, or it was kept before).
func Keep(ctx context.Context) bool {
	if s := reqscope.FromContext(ctx); s != nil {
		return s.Keep()
	}
	return false
}

// Sampled reports whether the records of the scope in ctx are written now:
// it was sampled when it opened, or it has been kept since. Without a scope
// it reports true (such records are not sampled by scope).
func Sampled(ctx context.Context) bool {
	if s := reqscope.FromContext(ctx); s != nil {
		return s.Sampled()
	}
	return true
}

// scopeState is what this package keeps in a context beside the
// reqscope.Scope: the hex forms of the scope's span IDs, computed once, and
// the logger that Logger binds to the scope. It is itself the context that
// carries it (answering Value(stateKey{}) and delegating everything else to
// its parent), which saves the allocation of a separate context value.
type scopeState struct {
	context.Context                             // the parent, carrying the scope
	scope           *reqscope.Scope             // nil for a state made by WithLogger outside a scope
	traceID         string                      // hex trace ID of scope.SpanContext(), "" if not valid
	spanID          string                      // hex span ID of scope.SpanContext(), "" if not valid
	logger          *slog.Logger                // nil means slog.Default()
	bound           atomic.Pointer[slog.Logger] // logger bound to this context, built on first use
	childSpan       atomic.Pointer[spanHex]     // the last span other than the scope's seen by Handler
	// ctxSpan is the span context that trace.SpanContextFromContext
	// returns for this context (the parent's: the state adds no span),
	// looked up once by init so that Handler need not walk the context
	// chain for a record logged with exactly this context.
	ctxSpan      trace.SpanContext
	ctxSpanValid bool // ctxSpan.IsValid()
}

type stateKey struct{}

// Value returns st for stateKey{} and asks the parent for anything else.
func (st *scopeState) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return st
	}
	return st.Context.Value(key)
}

// String describes the context for debugging.
func (st *scopeState) String() string {
	return fmt.Sprintf("%v.WithValue(httpctx scope)", st.Context)
}

// stateFrom returns the nearest scopeState in ctx, or nil.
func stateFrom(ctx context.Context) *scopeState {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(stateKey{}).(*scopeState)
	return st
}

// openScope puts a new scope and its state into ctx.
func openScope(ctx context.Context, id string, sc trace.SpanContext, d reqscope.Decision, logger *slog.Logger) (context.Context, *scopeState) {
	st := new(scopeState)
	return st.init(ctx, id, sc, d, logger), st
}

// init opens a new scope under parent, makes st its state and returns st
// as the context that carries both.
func (st *scopeState) init(parent context.Context, id string, sc trace.SpanContext, d reqscope.Decision, logger *slog.Logger) context.Context {
	s := reqscope.New(id, sc, d)
	if logger == nil {
		if p := stateFrom(parent); p != nil {
			logger = p.logger
		}
	}
	st.Context = reqscope.NewContext(parent, s)
	st.scope = s
	st.ctxSpan = trace.SpanContextFromContext(parent)
	st.ctxSpanValid = st.ctxSpan.IsValid()
	st.logger = logger
	if sc.IsValid() {
		if isTraceHex(id, sc.TraceID()) {
			st.traceID = id // the ID is the trace ID: share the string
		} else {
			st.traceID = sc.TraceID().String()
		}
		st.spanID = sc.SpanID().String()
	}
	return st
}

// isTraceHex reports whether s is the lower-case hex form of tid.
func isTraceHex(s string, tid trace.TraceID) bool {
	var t trace.TraceID
	return decodeLowerHex(t[:], s) && t == tid
}
