package sampling

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/snapshot"
)

// Phases of a scope's buffer.
const (
	phaseBuffering = iota // records below ERROR are held
	phaseFlushing         // kept: one goroutine writes the buffer, others queue in it
	phaseFlushed          // kept, and everything buffered was written
	phaseEnded            // the scope ended; nothing is held any more
)

// entry is one buffered record (a snapshot taken at the call) with the
// handler it was logged on (its WithAttrs/WithGroup chain) and its context.
type entry struct {
	h       *Handler
	ctx     context.Context
	k       snapshot.Kept
	payload int // the heap the snapshot holds, as snapshot.Kept.Take measured it
	// pieces are the chunks holding the text and the overflow attributes
	// of a flat record (see buffer_chunk.go); nil otherwise. (One pointer:
	// a slot of 8 fits its allocator size class exactly, so the slots'
	// charge is the ring's heap.)
	pieces *chunkPair
	// lostBefore is the number of records lost to a bound between the
	// previous buffered record and this one.
	lostBefore int
}

// lossPoint is where a trailing gap of lost records is reported: the
// handler, context and time of the newest record lost.
type lossPoint struct {
	h    *Handler
	ctx  context.Context
	time time.Time
}

// scopeState is a Handler family's state for one request scope, attached
// to the scope with reqscope.Scope.Attach. For a scope that is not sampled
// it holds the bounded ring of buffered records.
//
// mu guards the fields below and is never held while calling the next
// handler or the caller's code (LogValue methods run before it is taken).
// When the scope is kept, the goroutine that keeps it becomes the flusher:
// it takes the buffered records out under mu and writes them outside it.
// Records that arrive meanwhile (from other goroutines, or from the next
// handler logging into the same request) join the ring, still bounded
// (records at ERROR or above excepted, see bufferLocked), and the flusher
// takes them out in turn until it finds the ring empty.
type scopeState struct {
	sh    *shared
	scope *reqscope.Scope

	mu    sync.Mutex
	phase int
	// endPending is set when the scope ends during a flush: the flusher
	// ends the state when it has written everything.
	endPending bool
	ringp      *[]entry // the ring's slice, recycled through the ring pools
	ring       []entry  // *ringp: a ring buffer; its len (a power of two) is its capacity
	head       int      // index of the oldest record
	n          int      // records held
	bytes      int      // per-request size: n*entrySize + payloads + chunks
	// charged is what this buffer holds of the global budget: the ring's
	// slots plus the payloads and the chunks.
	charged int64
	// chunks hold the text and overflow attributes of flat records.
	chunks chunks

	// pendingLost counts the records lost after the newest buffered one
	// (or, with nothing buffered, since the buffer was last emptied);
	// lastLost is the newest of them, where the report of that trailing gap
	// is written.
	pendingLost int
	lastLost    lossPoint

	// ctxEntries are this state's entries in the handler's context cache
	// (see ctxCache), ctxUsed how many of them have been claimed.
	ctxUsed    atomic.Uint32
	ctxEntries [ctxEntriesPerScope]ctxEntry
}

// route is what handle does with a record once it has looked at the
// state under the lock.
type route int

const (
	routeBuffered   route = iota // the record (its snapshot) is in the ring
	routeSnapshot                // a snapshot is needed first: take it and retry
	routePass                    // the scope is kept and flushed: write at once
	routeUnbuffered              // the scope has ended
	routeFlush                   // the record is the trigger: write the batch, then it
)

// held is what is kept of a record, prepared before the lock: a snapshot
// with the bytes it holds, or a flat record to copy into the buffer's
// chunks, with the size of its pieces.
type held struct {
	k     snapshot.Kept
	bytes int
	ok    bool

	flat       bool
	text, back int // text bytes and overflow attributes of the record
	limit      int // the chunk limit it was measured against
}

// handle buffers, flushes or passes a record of a scope that is not sampled
// (buffering on).
func (st *scopeState) handle(h *Handler, ctx context.Context, d reqscope.Decision, r slog.Record) error {
	// A record that will most likely be buffered is snapshotted before the
	// lock: taking the snapshot runs the caller's LogValue methods.
	var snap held
	if r.Level < slog.LevelError && !st.scope.Kept() {
		snap.take(&r, st.sh.chunkLimit())
	}
	for {
		rt, b := st.route(h, ctx, &r, &snap)
		switch rt {
		case routeBuffered:
			return nil
		case routeSnapshot:
			snap.take(&r, st.sh.chunkLimit())
		case routePass:
			return h.pass(ctx, d, r)
		case routeUnbuffered:
			return h.handleUnbuffered(ctx, st.scope, d, r)
		default: // routeFlush
			return st.keep(b, h, ctx, d, r)
		}
	}
}

