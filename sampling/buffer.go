package sampling

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// Phases of a scope's buffer.
const (
	phaseBuffering = iota // records below ERROR are held
	phaseFlushed          // the scope was kept and the buffer written
	phaseEnded            // the scope ended; nothing is held any more
)

// entry is one buffered record with the handler it was logged on (its
// WithAttrs/WithGroup chain) and its context.
type entry struct {
	h       *Handler
	ctx     context.Context
	r       slog.Record
	payload int // payloadSize of r
	// lostBefore is the number of records lost to a bound between the
	// previous buffered record and this one.
	lostBefore int
}

// scopeState is a Handler family's state for one request scope, attached
// to the scope with reqscope.Scope.Attach. For a scope that is not sampled
// it holds the bounded ring of buffered records.
type scopeState struct {
	sh    *shared
	scope *reqscope.Scope

	mu    sync.Mutex
	phase int
	ringp *[]entry // the ring's slice, recycled through the ring pools
	ring  []entry  // *ringp: a ring buffer; its len (a power of two) is its capacity
	head  int      // index of the oldest record
	n     int      // records held
	bytes int      // per-request estimate: n*entrySize + payloads
	// charged is what this buffer holds of the global budget: the ring's
	// slots plus the payloads.
	charged int64

	// pendingLost counts the records lost after the newest buffered one
	// (or, with nothing buffered, since the buffer was last emptied);
	// lastLost is the newest of them (its handler, context and time), where
	// the report of that trailing gap is written.
	pendingLost int
	lastLost    struct {
		h    *Handler
		ctx  context.Context
		time time.Time
	}
}

// handle buffers, flushes or passes a record of a scope that is not sampled
// (buffering on).
func (st *scopeState) handle(h *Handler, ctx context.Context, d reqscope.Decision, r slog.Record) error {
	st.mu.Lock()
	switch {
	case st.phase == phaseEnded:
		st.mu.Unlock()
		return h.handleUnbuffered(ctx, st.scope, d, r)
	case st.phase == phaseFlushed:
		st.mu.Unlock()
		return h.pass(ctx, d, r)
	case r.Level >= slog.LevelError || st.scope.Kept():
		// The trigger (or a record of a scope kept by a Keep whose
		// ScopeKept call has not reached this buffer yet, see
		// reqscope.Scope.Keep): the buffer is written first.
		st.flushLocked(d)
		st.mu.Unlock()
		st.scope.Keep() // tells the other listeners; ours is flushed already
		return h.pass(ctx, d, r)
	}
	st.bufferLocked(h, ctx, r)
	st.mu.Unlock()
	return nil
}

// bufferLocked adds a record to the ring, dropping the oldest records as
// the per-request bounds and the global budget require.
func (st *scopeState) bufferLocked(h *Handler, ctx context.Context, r slog.Record) {
	sh := st.sh
	c := &sh.stats
	c.buffered.Add(1)
	r = r.Clone()
	payload, logValuer := payloadSize(r)
	if logValuer {
		r = resolved(r)
		payload, _ = payloadSize(r)
	}
	cost := entrySize + payload
	if cost > sh.cfg.maxRequestBytes {
		c.lostRequestBound.Add(1)
		st.noteLost(1, h, ctx, r.Time)
		return
	}
	for st.n > 0 && (st.n >= sh.cfg.maxRequestRecords || st.bytes+cost > sh.cfg.maxRequestBytes) {
		st.evictLocked(&c.lostRequestBound)
	}
	need := int64(payload)
	newSlots := 0
	if st.n == len(st.ring) {
		newSlots = ringSlots(len(st.ring), sh.cfg.maxRequestRecords)
		need += int64((newSlots - len(st.ring)) * entrySize)
	}
	for !sh.budget.reserve(need) {
		if st.n == 0 {
			c.lostGlobalBudget.Add(1)
			st.noteLost(1, h, ctx, r.Time)
			return
		}
		st.evictLocked(&c.lostGlobalBudget)
		if newSlots != 0 { // a slot is free now: no need to grow
			need, newSlots = int64(payload), 0
		}
	}
	if newSlots != 0 {
		ringp := getRing(newSlots)
		ring := *ringp
		for i := 0; i < st.n; i++ {
			ring[i] = st.ring[(st.head+i)&(len(st.ring)-1)]
		}
		st.charged += int64((newSlots - len(st.ring)) * entrySize)
		putRing(st.ringp)
		st.ringp, st.ring, st.head = ringp, ring, 0
	}
	// Filled field by field: no temporary entry to copy.
	e := &st.ring[(st.head+st.n)&(len(st.ring)-1)]
	e.h, e.ctx, e.payload, e.lostBefore = h, ctx, payload, st.pendingLost
	e.r = r
	st.pendingLost = 0
	st.n++
	st.bytes += cost
	st.charged += int64(payload)
	c.bufferedRecords.Add(1)
}

