package async

import (
	"runtime"
	"sync"

	"github.com/slogstack/slogstack/internal/ringbuf"
)

// maxBlockBytes is the most bytes a Writer packs into one block, and so
// the most it hands the underlying writer in one Write call (Options
// BatchBytes may lower it; a single longer record gets a block of its own).
const maxBlockBytes = 64 << 10

// maxFreeBlocks is how many emptied blocks a Writer keeps on its own free
// list; more go to a sync.Pool, which the garbage collector may empty.
const maxFreeBlocks = 4

// block is a run of queued records stored back to back: record i is the
// recs[i].n bytes after records 0..i-1. Records before head were dropped,
// and so may be records after it (holes); off is where record head starts.
type block struct {
	b            []byte
	recs         []blockRec
	head         int
	off          int
	alive        int  // records not dropped
	aliveLow     int  // of those, below WARN
	aliveSize    int  // their bytes
	aliveLowSize int  // the bytes of those below WARN
	holes        bool // a record after head was dropped
}

// blockRec is one record of a block.
type blockRec struct {
	n       int
	high    bool // WARN or above: may use the reserve
	dropped bool
}

// live returns how many records the block still holds.
func (k *block) live() int { return k.alive }

// reset empties the block for reuse.
func (k *block) reset() {
	k.b = k.b[:0]
	k.recs = k.recs[:0]
	k.head, k.off, k.alive, k.aliveLow, k.aliveSize, k.aliveLowSize, k.holes = 0, 0, 0, 0, 0, 0, false
}

// drop marks record i, at byte offset pos, dropped and returns its bytes.
func (k *block) drop(i, pos int) []byte {
	r := &k.recs[i]
	r.dropped = true
	k.alive--
	k.aliveSize -= r.n
	if !r.high {
		k.aliveLow--
		k.aliveLowSize -= r.n
	}
	p := k.b[pos : pos+r.n]
	if i != k.head {
		k.holes = true
		return p
	}
	for k.head < len(k.recs) && k.recs[k.head].dropped {
		k.off += k.recs[k.head].n
		k.head++
	}
	return p
}

// compact moves the live records together, past holes, and returns their
// bytes. Only the consumer calls it, on a block taken off the queue.
func (k *block) compact() []byte {
	if !k.holes {
		return k.b[k.off:]
	}
	w, pos, j := k.off, k.off, k.head
	for _, r := range k.recs[k.head:] {
		if !r.dropped {
			copy(k.b[w:], k.b[pos:pos+r.n])
			w += r.n
			k.recs[j] = r
			j++
		}
		pos += r.n
	}
	k.b, k.recs, k.holes = k.b[:w], k.recs[:j], false
	return k.b[k.off:]
}

// recordsWithin returns how many records of a compacted block end within
// its first n bytes after off.
func (k *block) recordsWithin(n int) int {
	count, end := 0, 0
	for _, r := range k.recs[k.head:] {
		end += r.n
		if end > n {
			break
		}
		count++
	}
	return count
}

// blockQueue is the Writer's queue: a bounded multi-producer single-consumer
// FIFO of records stored in blocks. Push copies a record into the newest
// block under one short lock; Pop takes the oldest whole block, so the
// drain goroutine writes many records with one call and the producers never
// touch a block once it is popped. When the queue is full (capacity records
// or maxBytes bytes; for records below WARN, capacity minus the reserve
// and the same share of maxBytes) Push waits on the gate while the
// consumer makes progress, and once it stalls drops the oldest records
// (the oldest below WARN when those are over their share), passing each to
// onDrop under the lock. It has the semantics of ringbuf.Ring, with counts
// (Stats, Discard) in records.
type blockQueue struct {
	mu          sync.Mutex
	blocks      []*block  // oldest first; the last is cur when cur is not nil
	first       int       // index in blocks of the oldest block
	cur         *block    // the block Push appends to; nil when none is open
	free        []*block  // emptied blocks for reuse
	spare       sync.Pool // of *block: emptied blocks beyond the free list
	blockCap    int       // bytes per block
	blockRecs   int       // records per block
	capacity    int
	lowCap      int // records below WARN may hold at most this many slots
	maxBytes    int
	lowMaxBytes int // and at most this many bytes
	records     int // queued now (popped blocks excluded)
	low         int // of those, below WARN
	bytes       int
	lowBytes    int
	highWater   int
	pushed      uint64
	pushedB     int64
	evicted     uint64
	closed      bool
	waker       ringbuf.Waker // when a Push must wake the consumer
	onDrop      func(p []byte, size int)
	gate        *ringbuf.Gate
	// lowCursor is the oldest block that may hold a live record below
	// WARN; nil means the first block.
	lowCursor *block
}

