package sampling

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// batch is what a buffer held when the flusher took it out under the lock:
// records, the trailing gap of lost records and the budget they are
// charged. It is written outside the lock.
type batch struct {
	ringp *[]entry
	ring  []entry
	head  int
	n     int
	// done counts the records of the batch handed to replay so far.
	done         int
	charged      int64
	trailingLost int
	lastLost     lossPoint
}

// at returns the batch's i-th record, in the order they were logged.
func (b *batch) at(i int) *entry { return &b.ring[(b.head+i)&(len(b.ring)-1)] }

// release gives the batch's memory and budget back.
func (b *batch) release(sh *shared) {
	sh.budget.release(b.charged)
	putRing(b.ringp)
	b.ringp, b.ring, b.n, b.done, b.charged = nil, nil, 0, 0, 0
}

// trigger is the record that keeps a scope: it is written after the
// buffer taken out ahead of it.
type trigger struct {
	h   *Handler
	ctx context.Context
	d   reqscope.Decision
	r   slog.Record
	// handed is set once the record is on its way to the next handler
	// (counted in RecordsPassed).
	handed bool
}

// write tells the scope's other listeners that it is kept (ours is
// flushing already), then writes the record at once.
func (t *trigger) write(st *scopeState) error {
	st.scope.Keep()
	t.handed = true
	return t.h.pass(t.ctx, t.d, t.r)
}

// flush writes the buffer of a kept scope, outside the lock: first the
// batch taken out when the scope was kept, then the trigger (when there is
// one), then, batch by batch, the records buffered meanwhile, until the
// buffer is found empty; the state is then flushed, or ended if the scope
// ended meanwhile. It returns the trigger's error.
//
// Every call into the next handler is guarded (replay, reportLost, pass),
// so the loop runs to its end whatever the next handler does; should the
// goroutine unwind anyway (runtime.Goexit below, a panic in another
// listener of the scope), what is left is dropped and counted, the trigger
// included if it was not handed on yet, and the state still leaves
// phaseFlushing.
func (st *scopeState) flush(first batch, t *trigger) (err error) {
	rate := st.scope.Initial().Rate
	cur := &first
	finished := false
	defer func() {
		if !finished {
			st.abandon(cur, t)
		}
	}()
	st.writeBatch(cur, rate)
	if t != nil {
		err = t.write(st)
	}
	for {
		next, more := st.nextBatch()
		if !more {
			finished = true
			return err
		}
		cur = &next
		st.writeBatch(cur, rate)
	}
}

// nextBatch takes out what was buffered during the flush; with nothing
// left, it ends the flush and reports false.
func (st *scopeState) nextBatch() (batch, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.n > 0 || st.pendingLost > 0 {
		return st.takeLocked(), true
	}
	st.finishFlushLocked()
	return batch{}, false
}

// finishFlushLocked ends a flush: from now on records pass at once, or, if
// the scope ended during the flush, without a buffer.
func (st *scopeState) finishFlushLocked() {
	if st.endPending {
		st.phase = phaseEnded
		return
	}
	st.phase = phaseFlushed
}

