package sampling

import (
	"context"
	"log/slog"
	"sync"
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
	ring  []entry  // *ringp: a ring buffer whose len is its capacity
	head  int      // index of the oldest record
	n     int      // records held
	bytes int      // per-request estimate: n*entrySize + payloads
	// charged is what this buffer holds of the global budget: the ring's
	// slots plus the payloads.
	charged int64

	// lost counts records dropped from this buffer to make room; lastLost
	// is the newest of them (its handler, context and time), where the
	// report of the loss is written when no buffered record is left.
	lost     int
	lastLost struct {
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
		st.noteLost(h, ctx, r.Time, &c.lostRequestBound)
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
			st.noteLost(h, ctx, r.Time, &c.lostGlobalBudget)
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
			ring[i] = st.ring[(st.head+i)%len(st.ring)]
		}
		st.charged += int64((newSlots - len(st.ring)) * entrySize)
		putRing(st.ringp)
		st.ringp, st.ring, st.head = ringp, ring, 0
	}
	st.ring[(st.head+st.n)%len(st.ring)] = entry{h: h, ctx: ctx, r: r, payload: payload}
	st.n++
	st.bytes += cost
	st.charged += int64(payload)
	c.bufferedRecords.Add(1)
}

// evictLocked drops the oldest buffered record, counting it in lost.
func (st *scopeState) evictLocked(lost interface{ Add(uint64) uint64 }) {
	e := &st.ring[st.head]
	st.noteLost(e.h, e.ctx, e.r.Time, lost)
	st.bytes -= entrySize + e.payload
	st.charged -= int64(e.payload)
	st.sh.budget.release(int64(e.payload))
	st.sh.stats.bufferedRecords.Add(-1)
	*e = entry{}
	st.head = (st.head + 1) % len(st.ring)
	st.n--
}

func (st *scopeState) noteLost(h *Handler, ctx context.Context, t time.Time, counter interface{ Add(uint64) uint64 }) {
	counter.Add(1)
	st.lost++
	st.lastLost.h, st.lastLost.ctx, st.lastLost.time = h, ctx, t
}

// releaseLocked empties the buffer and gives its memory back.
func (st *scopeState) releaseLocked() {
	st.sh.budget.release(st.charged)
	st.sh.stats.bufferedRecords.Add(-int64(st.n))
	putRing(st.ringp)
	st.ringp, st.ring, st.head, st.n, st.bytes, st.charged = nil, nil, 0, 0, 0, 0
	st.lastLost.h, st.lastLost.ctx = nil, nil
}

// flushLocked writes the buffer of a kept scope: first, when records were
// lost to a bound, a WARN record with their exact number; then the buffered
// records in the order they were logged, each on the handler it was logged
// on and only if that handler's next handler is still enabled for it.
func (st *scopeState) flushLocked(d reqscope.Decision) {
	if st.phase != phaseBuffering {
		return
	}
	st.phase = phaseFlushed
	c := &st.sh.stats
	if st.lost > 0 {
		h, ctx, t := st.lastLost.h, st.lastLost.ctx, st.lastLost.time
		if st.n > 0 {
			e := &st.ring[st.head]
			h, ctx = e.h, e.ctx
		}
		r := slog.NewRecord(t, slog.LevelWarn, "sampling: records of this request were lost from its buffer", 0)
		r.AddAttrs(slog.Int(LostRecordsKey, st.lost))
		if next := h.annotated(d.Rate, reqscope.ReasonError); next.Enabled(ctx, r.Level) {
			if err := next.Handle(ctx, r); err != nil {
				c.handleErrors.Add(1)
			}
		}
	}
	for i := 0; i < st.n; i++ {
		e := &st.ring[(st.head+i)%len(st.ring)]
		next := e.h.annotated(d.Rate, reqscope.ReasonError)
		if !next.Enabled(e.ctx, e.r.Level) {
			c.filtered.Add(1)
			continue
		}
		c.rescued.Add(1)
		if err := next.Handle(e.ctx, e.r); err != nil {
			c.handleErrors.Add(1)
		}
	}
	st.releaseLocked()
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
	if st.phase == phaseBuffering {
		if s.Kept() {
			st.flushLocked(s.Decision())
		} else {
			st.sh.stats.dropped.Add(uint64(st.n))
		}
	}
	st.phase = phaseEnded
	st.releaseLocked()
	st.mu.Unlock()
	if !s.Initial().Sampled {
		if s.Kept() {
			st.sh.stats.requestsKept.Add(1)
		} else {
			st.sh.stats.requestsDropped.Add(1)
		}
	}
}
