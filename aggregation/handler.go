package aggregation

import (
	"context"
	"log/slog"
	"time"

	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// Handler folds repetitive system records into summaries and passes every
// other record to the next handler unchanged. See the package
// documentation for the rules.
//
// A Handler and the handlers derived from it with WithAttrs and WithGroup
// share one group cache, one flusher and one set of Stats; Flush and Close
// act on all of them. Its methods are safe for concurrent use.
type Handler struct {
	next   slog.Handler // next, with this handler's With/WithGroup chain applied
	sh     *shared
	chain  []byte // canonical encoding of the With/WithGroup chain
	marked bool   // the chain carries the System marker
}

// NewHandler returns a Handler that writes to next, with opts (start from
// DefaultOptions). It panics if next is nil. The Handler owns a background
// goroutine while it holds open summaries: call Close when done with it, to
// write the last summaries and stop the goroutine.
//
// To compose it with slogmulti.Pipe, keep the handle in the closure:
//
//	var agg *aggregation.Handler
//	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler {
//		agg = aggregation.NewHandler(next, aggregation.DefaultOptions())
//		return agg
//	})
func NewHandler(next slog.Handler, opts Options) *Handler {
	if next == nil {
		panic("aggregation: NewHandler: nil next handler")
	}
	return &Handler{next: next, sh: newShared(opts.config())}
}

// Enabled reports whether the next handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// WithAttrs returns a Handler whose records carry attrs, in the same group
// cache: attrs are part of the group key of its records, and its summaries
// are written through the next handler's WithAttrs(attrs).
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.next = h.next.WithAttrs(attrs)
	chain := append([]byte(nil), h.chain...)
	for _, a := range attrs {
		chain = appendAttr(chain, a)
		if isMarker(a) {
			h2.marked = true
		}
	}
	h2.chain = chain
	return &h2
}

// WithGroup returns a Handler whose records' attributes are qualified by
// name, in the same group cache. An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.next = h.next.WithGroup(name)
	chain := append([]byte(nil), h.chain...)
	chain = append(chain, tagGroup)
	h2.chain = appendString(chain, name)
	return &h2
}

// Handle passes r on, or folds it into its group's summary. Records below
// ERROR that are system records (see Options.Match and System) are
// candidates; every other record goes to the next handler unchanged, as
// do candidates within their group's burst allowance and every record
// handled after Close. It returns the next handler's error for a record it
// passes (a panic of the next handler is recovered and returned as an
// error, counted in Stats.HandlePanics), and nil for a record it folds;
// errors writing summaries are counted in Stats.SummaryErrors and
// Stats.FoldedFailed.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError || !h.system(ctx, &r, nil) {
		h.sh.passedUnmatched.Add(1)
		return h.sh.handleNext(ctx, h.next, &r)
	}
	return h.handleCandidate(ctx, r)
}

// HandleTail is Handle for the record r followed by the attributes of t
// (fuse.Handler): it has exactly the effect of Handle(ctx, t.Record(r)).
// A record that is not a candidate goes on with its tail, without being
// rebuilt; a candidate, and any record a Matcher other than
// MatchPrefixes's must see, is rebuilt first.
func (h *Handler) HandleTail(ctx context.Context, r slog.Record, t fuse.Tail) error {
	if t.Len() == 0 {
		return h.Handle(ctx, r)
	}
	if r.Level < slog.LevelError {
		if h.sh.cfg.match != nil && !h.sh.cfg.matchMessageOnly {
			// The Matcher may read the attributes: it sees the record
			// with its tail, as Handle would give it.
			return h.Handle(ctx, t.Record(r))
		}
		if h.system(ctx, &r, &t) {
			return h.handleCandidate(ctx, t.Record(r))
		}
	}
	h.sh.passedUnmatched.Add(1)
	return h.sh.passNext(ctx, h.next, &r, &t)
}

