package aggregation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// shared is the state of a Handler and every handler derived from it: the
// sharded group cache, the flusher and the counters.
type shared struct {
	cfg    config
	shards []shard
	mask   uint64

	closed atomic.Bool   // set by Close, before the last flush
	groups atomic.Int64  // groups in the cache, all shards
	opened atomic.Uint64 // summaries opened, numbering them

	flusher flusher
	life    lifecycle

	// newScopeGroups creates the value attached to a request scope.
	newScopeGroups func() any

	passedUnmatched counter.Counter // touched by every record that is not a candidate
	summaries       [numCauses]atomic.Uint64
	foldedWritten   atomic.Uint64
	foldedFailed    atomic.Uint64
	foldedDisabled  atomic.Uint64
	summaryDisabled atomic.Uint64
	summaryErrors   atomic.Uint64
	handlePanics    atomic.Uint64
	summaryDropped  atomic.Uint64
	foldedDropped   atomic.Uint64
}

// numShards picks a power of two no larger than 8 that leaves each shard
// at least 64 groups on average, so that small caches keep exact LRU order.
func numShards(maxGroups int) int {
	n := 1
	for n < 8 && maxGroups/(n*2) >= 64 {
		n *= 2
	}
	return n
}

func newShared(c config) *shared {
	n := numShards(c.maxGroups)
	sh := &shared{cfg: c, shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range sh.shards {
		sh.shards[i].init()
	}
	sh.newScopeGroups = func() any { return &scopeGroups{sh: sh} }
	sh.flusher.sh = sh
	return sh
}

func (sh *shared) shardOf(h1 uint64) *shard {
	// The top bits: the map inside the shard uses the whole hash.
	return &sh.shards[(h1>>32)&sh.mask]
}

// emit writes a closed summary through the chain it was logged on, if the
// next handler still handles its level. A panic of the next handler is
// recovered, counted and returned as an error; either way the summary's
// records are counted exactly once: written, failed or disabled. If the
// next handler ends the goroutine (runtime.Goexit), the summary is counted
// as failed as the goroutine unwinds.
func (sh *shared) emit(c outgoing) error {
	s := c.sum
	sh.summaries[c.cause].Add(1)
	settled := false
	defer func() {
		if !settled {
			sh.countFailed(s)
		}
	}()
	enabled, err := sh.enabledNext(s.ctx, s.next, s.rec.level)
	switch {
	case err != nil:
		sh.countFailed(s)
	case !enabled:
		sh.summaryDisabled.Add(1)
		sh.foldedDisabled.Add(uint64(s.count))
	default:
		r := s.record(time.Now(), sh.cfg.window)
		if err = sh.handleNext(s.ctx, s.next, &r); err != nil {
			sh.countFailed(s)
		} else {
			sh.foldedWritten.Add(uint64(s.count))
		}
	}
	settled = true
	return err
}

// countFailed counts s as a summary the next handler failed to write.
func (sh *shared) countFailed(s *summary) {
	sh.summaryErrors.Add(1)
	sh.foldedFailed.Add(uint64(s.count))
}

// countDropped counts closed summaries that were not given to the next
// handler.
func (sh *shared) countDropped(out []outgoing) {
	for _, c := range out {
		sh.summaries[c.cause].Add(1)
		sh.summaryDropped.Add(1)
		sh.foldedDropped.Add(uint64(c.sum.count))
	}
}

// emitAll writes closed summaries in the order they were opened and
// returns their errors, joined. If the next handler ends the goroutine
// (runtime.Goexit), the summaries not yet written are counted as dropped.
func (sh *shared) emitAll(out []outgoing) error {
	sortClosed(out)
	var errs []error
	i := 0
	defer func() {
		if i < len(out) { // out[i] was being written: emit counted it
			sh.countDropped(out[i+1:])
		}
	}()
	for ; i < len(out); i++ {
		if err := sh.emit(out[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// handleNext passes r to next. A panic of next is recovered, counted in
// HandlePanics and returned as an error, so that it never unwinds through
// the handler's bookkeeping or the flusher. A runtime.Goexit of next is
// counted in HandlePanics too, and goes on ending the goroutine.
func (sh *shared) handleNext(ctx context.Context, next slog.Handler, r *slog.Record) (err error) {
	returned := false
	defer sh.catch("next handler", &returned, &err)
	err = next.Handle(ctx, *r)
	returned = true
	return err
}

// passNext is handleNext for r followed by the attributes of t, given to
// next beside r when next takes them (fuse.Pass).
func (sh *shared) passNext(ctx context.Context, next slog.Handler, r *slog.Record, t *fuse.Tail) (err error) {
	returned := false
	defer sh.catch("next handler", &returned, &err)
	err = fuse.Pass(ctx, next, *r, *t)
	returned = true
	return err
}

// enabledNext reports whether next handles level, like handleNext for
// next.Enabled: a panic is counted and returned as an error.
func (sh *shared) enabledNext(ctx context.Context, next slog.Handler, level slog.Level) (enabled bool, err error) {
	err = sh.guard("next handler's Enabled", func() { enabled = next.Enabled(ctx, level) })
	return enabled, err
}

// guard runs f, a call into code the handler does not own (the next
// handler, the Matcher), and returns nil when f returns. When f panics,
// the panic is recovered, counted in HandlePanics and returned as an error
// naming what; a runtime.Goexit in f is counted there too and goes on
// ending the goroutine. The paths every record takes defer catch
// themselves, without the closure.
func (sh *shared) guard(what string, f func()) (err error) {
	returned := false
	defer sh.catch(what, &returned, &err)
	f()
	returned = true
	return nil
}

// catch, deferred by a call into code the handler does not own, does
// nothing when the call returned (*returned set after it). Otherwise the
// call panicked or ended the goroutine (runtime.Goexit): it counts that in
// HandlePanics and, for a panic, recovers it and sets *err to an error
// naming what.
func (sh *shared) catch(what string, returned *bool, err *error) {
	if *returned {
		return
	}
	sh.handlePanics.Add(1)
	if p := recover(); p != nil {
		*err = fmt.Errorf("aggregation: %s panicked: %v", what, p)
	}
}

// collect closes every open summary and appends it to out; with drop it
// also empties the cache.
func (sh *shared) collect(drop bool, out []outgoing) []outgoing {
	for i := range sh.shards {
		out = sh.shards[i].flush(sh, drop, out)
	}
	return out
}

// countOpen returns the number of open summaries and of the records
// folded into them.
func (sh *shared) countOpen() (summaries, records int) {
	for i := range sh.shards {
		n, r := sh.shards[i].countOpen()
		summaries += n
		records += r
	}
	return summaries, records
}

// sortClosed orders summaries closed together by when they opened.
func sortClosed(cs []outgoing) {
	slices.SortFunc(cs, func(a, b outgoing) int { return cmp.Compare(a.sum.seq, b.sum.seq) })
}

// register records that g belongs to the request scope sc, so that the
// end of the scope writes g's summary and frees g. It reports false if the
// scope has ended.
func (sh *shared) register(sc *reqscope.Scope, g *group) bool {
	v, ok := sc.Attach(sh, sh.newScopeGroups)
	if !ok {
		return false
	}
	return v.(*scopeGroups).add(g)
}

// scopeGroups is attached to a request scope: it lists the scope's groups
// and, as a reqscope.Listener, writes their summaries and frees them when
// the scope ends.
type scopeGroups struct {
	sh     *shared
	mu     sync.Mutex
	ended  bool
	groups []*group
}

// minCompact is the length from which the list drops removed groups
// before it grows.
const minCompact = 64

// add appends g unless the scope has ended. Before the list grows it drops
// the groups already removed from the cache, so it stays within about
// twice the scope's live groups.
func (l *scopeGroups) add(g *group) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return false
	}
	if len(l.groups) == cap(l.groups) && len(l.groups) >= minCompact {
		live := l.groups[:0]
		for _, x := range l.groups {
			if !x.dead.Load() {
				live = append(live, x)
			}
		}
		clear(l.groups[len(live):])
		l.groups = live
	}
	l.groups = append(l.groups, g)
	return true
}

// ScopeKept does nothing: keeping a scope does not change aggregation.
func (l *scopeGroups) ScopeKept(*reqscope.Scope) {}

// ScopeEnded writes the open summaries of the scope's groups (cause
// request end) and removes the groups from the cache.
func (l *scopeGroups) ScopeEnded(s *reqscope.Scope) {
	l.mu.Lock()
	l.ended = true
	groups := l.groups
	l.groups = nil
	l.mu.Unlock()
	var out []outgoing
	for _, g := range groups {
		out = l.sh.shardOf(g.h1).endGroup(l.sh, g, s, out)
	}
	// Errors are counted in Stats; the scope's end has no one to tell.
	_ = l.sh.emitAll(out)
}
