package sampling

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// Handler is a slog.Handler that keeps or drops the records of whole
// requests according to the sampling decision of the request scope in each
// record's context (opened by scope.Start, or by httpctx.Middleware for an
// HTTP request).
//
//   - No scope in the context: the record passes unchanged (see
//     Options.SampleUnscoped for sampling such records one by one).
//   - Sampled scope: the record passes with _sampled=true, _sample_rate and
//     _sample_reason (the reason the scope was sampled).
//   - Scope not sampled: records below ERROR wait in the scope's bounded
//     buffer (none with buffering off; see Options.MaxRequestRecords). The
//     first record at ERROR or above, or a keep of the scope (scope.Keep,
//     an error passed to the scope's end, a panic or a 5xx in
//     httpctx.Middleware), keeps the scope: the buffered records are
//     written first, in the order they were logged, then the trigger,
//     then every later record of the scope, all with _sampled=true,
//     _sample_rate and _sample_reason=error. When the scope ends without
//     being kept, its buffered records are dropped and counted.
//   - Records logged after the scope ended follow its final decision,
//     without a buffer: written if it was kept (or they are at ERROR or
//     above, which keeps it), otherwise dropped and counted.
//
// A Handler and the handlers derived from it with WithAttrs and WithGroup
// share their options, buffers, budget and counters. Its methods are safe
// for concurrent use.
type Handler struct {
	sh   *shared
	next slog.Handler // the next handler with this handler's chain applied

	// The chain from the root (NewHandler), used to build annotated
	// handlers whose annotations sit outside every group.
	parent *Handler
	op     chainOp

	// groups is the number of groups open on this handler; corrID is a
	// top-level correlation_id added with WithAttrs (for SampleUnscoped).
	groups    int
	corrID    string
	hasCorrID bool

	variantsMu sync.Mutex
	variants   atomic.Pointer[[]variant]
}

// shared is the state common to a Handler and the handlers derived from it.
type shared struct {
	cfg    config
	budget budget
	stats  counters
	ctxs   ctxCache
}

// NewHandler returns a Handler that writes the records it keeps to next,
// configured by opts (start from DefaultOptions: the zero Options buffers
// nothing). A nil next panics.
//
// To compose it with slogmulti.Pipe, wrap it in a closure:
//
//	slogmulti.Pipe(func(next slog.Handler) slog.Handler { return sampling.NewHandler(next, opts) })
//
// Each call of such a closure makes a Handler with its own buffers, budget
// and counters.
func NewHandler(next slog.Handler, opts Options) *Handler {
	if next == nil {
		panic("sampling: NewHandler: nil next handler")
	}
	cfg := opts.config()
	sh := &shared{cfg: cfg}
	sh.budget.limit = cfg.maxBufferedBytes
	return &Handler{sh: sh, next: next}
}

// Enabled reports whether a record at level would be handled in ctx. For a
// request scope that is not sampled (and not kept) with buffering off (a
// zero bound in Options), it
// reports false below ERROR without asking the next handler, so the call
// costs about what a call at a disabled level costs. Otherwise it reports
// what the next handler's Enabled reports: with buffering on, records the
// next handler would refuse are not buffered either.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	if !h.sh.cfg.buffering && level < slog.LevelError {
		if s := h.sh.scopeOf(ctx); s != nil && !s.Sampled() {
			return false
		}
	}
	return h.next.Enabled(ctx, level)
}

// Handle keeps, buffers or drops r according to the sampling decision of
// the request scope in ctx (see Handler). It returns the next handler's
// error for a record written at once (a panic of the next handler is
// recovered, counted in Stats.HandlePanics and returned as an error), and
// nil for a record buffered or dropped, or queued behind a buffer that
// another goroutine of the request is writing.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	s, st := h.sh.stateOf(ctx)
	if s == nil {
		return h.handleUnscoped(ctx, r)
	}
	d := s.Initial()
	if d.Sampled {
		h.sh.stats.passed.Add(1)
		return h.write(ctx, d.Rate, d.Reason, r)
	}
	if st == nil || !h.sh.cfg.buffering {
		return h.handleUnbuffered(ctx, s, d, r)
	}
	return st.handle(h, ctx, d, r)
}