// handleCandidate passes r, a system record below ERROR, on or folds it
// into its group's summary.
func (h *Handler) handleCandidate(ctx context.Context, r slog.Record) error {
	sh := h.sh
	scope := reqscope.FromContext(ctx)
	cid := ""
	if scope != nil {
		cid = scope.CorrelationID()
	}
	var kb [keyStackBytes]byte
	b := append(kb[:0], h.chain...)
	b = appendRecordKey(b, r.Level, r.Message, cid, r)
	h1, h2 := keyHashes(b)

	now := r.Time
	if now.IsZero() {
		now = time.Now()
	}
	o := observed{h: h, ctx: ctx, h1: h1, h2: h2, scope: scope, now: now}
	var v verdict
	s := sh.shardOf(h1)
	s.observe(sh, &o, nil, &v)
	if v.needFreeze {
		v.needFreeze = false
		rec := freeze(r, sh.cfg.maxValueBytes, sh.cfg.maxAttrBytes)
		s.observe(sh, &o, &rec, &v)
	}
	if v.added != nil {
		if scope != nil && !sh.register(scope, v.added) {
			s.detachScope(v.added, scope)
		}
		sh.ensureFlusher()
	}
	// Errors writing summaries are counted in Stats; Handle reports on
	// the caller's record.
	if v.nemit > 0 {
		_ = sh.emitAll(v.emit[:v.nemit])
	}
	if v.fold {
		return nil
	}
	return sh.handleNext(ctx, h.next, &r)
}

// system reports whether r, followed by the attributes of t when t is
// not nil, is a system record. A Matcher sees r alone: HandleTail calls
// system with a tail only when the Matcher reads the message alone. r is
// not modified; it is passed by pointer so that checking a record does not
// copy it.
func (h *Handler) system(ctx context.Context, r *slog.Record, t *fuse.Tail) bool {
	if h.marked {
		return true
	}
	if m := h.sh.cfg.match; m != nil && h.matches(m, ctx, r) {
		return true
	}
	found := false
	r.Attrs(func(a slog.Attr) bool {
		// Only keys of the marker's length, and empty keys (an inlined
		// group), can hold it; the test is inlined here.
		if len(a.Key) != len(markerKey) && len(a.Key) != 0 {
			return true
		}
		found = isMarker(a)
		return !found
	})
	if t != nil {
		for i := 0; !found && i < t.Len(); i++ {
			if a := t.At(i); len(a.Key) == len(markerKey) || len(a.Key) == 0 {
				found = isMarker(a)
			}
		}
	}
	return found
}

// matches reports whether m, the configured Matcher, matches r.
// MatchPrefixes's Matcher, the module's own code that compares strings and
// cannot panic, is called directly; any other through sh.matches.
func (h *Handler) matches(m Matcher, ctx context.Context, r *slog.Record) bool {
	if h.sh.cfg.matchMessageOnly {
		return m(ctx, *r)
	}
	return h.sh.matches(m, ctx, r)
}

// matches reports whether m matches r. A panic of m is recovered and
// counted in Stats.HandlePanics, and the record is then not matched; no
// lock is held while m runs.
func (sh *shared) matches(m Matcher, ctx context.Context, r *slog.Record) (matched bool) {
	returned := false
	var perr error // a panic: not matched
	defer sh.catch("Match", &returned, &perr)
	matched = m(ctx, *r)
	returned = true
	return matched
}

// isMarker reports whether a is the System marker where handlers write it
// at the level of the record's own attributes: a itself, its value
// resolved if it is a LogValuer, or a member of a group with an empty key
// (which handlers inline). A marker inside a named group value is the
// caller's data, not a marker.
func isMarker(a slog.Attr) bool {
	if a.Key == "" {
		if a.Value.Kind() != slog.KindGroup {
			return false
		}
		for _, ga := range a.Value.Group() {
			if isMarker(ga) {
				return true
			}
		}
		return false
	}
	if a.Key != markerKey {
		return false
	}
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	return v.Kind() == slog.KindString && v.String() == markerValue
}

// Stats returns the handler's counters. It is safe to call at any time;
// the counters of a Handler and all handlers derived from it are shared.
func (h *Handler) Stats() Stats { return h.sh.stats() }

var _ fuse.Handler = (*Handler)(nil)
