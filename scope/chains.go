package scope

import (
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// maxScopeChains bounds the chains cached per scope: the distinct
// (handler, span) pairs under an open group that one request logs with.
const maxScopeChains = 16

// history is what a Handler was given from its first open group on, in
// order. It is never modified once made: each WithAttrs and WithGroup under
// a group makes a new one, and its address identifies the handler in the
// per-scope chain caches.
type history struct {
	steps []historyStep
}

// historyStep is one WithGroup(group) call, or, when attrs is not nil, one
// WithAttrs(attrs) call (attrs are snapshots, owned by the history).
type historyStep struct {
	group string
	attrs []slog.Attr
}

// with returns a new history: h (nil for none) followed by step.
func (h *history) with(step historyStep) *history {
	var steps []historyStep
	if h != nil {
		steps = make([]historyStep, len(h.steps), len(h.steps)+1)
		copy(steps, h.steps)
	}
	return &history{steps: append(steps, step)}
}

// chainFor returns the chain that records of scope s (nil when the record
// has a span but no scope) go through when h has a group open: h.root with
// the correlation attributes corr added, then h's history replayed. It is
// taken from the scope's cache, or built and cached there.
func (h *Handler) chainFor(s *reqscope.Scope, corr []slog.Attr) slog.Handler {
	if s == nil {
		return h.buildChain(corr)
	}
	v, ok := s.Attach(chainCacheKey, newChainCache)
	if !ok {
		// The scope has ended: its cache is gone for good.
		return h.buildChain(corr)
	}
	cache := v.(*chainCache)
	if c := cache.find(h.hist, corr); c != nil {
		return c
	}
	c := h.buildChain(corr)
	cache.add(h.hist, corr, c)
	return c
}

// buildChain replays h's history onto h.root after adding corr.
func (h *Handler) buildChain(corr []slog.Attr) slog.Handler {
	h.stats.chainsBuilt.Add(1)
	// Every slice given to WithAttrs is a new one: the handler below owns it.
	c := h.root.WithAttrs(slices.Clone(corr))
	for _, st := range h.hist.steps {
		if st.attrs == nil {
			c = c.WithGroup(st.group)
		} else {
			c = c.WithAttrs(slices.Clone(st.attrs))
		}
	}
	return c
}

// chainCacheKeyType makes chainCacheKey a key no other package can make.
type chainCacheKeyType struct{ _ byte }

// chainCacheKey is the key of the chain cache attached to a scope.
var chainCacheKey = &chainCacheKeyType{}

func newChainCache() any { return new(chainCache) }

// chainCache holds the chains built for one scope. It is attached to the
// scope (reqscope.Scope.Attach), so it is released when the scope ends.
// Readers take no lock: the entry slice is replaced, never modified, and
// swapped in with a compare-and-swap.
type chainCache struct {
	entries atomic.Pointer[[]chainEntry]
}

// chainEntry is the chain of one handler history for one set of
// correlation attribute values (the scope's span or a child span).
type chainEntry struct {
	hist  *history
	n     int
	corr  [3]slog.Attr
	chain slog.Handler
}

func (e *chainEntry) matches(hist *history, corr []slog.Attr) bool {
	if e.hist != hist || e.n != len(corr) {
		return false
	}
	for i, a := range corr {
		if e.corr[i].Key != a.Key || e.corr[i].Value.String() != a.Value.String() {
			return false
		}
	}
	return true
}

// find returns the cached chain for hist and corr, or nil.
func (c *chainCache) find(hist *history, corr []slog.Attr) slog.Handler {
	p := c.entries.Load()
	if p == nil {
		return nil
	}
	for i := range *p {
		if e := &(*p)[i]; e.matches(hist, corr) {
			return e.chain
		}
	}
	return nil
}

// add caches chain for hist and corr, replacing the oldest entry when the
// cache is full. If another goroutine cached the same key meanwhile, both
// chains are equivalent and either may stay.
func (c *chainCache) add(hist *history, corr []slog.Attr, chain slog.Handler) {
	e := chainEntry{hist: hist, n: len(corr), chain: chain}
	copy(e.corr[:], corr)
	for {
		old := c.entries.Load()
		var next []chainEntry
		if old != nil {
			keep := *old
			if len(keep) >= maxScopeChains {
				keep = keep[len(keep)-maxScopeChains+1:]
			}
			next = make([]chainEntry, len(keep), len(keep)+1)
			copy(next, keep)
		}
		next = append(next, e)
		if c.entries.CompareAndSwap(old, &next) {
			return
		}
	}
}