func newBlockQueue(opts Options, gate *ringbuf.Gate, onDrop func(p []byte, size int)) *blockQueue {
	capacity := max(opts.Capacity, 1)
	reserved := min(max(opts.Reserved, 0), capacity-1)
	maxBytes := max(opts.MaxBytes, 1)
	q := &blockQueue{
		blockCap:    max(min(maxBlockBytes, opts.BatchBytes), 1),
		blockRecs:   max(opts.BatchSize, 1),
		capacity:    capacity,
		lowCap:      capacity - reserved,
		maxBytes:    maxBytes,
		lowMaxBytes: maxBytes - int(int64(maxBytes)*int64(reserved)/int64(capacity)),
		onDrop:      onDrop,
		gate:        gate,
	}
	// A lingering drain is woken once a block's worth is queued: it pops
	// whole blocks, so an earlier wake-up would only hand it part of one.
	q.waker = ringbuf.NewWakerAt(capacity, maxBytes, q.blockRecs, q.blockCap)
	return q
}

// Push appends a copy of p, first making room as needed to respect the
// bounds: it waits on the gate while the consumer makes progress, and
// drops the oldest records once the gate reports a stall. p must not be
// longer than maxBytes. It reports false, copying nothing, only if the
// queue is closed. Like ringbuf.Ring.Push it yields the processor once
// when the consumer was woken and has not run while the queue filled past
// half.
func (q *blockQueue) Push(p []byte) bool {
	high := false
	if q.lowCap < q.capacity {
		b := lineBand(p)
		high = b == bandWarn || b == bandError
	}
	var fresh *block // a block made outside the lock, when none was free
	var k *block
	q.mu.Lock()
	for {
		if q.closed {
			q.mu.Unlock()
			q.keep(fresh)
			return false
		}
		dropLow, dropAny := q.mustDrop(high, len(p))
		if !dropLow && !dropAny {
			k = q.cur
			if k != nil && q.fits(k, len(p)) {
				break
			}
			if fresh == nil && !q.hasFree(len(p)) {
				q.mu.Unlock()
				fresh = q.newBlock(len(p))
				q.mu.Lock()
				continue // the queue may have changed meanwhile
			}
			k, fresh = q.open(fresh), nil
			break
		}
		if !q.gate.Stalled() {
			t := q.gate.Enter()
			signal := q.waker.Urgent() // an idle consumer must pop to make room
			q.mu.Unlock()
			if signal {
				q.waker.Signal()
			}
			q.gate.Wait(t)
			q.mu.Lock()
			continue
		}
		if dropLow {
			q.dropOldestLow()
		} else {
			q.dropOldest()
		}
	}
	k.b = append(k.b, p...)
	k.recs = append(k.recs, blockRec{n: len(p), high: high})
	k.alive++
	k.aliveSize += len(p)
	q.records++
	q.bytes += len(p)
	if !high {
		k.aliveLow++
		k.aliveLowSize += len(p)
		q.low++
		q.lowBytes += len(p)
	}
	q.pushed++
	q.pushedB += int64(len(p))
	if q.records > q.highWater {
		q.highWater = q.records
	}
	signal, starved := q.waker.Pushed(q.records, q.bytes)
	q.mu.Unlock()
	q.keep(fresh)
	if signal {
		q.waker.Signal()
	}
	if starved {
		runtime.Gosched()
	}
	return true
}

// mustDrop reports whether a record of n bytes, of the reserve's class
// if high, fits only after the oldest record below WARN (dropLow) or the
// oldest record (dropAny) goes. The lock must be held.
func (q *blockQueue) mustDrop(high bool, n int) (dropLow, dropAny bool) {
	if !high && q.low > 0 && (q.low >= q.lowCap || q.lowBytes+n > q.lowMaxBytes) {
		return true, false
	}
	return false, q.records >= q.capacity || q.records > 0 && q.bytes+n > q.maxBytes
}