// keep writes the batch taken out by the record r that keeps the scope,
// then r. (Its own function, so that the trigger's frame does not weigh on
// every call of handle.)
//
//go:noinline
func (st *scopeState) keep(b batch, h *Handler, ctx context.Context, d reqscope.Decision, r slog.Record) error {
	return st.flush(b, &trigger{h: h, ctx: ctx, d: d, r: r})
}

// route decides under the lock what becomes of the record r, and buffers
// what snap holds of it when that is the answer. For routeFlush it returns the batch
// taken out of the ring.
func (st *scopeState) route(h *Handler, ctx context.Context, r *slog.Record, snap *held) (route, batch) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.phase == phaseEnded:
		return routeUnbuffered, batch{}
	case st.phase == phaseFlushed:
		return routePass, batch{}
	case st.phase == phaseBuffering && (r.Level >= slog.LevelError || st.scope.Kept()):
		// The trigger (or a record of a scope kept by a Keep whose
		// ScopeKept call has not reached this buffer yet, see
		// reqscope.Scope.Keep): the buffer is written first.
		st.phase = phaseFlushing
		return routeFlush, st.takeLocked()
	case !snap.ok:
		return routeSnapshot, batch{}
	}
	// Buffering, or flushing: the flusher writes the record in its turn.
	st.bufferLocked(h, ctx, r, snap)
	return routeBuffered, batch{}
}

// bufferLocked adds a record's snapshot, holding payload bytes, to the
// ring, dropping the oldest records below ERROR as the per-request bounds
// and the global budget require.
//
// A record at ERROR or above (it is buffered only when it arrives while a
// kept request's buffer is being written) is never dropped: the bounds
// make room for it by dropping records below ERROR, and when none is left
// it is held beyond the per-request bounds and charged to the global
// budget past its limit, so that BufferedBytes stays exact. This stays
// bounded in practice: such records wait only while the flusher writes,
// and the flusher takes them out in turn.
func (st *scopeState) bufferLocked(h *Handler, ctx context.Context, rec *slog.Record, snap *held) {
	sh := st.sh
	c := &sh.stats
	c.buffered.Add(1)
	level, at := rec.Level, rec.Time
	protected := level >= slog.LevelError
	cost := entrySize + st.pieceCost(snap)
	if cost > sh.cfg.maxRequestBytes && !protected {
		c.lostRequestBound.Add(1)
		st.noteLost(1, h, ctx, at)
		return
	}
	// freed is the budget of the records evicted here, given back with
	// the new record's reserve in one update of the shared budget.
	var freed int64
	for st.n >= sh.cfg.maxRequestRecords || st.bytes+cost > sh.cfg.maxRequestBytes {
		if !st.evictLocked(&c.lostRequestBound, &freed) {
			if !protected {
				sh.budget.release(freed)
				c.lostRequestBound.Add(1)
				st.noteLost(1, h, ctx, at)
				return
			}
			break
		}
		cost = entrySize + st.pieceCost(snap) // a chunk may have room now
	}
	payload := cost - entrySize
	need := int64(payload)
	newSlots := 0
	if st.n == len(st.ring) {
		newSlots = st.grownSlots()
		need += int64((newSlots - len(st.ring)) * entrySize)
	}
	for !sh.budget.reserve(need - freed) {
		if !st.evictLocked(&c.lostGlobalBudget, &freed) {
			if !protected {
				sh.budget.release(freed)
				c.lostGlobalBudget.Add(1)
				st.noteLost(1, h, ctx, at)
				return
			}
			sh.budget.charge(need - freed)
			break
		}
		payload = st.pieceCost(snap)
		need = int64(payload)
		if newSlots != 0 && st.n == len(st.ring) { // no slot free yet
			need += int64((newSlots - len(st.ring)) * entrySize)
		} else {
			newSlots = 0
		}
	}
	if newSlots != 0 {
		st.growLocked(newSlots)
	}
	// Filled field by field: no temporary entry to copy.
	e := &st.ring[(st.head+st.n)&(len(st.ring)-1)]
	e.h, e.ctx, e.lostBefore = h, ctx, st.pendingLost
	if snap.flat {
		released := st.keepFlatLocked(e, rec, snap)
		st.bytes -= released
		st.charged -= int64(released)
		sh.budget.release(int64(released))
	} else {
		e.k, e.payload = snap.k, payload
	}
	st.pendingLost = 0
	st.n++
	st.bytes += entrySize + payload
	st.charged += int64(payload)
	c.addBuffered(1)
}

// pieceCost is what buffering snap adds to the buffer's charge besides
// its slot: the heap its snapshot holds, or for a flat record the chunks
// it needs that the buffer does not have.
func (st *scopeState) pieceCost(snap *held) int {
	if !snap.flat {
		return snap.bytes
	}
	return st.chunks.flatCost(snap.text, snap.back, snap.limit)
}