// evictLocked drops the oldest buffered record, counting it in lost. The
// gap it leaves (with the one before it) moves to the next record, or to
// the trailing gap when none is left.
func (st *scopeState) evictLocked(lost *atomic.Uint64) {
	lost.Add(1)
	e := &st.ring[st.head]
	gap := e.lostBefore + 1
	st.bytes -= entrySize + e.payload
	st.charged -= int64(e.payload)
	st.sh.budget.release(int64(e.payload))
	st.sh.stats.bufferedRecords.Add(-1)
	st.head = (st.head + 1) & (len(st.ring) - 1)
	st.n--
	switch {
	case st.n > 0:
		st.ring[st.head].lostBefore += gap
	case st.pendingLost > 0: // newer records were lost already
		st.pendingLost += gap
	default:
		st.noteLost(gap, e.h, e.ctx, e.r.Time)
	}
	*e = entry{}
}

// noteLost adds n records to the trailing gap, the newest of them logged
// on h in ctx at t.
func (st *scopeState) noteLost(n int, h *Handler, ctx context.Context, t time.Time) {
	st.pendingLost += n
	st.lastLost.h, st.lastLost.ctx, st.lastLost.time = h, ctx, t
}

// releaseLocked empties the buffer and gives its memory back.
func (st *scopeState) releaseLocked() {
	st.sh.budget.release(st.charged)
	st.sh.stats.bufferedRecords.Add(-int64(st.n))
	putRing(st.ringp)
	st.ringp, st.ring, st.head, st.n, st.bytes, st.charged = nil, nil, 0, 0, 0, 0
	st.pendingLost, st.lastLost.h, st.lastLost.ctx = 0, nil, nil
}

// flushLocked writes the buffer of a kept scope: the buffered records in
// the order they were logged, each on the handler it was logged on and only
// if that handler's next handler is still enabled for it. Where records
// were lost to a bound, a WARN record with their exact number stands in the
// gap they left: before the first record logged after them, or after the
// last buffered record.
func (st *scopeState) flushLocked(d reqscope.Decision) {
	if st.phase != phaseBuffering {
		return
	}
	st.phase = phaseFlushed
	c := &st.sh.stats
	for i := 0; i < st.n; i++ {
		e := &st.ring[(st.head+i)&(len(st.ring)-1)]
		next := e.h.annotated(d.Rate, reqscope.ReasonError)
		if e.lostBefore > 0 {
			st.reportLost(next, e.ctx, e.r.Time, e.lostBefore)
		}
		if !next.Enabled(e.ctx, e.r.Level) {
			c.filtered.Add(1)
			continue
		}
		c.rescued.Add(1)
		if err := next.Handle(e.ctx, e.r); err != nil {
			c.handleErrors.Add(1)
		}
	}
	if st.pendingLost > 0 {
		next := st.lastLost.h.annotated(d.Rate, reqscope.ReasonError)
		st.reportLost(next, st.lastLost.ctx, st.lastLost.time, st.pendingLost)
	}
	st.releaseLocked()
}

// reportLost writes the WARN record that reports n records lost.
func (st *scopeState) reportLost(next slog.Handler, ctx context.Context, t time.Time, n int) {
	if !next.Enabled(ctx, slog.LevelWarn) {
		return
	}
	r := slog.NewRecord(t, slog.LevelWarn, LostRecordsMessage, 0)
	r.AddAttrs(slog.Int(LostRecordsKey, n))
	if err := next.Handle(ctx, r); err != nil {
		st.sh.stats.handleErrors.Add(1)
	}
}

// ScopeKept writes the buffered records of the kept scope (httpctx keeps a
// scope on a panic or a 5xx).
func (st *scopeState) ScopeKept(s *reqscope.Scope) {
	st.mu.Lock()
	st.flushLocked(s.Decision())
	st.mu.Unlock()
}

// ScopeEnded drops the records still buffered, counting them, and counts
// the request as kept or dropped. A scope kept by a Keep whose ScopeKept
// call has not reached this buffer yet is written, not dropped.
func (st *scopeState) ScopeEnded(s *reqscope.Scope) {
	st.mu.Lock()
	// One reading of the kept flag decides both what happens to the buffer
	// and how the request is counted, so the two agree when a Keep races.
	kept := s.Kept()
	if st.phase == phaseBuffering {
		if kept {
			st.flushLocked(s.Decision())
		} else {
			st.sh.stats.dropped.Add(uint64(st.n))
		}
	}
	st.phase = phaseEnded
	st.releaseLocked()
	st.mu.Unlock()
	if !s.Initial().Sampled {
		if kept {
			st.sh.stats.requestsKept.Add(1)
		} else {
			st.sh.stats.requestsDropped.Add(1)
		}
	}
}
