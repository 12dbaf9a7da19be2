package httpctx

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// Logger returns a logger bound to the request or job whose context ctx is:
// records logged through it carry the scope's correlation ID and follow its
// sampling decision even when they are logged without a context
// (logger.Info rather than logger.InfoContext), because its handler
// substitutes the scope's context for one that carries no scope.
//
// The logger bound is the one given to Middleware (Options.Logger) or Start
// (StartOptions.Logger), or set with WithLogger, else slog.Default(). For
// one scope, Logger builds the bound logger once and then returns the same
// one. Without a scope in ctx it returns that logger unbound.
func Logger(ctx context.Context) *slog.Logger {
	st := stateFrom(ctx)
	if st == nil {
		if reqscope.FromContext(ctx) != nil {
			return BindLogger(ctx, slog.Default())
		}
		return slog.Default()
	}
	base := st.logger
	if base == nil {
		base = slog.Default()
	}
	if s := reqscope.FromContext(ctx); st.scope != s {
		// A scope put into ctx after the state (or none under it): bind
		// that one, uncached.
		return BindLogger(ctx, base)
	}
	if st.scope == nil {
		return base
	}
	if l := st.bound.Load(); l != nil {
		return l
	}
	l := BindLogger(st, base)
	if st.bound.CompareAndSwap(nil, l) {
		return l
	}
	return st.bound.Load()
}

// WithLogger returns a copy of ctx in which Logger finds l as the logger to
// bind (nil means slog.Default()). The scope in ctx, if any, is unchanged.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	st := &scopeState{Context: ctx, logger: l}
	if parent := stateFrom(ctx); parent != nil && parent.scope == reqscope.FromContext(ctx) {
		st.scope, st.traceID, st.spanID = parent.scope, parent.traceID, parent.spanID
	} else {
		st.scope = reqscope.FromContext(ctx)
		if st.scope != nil {
			if sc := st.scope.SpanContext(); sc.IsValid() {
				st.traceID, st.spanID = sc.TraceID().String(), sc.SpanID().String()
			}
		}
	}
	return st
}

// BindLogger returns a logger that writes through l's handler and, for a
// record logged with a context that carries no scope (a nil context,
// context.Background() as logger.Info passes, or any other), uses ctx's
// scope instead. A context that carries its own scope is used unchanged.
// When ctx carries no scope, BindLogger returns l itself.
func BindLogger(ctx context.Context, l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
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
	if st := stateFrom(h.ctx); st != nil && st.scope == s {
		ctx = context.WithValue(ctx, stateKey{}, st)
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