// fits reports whether the current block k takes a record of n bytes:
// it has a record slot left and, unless empty, room for the bytes. The
// lock must be held.
func (q *blockQueue) fits(k *block, n int) bool {
	return len(k.recs) < q.blockRecs && (len(k.b) == 0 || len(k.b)+n <= q.blockCap)
}

// hasFree reports whether open finds a block for a record of n bytes on
// the free list. The lock must be held.
func (q *blockQueue) hasFree(n int) bool { return n <= q.blockCap && len(q.free) > 0 }

// newBlock returns an empty block with room for at least n bytes: from
// the spare pool, or made. It needs no lock, so a Push calls it with the
// lock released: making a block clears up to 64 KiB.
func (q *blockQueue) newBlock(n int) *block {
	if n > q.blockCap {
		return &block{b: make([]byte, 0, n), recs: make([]blockRec, 0, 1)}
	}
	if v := q.spare.Get(); v != nil {
		return v.(*block)
	}
	return &block{b: make([]byte, 0, q.blockCap), recs: make([]blockRec, 0, min(q.blockRecs, q.blockCap))}
}

// keep returns an unused block made by newBlock: to the free list or the
// spare pool if it has the usual size. Nil is ignored.
func (q *blockQueue) keep(k *block) {
	if k == nil {
		return
	}
	q.mu.Lock()
	q.recycle(k)
	q.mu.Unlock()
}

// open starts a new current block: fresh if not nil (made by newBlock
// for the record to come), else one from the free list, which hasFree
// said holds one. The lock must be held.
func (q *blockQueue) open(fresh *block) *block {
	k := fresh
	if k == nil {
		i := len(q.free) - 1
		k = q.free[i]
		q.free[i] = nil
		q.free = q.free[:i]
	}
	if q.first > 0 && 2*q.first >= len(q.blocks) { // keep blocks from creeping through memory
		n := copy(q.blocks, q.blocks[q.first:])
		clear(q.blocks[n:])
		q.blocks, q.first = q.blocks[:n], 0
	}
	q.blocks = append(q.blocks, k)
	q.cur = k
	return k
}

// dropOldest drops the oldest queued record. The queue must not be empty.
func (q *blockQueue) dropOldest() {
	k := q.blocks[q.first]
	q.dropRecord(k, k.head, k.off)
}

// dropOldestLow drops the oldest queued record below WARN. The queue must
// hold one.
func (q *blockQueue) dropOldestLow() {
	started := q.lowCursor == nil
	for _, k := range q.blocks[q.first:] {
		if !started && k != q.lowCursor {
			continue
		}
		started = true
		if k.aliveLow == 0 {
			continue
		}
		pos := k.off
		for i := k.head; i < len(k.recs); i++ {
			if r := k.recs[i]; !r.dropped && !r.high {
				q.lowCursor = k
				q.dropRecord(k, i, pos)
				return
			}
			pos += k.recs[i].n
		}
	}
}

// dropRecord drops record i of k, which starts at byte pos, and takes k
// off the queue if it was the oldest block and is now empty.
func (q *blockQueue) dropRecord(k *block, i, pos int) {
	high := k.recs[i].high
	p := k.drop(i, pos)
	q.records--
	q.bytes -= len(p)
	if !high {
		q.low--
		q.lowBytes -= len(p)
	}
	q.evicted++
	if q.onDrop != nil {
		q.onDrop(p, len(p))
	}
	for q.first < len(q.blocks) && q.blocks[q.first].alive == 0 && q.blocks[q.first] != q.cur {
		e := q.blocks[q.first]
		q.removeFirst()
		q.recycle(e)
	}
}

// removeFirst takes the oldest block off the queue.
func (q *blockQueue) removeFirst() {
	k := q.blocks[q.first]
	q.blocks[q.first] = nil
	q.first++
	if q.first == len(q.blocks) {
		q.blocks, q.first = q.blocks[:0], 0
	}
	if k == q.cur {
		q.cur = nil
	}
	if k == q.lowCursor {
		q.lowCursor = nil
	}
}