// keepFlatLocked copies the flat record r, measured in snap, into the
// buffer's chunks and the slot e, and returns the charge of chunks left
// that no record holds any more.
func (st *scopeState) keepFlatLocked(e *entry, r *slog.Record, snap *held) int {
	text, tc, r1 := st.chunks.text.cut(snap.text, firstChunkBytes, snap.limit)
	back, ac, r2 := st.chunks.attrs.cut(snap.back, firstChunkBytes/attrChunkDivisor, snap.limit/attrChunkDivisor)
	if r1+r2 > 0 {
		st.chunks.forgetReleased()
	}
	e.k.TakeFlat(r, text, back)
	e.pieces, e.payload = st.chunks.pair(tc, ac), 0
	return r1 + r2
}

// grownSlots returns the capacity of the ring that replaces a full one:
// the next size up to MaxRequestRecords, and beyond it for records at
// ERROR or above, which the record bound does not drop.
func (st *scopeState) grownSlots() int {
	slots := ringSlots(len(st.ring), st.sh.cfg.maxRequestRecords)
	if slots <= len(st.ring) {
		slots = 2 * len(st.ring)
	}
	return slots
}

// growLocked moves the ring's records to a ring of newSlots slots, whose
// new slots the caller has reserved in the budget.
func (st *scopeState) growLocked(newSlots int) {
	ringp := getRing(newSlots)
	ring := *ringp
	for i := 0; i < st.n; i++ {
		ring[i] = st.ring[(st.head+i)&(len(st.ring)-1)]
	}
	st.charged += int64((newSlots - len(st.ring)) * entrySize)
	putRing(st.ringp)
	st.ringp, st.ring, st.head = ringp, ring, 0
}

// evictLocked drops the oldest buffered record below ERROR, counting it in
// lost, and reports whether there was one. The budget its snapshot held
// is added to freed, for the caller to give back. The records at ERROR or above
// logged before it move up one slot, so the ring stays contiguous and in
// order. The gap it leaves (with the one before it) moves to the next
// record, or to the trailing gap when it was the newest.
func (st *scopeState) evictLocked(lost *counter.Counter, freed *int64) bool {
	k := st.oldestBelowErrorLocked()
	if k < 0 {
		return false
	}
	lost.Add(1)
	mask := len(st.ring) - 1
	e := &st.ring[(st.head+k)&mask]
	payload, gap := e.payload, e.lostBefore+1
	payload += st.chunks.leave(e.pieces)
	at := lossPoint{h: e.h, ctx: e.ctx, time: e.k.Time}
	for i := k; i > 0; i-- {
		st.ring[(st.head+i)&mask] = st.ring[(st.head+i-1)&mask]
	}
	st.ring[st.head] = entry{}
	st.head = (st.head + 1) & mask
	st.n--
	st.bytes -= entrySize + payload
	st.charged -= int64(payload)
	*freed += int64(payload)
	st.sh.stats.addBuffered(-1)
	switch {
	case k < st.n:
		st.ring[(st.head+k)&mask].lostBefore += gap
	case st.pendingLost > 0: // newer records were lost already
		st.pendingLost += gap
	default:
		st.noteLost(gap, at.h, at.ctx, at.time)
	}
	return true
}

// oldestBelowErrorLocked returns the position (0 is the oldest) of the
// oldest buffered record below ERROR, or -1 if there is none. Records at
// ERROR or above are held only while a kept request's buffer is being
// written, so the scan is short: it passes over them only.
func (st *scopeState) oldestBelowErrorLocked() int {
	for i := 0; i < st.n; i++ {
		if st.ring[(st.head+i)&(len(st.ring)-1)].k.Level < slog.LevelError {
			return i
		}
	}
	return -1
}

// noteLost adds n records to the trailing gap, the newest of them logged
// on h in ctx at t.
func (st *scopeState) noteLost(n int, h *Handler, ctx context.Context, t time.Time) {
	st.pendingLost += n
	st.lastLost = lossPoint{h: h, ctx: ctx, time: t}
}

// takeLocked moves everything the buffer holds (records, trailing gap and
// their budget) into a batch, leaving the buffer empty.
func (st *scopeState) takeLocked() batch {
	b := batch{
		ringp: st.ringp, ring: st.ring, head: st.head, n: st.n,
		charged: st.charged, trailingLost: st.pendingLost, lastLost: st.lastLost,
	}
	st.ringp, st.ring, st.head, st.n, st.bytes, st.charged = nil, nil, 0, 0, 0, 0
	// The batch's records are handed to the next handler: their chunks
	// are never cut from again (a handler may keep their strings).
	st.chunks = chunks{}
	st.pendingLost, st.lastLost = 0, lossPoint{}
	return b
}

// dropLocked drops everything the buffer holds, counting the records in
// lost, and gives its memory back.
func (st *scopeState) dropLocked(lost *counter.Counter) {
	cs := st.chunks
	b := st.takeLocked()
	lost.Add(uint64(b.n))
	st.sh.stats.addBuffered(-b.n)
	b.release(st.sh)
	// None of the dropped records was handed to anyone: their chunks can
	// serve another request.
	cs.recycle()
}
