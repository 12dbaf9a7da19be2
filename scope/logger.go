package scope

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"go.opentelemetry.io/otel/trace"
)

// Logger returns a logger bound to the request or job whose context ctx is:
// records logged through it carry the scope's correlation ID and follow its
// sampling decision even when they are logged without a context
// (logger.Info rather than logger.InfoContext), because its handler
// substitutes the scope's context for one that carries no scope.
//
// A record logged with a context of its own is passed on with that context
// when it carries a scope; a context without one (a child span, a
// deadline) keeps its values and gets the bound scope added.
//
// The logger bound is the one given to Start (Options.Logger) or to the
// HTTP middleware (httpctx.Options.Logger), or set with WithLogger, else
// slog.Default(). For one scope, Logger builds the bound logger once and
// then returns the same one. Without a scope in ctx (or with a nil ctx) it
// returns that logger unbound.
func Logger(ctx context.Context) *slog.Logger {
	st := scopectx.From(ctx)
	if st == nil {
		return bind(ctx, slog.Default())
	}
	base := st.Logger
	if base == nil {
		base = slog.Default()
	}
	if s := reqscope.FromContext(ctx); st.Scope != s {
		// A scope put into ctx after the state (or none under it): bind
		// that one, uncached.
		return bind(ctx, base)
	}
	if st.Scope == nil {
		return base
	}
	if l := st.Bound.Load(); l != nil {
		return l
	}
	l := bind(st, base)
	if st.Bound.CompareAndSwap(nil, l) {
		return l
	}
	return st.Bound.Load()
}

// WithLogger returns a copy of ctx in which Logger finds l as the logger to
// bind (nil means slog.Default()), and in which Start, without
// Options.Logger, binds l. The scope in ctx, if any, is unchanged. A nil
// ctx means context.Background().
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	st := &scopectx.State{Context: ctx, Logger: l}
	// The span in ctx, which Handler reads from the state for a record
	// logged with exactly this context (or through the logger Logger
	// binds to it) instead of walking the chain.
	st.CtxSpan = trace.SpanContextFromContext(ctx)
	st.CtxSpanValid = st.CtxSpan.IsValid()
	if parent := scopectx.From(ctx); parent != nil && parent.Scope == reqscope.FromContext(ctx) {
		st.Scope, st.TraceID, st.SpanID = parent.Scope, parent.TraceID, parent.SpanID
	} else {
		st.Scope = reqscope.FromContext(ctx)
		if st.Scope != nil {
			if sc := st.Scope.SpanContext(); sc.IsValid() {
				st.TraceID, st.SpanID = sc.TraceID().String(), sc.SpanID().String()
			}
		}
	}
	return st
}

// bind returns a logger that writes through l's handler and, for a record
// logged with a context that carries no scope (a nil context,
// context.Background() as logger.Info passes, or any other), uses ctx's
// scope instead. A context that carries its own scope is used unchanged.
// When ctx carries no scope, bind returns l itself.
func bind(ctx context.Context, l *slog.Logger) *slog.Logger {
	if ctx == nil || reqscope.FromContext(ctx) == nil {
		return l
	}
	return slog.New(&boundHandler{next: l.Handler(), ctx: ctx})
}

// boundHandler substitutes its bound context for a context without a scope.
type boundHandler struct {
	next slog.Handler
	ctx  context.Context // carries the scope
}

// contextFor returns the context to pass on for ctx.
func (h *boundHandler) contextFor(ctx context.Context) context.Context {
	if ctx == nil || ctx == context.Background() || ctx == context.TODO() {
		return h.ctx
	}
	if reqscope.FromContext(ctx) != nil {
		return ctx
	}
	// A context of its own (a child span, a deadline) but no scope: keep
	// it and add the bound scope and its cached state.
	s := reqscope.FromContext(h.ctx)
	ctx = reqscope.NewContext(ctx, s)
	if st := scopectx.From(h.ctx); st != nil && st.Scope == s {
		ctx = scopectx.WithState(ctx, st)
	}
	return ctx
}

func (h *boundHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(h.contextFor(ctx), l)
}

func (h *boundHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(h.contextFor(ctx), r)
}

func (h *boundHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return &boundHandler{next: h.next.WithAttrs(as), ctx: h.ctx}
}

func (h *boundHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &boundHandler{next: h.next.WithGroup(name), ctx: h.ctx}
}