// abandon ends a flush whose goroutine unwound before finishing: the rest
// of the batch being written and everything buffered since are counted as
// lost to the next handler, and the flush ends. A trigger not handed on
// yet had waited for the buffer ahead of it: it is counted as a buffered
// record lost the same way, so that every record reaching Handle is
// counted (passed, buffered or discarded).
func (st *scopeState) abandon(cur *batch, t *trigger) {
	c := &st.sh.stats
	rest := cur.n - cur.done
	c.lostPanic.Add(uint64(rest))
	c.addBuffered(-rest)
	cur.release(st.sh)
	if t != nil && !t.handed {
		c.buffered.Add(1)
		c.lostPanic.Add(1)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.dropLocked(&c.lostPanic)
	st.finishFlushLocked()
}

// writeBatch writes a batch in the order its records were logged, each on
// the handler it was logged on and only if that handler's next handler is
// still enabled for it. Where records were lost to a bound, a WARN record
// with their exact number stands in the gap they left: before the first
// record logged after them, or after the batch's last record.
func (st *scopeState) writeBatch(b *batch, rate float64) {
	sh := st.sh
	for b.done < b.n {
		e := b.at(b.done)
		if e.lostBefore > 0 {
			sh.reportLost(lossPoint{h: e.h, ctx: e.ctx, time: e.k.Time}, e.lostBefore, rate)
		}
		b.done++
		sh.stats.addBuffered(-1)
		sh.replay(e, rate)
		*e = entry{} // the snapshot can go now
	}
	if b.trailingLost > 0 {
		sh.reportLost(b.lastLost, b.trailingLost, rate)
		b.trailingLost = 0
	}
	b.release(sh)
}

// replay writes one buffered record and counts its outcome exactly once:
// filtered (the next handler's Enabled refused it), rescued (its Handle
// returned; an error is also counted in HandleErrors) or lost to a panic
// (recovered and also counted in HandlePanics) or to an unwinding
// goroutine.
func (sh *shared) replay(e *entry, rate float64) {
	c := &sh.stats
	outcome := &c.lostPanic
	defer func() {
		if recover() != nil {
			c.handlePanics.Add(1)
		}
		outcome.Add(1)
	}()
	next := e.h.annotated(rate, reqscope.ReasonError)
	if !next.Enabled(e.ctx, e.k.Level) {
		outcome = &c.filtered
		return
	}
	err := next.Handle(e.ctx, e.k.Record())
	outcome = &c.rescued
	if err != nil {
		c.handleErrors.Add(1)
	}
}

// reportLost writes the WARN record that reports n records lost, at p.
func (sh *shared) reportLost(p lossPoint, n int, rate float64) {
	defer sh.recoverPanic()
	next := p.h.annotated(rate, reqscope.ReasonError)
	if !next.Enabled(p.ctx, slog.LevelWarn) {
		return
	}
	r := slog.NewRecord(p.time, slog.LevelWarn, lostRecordsMessage, 0)
	r.AddAttrs(slog.Int(lostRecordsKey, n))
	if err := next.Handle(p.ctx, r); err != nil {
		sh.stats.handleErrors.Add(1)
	}
}

// ScopeKept writes the buffered records of the kept scope (kept by
// scope.Keep, an error at the scope's end, or httpctx on a panic or a 5xx),
// unless another goroutine is writing them.
func (st *scopeState) ScopeKept(*reqscope.Scope) {
	if b, ok := st.startFlush(); ok {
		st.flush(b, nil)
	}
}

// startFlush makes the caller the flusher of a buffering scope and hands
// it the buffer's content.
func (st *scopeState) startFlush() (batch, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.phase != phaseBuffering {
		return batch{}, false
	}
	st.phase = phaseFlushing
	return st.takeLocked(), true
}

// ScopeEnded drops the records still buffered, counting them, and counts
// the request as kept or dropped. A scope kept by a Keep whose ScopeKept
// call has not reached this buffer yet is written, not dropped; a scope
// whose buffer is being written ends when the flusher is done.
func (st *scopeState) ScopeEnded(s *reqscope.Scope) {
	st.sh.ctxs.remove(st)
	kept, b, flushNow := st.end(s)
	if flushNow {
		st.flush(b, nil)
	}
	if !s.Initial().Sampled {
		if kept {
			st.sh.stats.requestsKept.Add(1)
		} else {
			st.sh.stats.requestsDropped.Add(1)
		}
	}
}

// end moves the state to its end under the lock and reports whether the
// scope was kept, with the batch to write when the caller must write it.
func (st *scopeState) end(s *reqscope.Scope) (kept bool, b batch, flushNow bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch st.phase {
	case phaseBuffering:
		// One reading of the kept flag decides both what happens to the
		// buffer and how the request is counted, so the two agree when a
		// Keep races.
		if s.Kept() {
			st.phase, st.endPending = phaseFlushing, true
			return true, st.takeLocked(), true
		}
		st.dropLocked(&st.sh.stats.dropped)
		st.phase = phaseEnded
		return false, batch{}, false
	case phaseFlushing:
		st.endPending = true
		return true, batch{}, false
	default: // phaseFlushed: nothing is held
		st.phase = phaseEnded
		return true, batch{}, false
	}
}
