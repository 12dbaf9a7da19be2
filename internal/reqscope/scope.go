package reqscope

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

// Reasons a scope's records are kept or dropped, written as _sample_reason.
const (
	ReasonExcluded = "excluded" // the path is excluded from logging
	ReasonPath     = "path"     // the path is always sampled
	ReasonTrace    = "trace"    // the span context's sampled flag decided
	ReasonRate     = "rate"     // the correlation ID's hash against the rate decided
	ReasonError    = "error"    // an error, a panic or a 5xx rescued the scope
	ReasonForced   = "forced"   // a verified forced-sampling token asked for the scope whole
)

// Forced is the decision of a scope with a valid forced-sampling token.
var Forced = Decision{Sampled: true, Rate: 1, Reason: ReasonForced}

// Decision is the sampling decision of a scope.
type Decision struct {
	// Sampled reports whether the scope's records are written.
	Sampled bool
	// Rate is the sampling rate in force when the decision was made, in [0, 1].
	Rate float64
	// Reason says which rule decided: one of the Reason constants.
	Reason string
}

// Listener is implemented by values attached to a scope (see Scope.Attach)
// that must react to the scope's life cycle. The scope calls each method at
// most once per listener, outside its own lock, in attachment order.
type Listener interface {
	// ScopeKept is called when a scope that was not sampled is kept
	// (Scope.Keep): buffered records must be written now.
	ScopeKept(s *Scope)
	// ScopeEnded is called when the scope ends (Scope.End): per-scope
	// state must be released. After it, Attach returns nothing new.
	ScopeEnded(s *Scope)
}

const (
	flagKept  uint32 = 1 << iota // Keep was called on a scope not sampled
	flagEnded                    // End was called
)

// Scope is one unit of work. Its methods are safe for concurrent use.
type Scope struct {
	correlationID string
	spanContext   trace.SpanContext
	decision      Decision
	forceToken    string // the verified forced-sampling token, "" if none

	flags atomic.Uint32

	// attachments is a list in attachment order, appended to under mu
	// (last is its tail) and read without a lock, so that Lookup (called
	// for every record by the handlers) costs one atomic load per
	// attachment passed, and Attach one allocation. End detaches the whole
	// list at once.
	mu          sync.Mutex
	attachments atomic.Pointer[attachment]
	last        *attachment
}

// attachment is one attached value, never modified once published except
// for next, set once when the following attachment is appended.
type attachment struct {
	key   any
	value any
	next  atomic.Pointer[attachment]
}

// New returns an open scope with the given correlation ID, span context (the
// zero value when there is none) and initial sampling decision.
func New(correlationID string, sc trace.SpanContext, d Decision) *Scope {
	s := new(Scope)
	s.Open(correlationID, sc, d)
	return s
}

// Open makes the zero Scope s an open scope with the given correlation ID,
// span context and initial decision, in place, as New does for a new one:
// for a Scope held inside a larger per-request allocation. It must be
// called once, before s is shared.
func (s *Scope) Open(correlationID string, sc trace.SpanContext, d Decision) {
	s.correlationID, s.spanContext, s.decision = correlationID, sc, d
}

// SetForceToken records the verified forced-sampling token that decided
// the scope (its decision has reason ReasonForced), so that it can be
// passed on to the services the work calls. Like Open, it must be called
// before s is shared.
func (s *Scope) SetForceToken(token string) { s.forceToken = token }

// ForceToken returns the token recorded with SetForceToken, or "".
func (s *Scope) ForceToken() string { return s.forceToken }

// CorrelationID returns the scope's correlation ID.
func (s *Scope) CorrelationID() string { return s.correlationID }

// SpanContext returns the span context the scope was opened with; it is the
// zero value (not valid) when there was none.
func (s *Scope) SpanContext() trace.SpanContext { return s.spanContext }

// Initial returns the decision made when the scope opened.
func (s *Scope) Initial() Decision { return s.decision }

// Sampled reports whether the scope's records are written now: it was
// sampled when it opened, or it has been kept since. It costs one atomic load.
func (s *Scope) Sampled() bool {
	return s.decision.Sampled || s.flags.Load()&flagKept != 0
}

// Kept reports whether a scope that was not sampled has been kept by Keep.
func (s *Scope) Kept() bool { return s.flags.Load()&flagKept != 0 }

// Ended reports whether End has been called.
func (s *Scope) Ended() bool { return s.flags.Load()&flagEnded != 0 }