// recycle keeps an emptied block of the usual size for reuse: on the free
// list if it has room, else in the spare pool. The lock must be held.
func (q *blockQueue) recycle(k *block) {
	if cap(k.b) != q.blockCap {
		return // a block made for one long record
	}
	k.reset()
	if len(q.free) < maxFreeBlocks {
		q.free = append(q.free, k)
	} else {
		q.spare.Put(k)
	}
}

// Release returns a block the consumer has finished with.
func (q *blockQueue) Release(k *block) {
	q.mu.Lock()
	q.recycle(k)
	q.mu.Unlock()
}

// Reject counts a record of size bytes, whose head is p, as pushed and at
// once dropped, passing it to onDrop under the lock, without touching the
// queue, and wakes an idle consumer as Ring.Reject does. It reports
// false if the queue is closed.
func (q *blockQueue) Reject(p []byte, size int) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.pushed++
	q.pushedB += int64(size)
	q.evicted++
	if q.onDrop != nil {
		q.onDrop(p, size)
	}
	signal := q.waker.Urgent()
	q.mu.Unlock()
	if signal {
		q.waker.Signal()
	}
	return true
}

// Pop appends the oldest block, if any, to dst and removes it from the
// queue. A block holds at most maxEntries records (Options.BatchSize) and,
// unless it holds a single longer record, at most Options.BatchBytes bytes,
// so the bounds given here are already met. If the queue is empty, Pop marks
// the consumer idle so that the next Push signals Wake. then, if not nil, is
// called with the lock held after the block was taken.
func (q *blockQueue) Pop(dst []*block, _, _ int, then func()) []*block {
	q.mu.Lock()
	took := q.first < len(q.blocks)
	if took {
		k := q.blocks[q.first]
		q.removeFirst()
		q.records -= k.alive
		q.bytes -= k.aliveSize
		q.low -= k.aliveLow
		q.lowBytes -= k.aliveLowSize
		dst = append(dst, k)
	}
	q.waker.Popped(took)
	if then != nil {
		then()
	}
	q.mu.Unlock()
	if took {
		q.gate.Room()
	}
	return dst
}

// Wake returns the channel the consumer waits on after Pop found the
// queue empty; see ringbuf.Ring.Wake.
func (q *blockQueue) Wake() <-chan struct{} { return q.waker.Wake() }

// Sleep tells the queue that the consumer's linger timer fired; see
// ringbuf.Ring.Sleep.
func (q *blockQueue) Sleep() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.closed && q.waker.Sleep(q.records)
}

// Close makes every later Push fail and wakes the consumer. Queued records
// stay for Pop. Close is idempotent.
func (q *blockQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.gate.Wake()
	q.waker.Signal()
}

// Closed reports whether Close has been called.
func (q *blockQueue) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Discard removes every queued block without passing its records to
// onDrop, calls f (if not nil) with each, and returns how many records
// they held.
func (q *blockQueue) Discard(f func(*block)) int {
	q.mu.Lock()
	var taken []*block
	n := 0
	for q.first < len(q.blocks) {
		k := q.blocks[q.first]
		q.removeFirst()
		n += k.live()
		taken = append(taken, k)
	}
	q.records, q.bytes, q.low, q.lowBytes = 0, 0, 0, 0
	q.mu.Unlock()
	if f != nil {
		for _, k := range taken {
			f(k)
		}
	}
	return n
}

// Stats returns the queue's counters, in records. It is safe to call at
// any time.
func (q *blockQueue) Stats() ringbuf.Stats { return q.StatsThen(nil) }

// StatsThen is Stats, calling then (if not nil) with the lock held; see
// ringbuf.Ring.StatsThen.
func (q *blockQueue) StatsThen(then func()) ringbuf.Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	if then != nil {
		then()
	}
	return ringbuf.Stats{
		Len:         q.records,
		Bytes:       q.bytes,
		HighWater:   q.highWater,
		Pushed:      q.pushed,
		PushedBytes: uint64(q.pushedB),
		Evicted:     q.evicted,
	}
}