// handleUnbuffered handles a record of a scope that is not sampled without
// a buffer: buffering is off, or the scope has ended.
func (h *Handler) handleUnbuffered(ctx context.Context, s *reqscope.Scope, d reqscope.Decision, r slog.Record) error {
	if !s.Kept() {
		if r.Level < slog.LevelError {
			h.sh.stats.discarded.Add(1)
			return nil
		}
		s.Keep()
	}
	return h.pass(ctx, d, r)
}

// pass writes a record of a kept scope at once.
func (h *Handler) pass(ctx context.Context, d reqscope.Decision, r slog.Record) error {
	h.sh.stats.passed.Add(1)
	return h.write(ctx, d.Rate, reqscope.ReasonError, r)
}

// write hands r to the next handler with the annotations for rate and
// reason. A panic of the next handler is recovered, counted and returned
// as the error.
func (h *Handler) write(ctx context.Context, rate float64, reason string, r slog.Record) (err error) {
	defer h.sh.recoverAsError(&err)
	return h.annotated(rate, reason).Handle(ctx, r)
}

// WithAttrs returns a Handler whose records carry attrs, as if each record
// had been logged with them. It shares the receiver's buffers, budget and
// counters.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := &Handler{
		sh:        h.sh,
		next:      h.next.WithAttrs(attrs),
		parent:    h,
		op:        chainOp{attrs: snapshotAttrs(attrs)},
		groups:    h.groups,
		corrID:    h.corrID,
		hasCorrID: h.hasCorrID,
	}
	if c.groups == 0 {
		for _, a := range attrs {
			if a.Key == correlationIDKey && a.Value.Kind() == slog.KindString {
				c.corrID, c.hasCorrID = a.Value.String(), true
			}
		}
	}
	return c
}

// WithGroup returns a Handler whose records' attributes (and those added
// later with WithAttrs) sit in the group name. The sampling annotations
// stay at the top level. An empty name returns the receiver.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{
		sh:        h.sh,
		next:      h.next.WithGroup(name),
		parent:    h,
		op:        chainOp{group: name},
		groups:    h.groups + 1,
		corrID:    h.corrID,
		hasCorrID: h.hasCorrID,
	}
}

// stateOf returns the scope in ctx (nil if there is none) and this
// handler family's state for it, created (and the request counted) at
// first sight; the state is nil when the scope has ended (as Attach
// returns nothing then). A context seen before is found in the context
// cache without walking the context chain.
func (sh *shared) stateOf(ctx context.Context) (*reqscope.Scope, *scopeState) {
	if st := sh.ctxs.get(ctx); st != nil {
		if st.scope.Ended() {
			return st.scope, nil
		}
		return st.scope, st
	}
	s := reqscope.FromContext(ctx)
	if s == nil {
		return nil, nil
	}
	st := sh.scopeState(s)
	if st != nil {
		sh.ctxs.put(ctx, st)
	}
	return s, st
}

// scopeOf returns the scope in ctx, or nil, for Enabled. It finds it as
// stateOf does, but creates the state (counting the request) only for a
// scope whose records are not written now: Handle is not called for them.
func (sh *shared) scopeOf(ctx context.Context) *reqscope.Scope {
	if st := sh.ctxs.get(ctx); st != nil {
		return st.scope
	}
	s := reqscope.FromContext(ctx)
	if s == nil || s.Sampled() {
		return s
	}
	if st := sh.scopeState(s); st != nil {
		sh.ctxs.put(ctx, st)
	}
	return s
}

// scopeState returns the per-scope state of s for this handler family,
// creating it (and counting the request) at first sight. It returns nil
// when the scope has ended.
func (sh *shared) scopeState(s *reqscope.Scope) *scopeState {
	if v, ok := s.Lookup(sh); ok {
		return v.(*scopeState)
	}
	v, ok := s.Attach(sh, func() any {
		d := s.Initial()
		if d.Sampled {
			sh.stats.requestsSampled.add(d.Reason)
		} else {
			sh.stats.requestsNotSampled.add(d.Reason)
		}
		return &scopeState{sh: sh, scope: s}
	})
	if !ok {
		return nil
	}
	return v.(*scopeState)
}