// Decision returns the decision in force: the initial one, or, once a scope
// that was not sampled has been kept, Sampled with reason ReasonError.
func (s *Scope) Decision() Decision {
	if !s.decision.Sampled && s.flags.Load()&flagKept != 0 {
		return Decision{Sampled: true, Rate: s.decision.Rate, Reason: ReasonError}
	}
	return s.decision
}

// Keep marks a scope that was not sampled as kept and tells the listeners,
// once. It reports whether this call was the one that kept it. On a sampled
// scope it does nothing and returns false. Keep after End still marks the
// scope kept (records logged later follow the new decision) but the ended
// listeners hold no buffers any more.
//
// A value attached concurrently with Keep may miss the ScopeKept call: the
// kept flag is set before the listeners are listed, so a handler that
// appends to its attached buffer must check Kept under the buffer's own
// lock and flush instead of buffering when it is set.
func (s *Scope) Keep() bool {
	if s.decision.Sampled {
		return false
	}
	for {
		old := s.flags.Load()
		if old&flagKept != 0 {
			return false
		}
		if s.flags.CompareAndSwap(old, old|flagKept) {
			break
		}
	}
	// The flag is set before the attachments are listed: a value attached
	// after this read sees Kept() == true (see the comment above).
	s.mu.Lock()
	first, last := s.attachments.Load(), s.last
	s.mu.Unlock()
	for l := range listeners(first, last) {
		l.ScopeKept(s)
	}
	return true
}

// End closes the scope and tells the listeners, once; it reports whether
// this call was the one that ended it. Attachments are released.
func (s *Scope) End() bool {
	for {
		old := s.flags.Load()
		if old&flagEnded != 0 {
			return false
		}
		if s.flags.CompareAndSwap(old, old|flagEnded) {
			break
		}
	}
	s.mu.Lock()
	first, last := s.attachments.Swap(nil), s.last
	s.last = nil
	s.mu.Unlock()
	for l := range listeners(first, last) {
		l.ScopeEnded(s)
	}
	return true
}

// listeners yields the attached values that implement Listener, in
// attachment order, from first to last (both read together under the
// scope's lock: values attached later are not listed). Attachments are
// only ever appended, so iterating the list needs no lock and no copy.
func listeners(first, last *attachment) iter.Seq[Listener] {
	return func(yield func(Listener) bool) {
		for a := first; a != nil; a = a.next.Load() {
			if l, ok := a.value.(Listener); ok && !yield(l) {
				return
			}
			if a == last {
				return
			}
		}
	}
}

// Attach returns the value attached under key, creating it with create if
// there is none yet. Keys are compared with ==; use an unexported pointer
// (a handler's shared state) so that independent handlers do not collide.
// On an ended scope it returns nil, false and does not call create: a done
// scope holds no per-scope state. create runs under the scope's lock, at
// most once per key, and must not call back into the scope.
//
// When the value exists, Attach takes no lock. Callers on a hot path that
// want to avoid building a create closure for every call can try Lookup
// first.
func (s *Scope) Attach(key any, create func() any) (any, bool) {
	if s.flags.Load()&flagEnded != 0 {
		return nil, false
	}
	if v, ok := find(s.attachments.Load(), key); ok {
		return v, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flags.Load()&flagEnded != 0 {
		return nil, false
	}
	if v, ok := find(s.attachments.Load(), key); ok {
		return v, true
	}
	a := &attachment{key: key, value: create()}
	if s.last == nil {
		s.attachments.Store(a)
	} else {
		s.last.next.Store(a)
	}
	s.last = a
	return a.value, true
}

// Lookup returns the value attached under key, if any; after End it finds
// nothing. It takes no lock: one atomic load per attachment scanned.
func (s *Scope) Lookup(key any) (any, bool) {
	return find(s.attachments.Load(), key)
}

func find(all *attachment, key any) (any, bool) {
	for a := all; a != nil; a = a.next.Load() {
		if a.key == key {
			return a.value, true
		}
	}
	return nil, false
}

type contextKey struct{}

// IsContextKey reports whether key is the key under which NewContext
// stores a scope, so that a context type of its own that carries a scope
// (answering Value for that key itself) can be found by FromContext.
func IsContextKey(key any) bool {
	_, ok := key.(contextKey)
	return ok
}

// NewContext returns a copy of ctx that carries s.
func NewContext(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, contextKey{}, s)
}

// FromContext returns the scope in ctx, or nil when there is none (or ctx
// is nil).
func FromContext(ctx context.Context) *Scope {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(contextKey{}).(*Scope)
	return s
}
