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
// lens[i] bytes after records 0..i-1. Records before head were dropped;
// off is where record head starts.
type block struct {
	b    []byte
	lens []int
	head int
	off  int
}

// live returns how many records the block still holds.
func (k *block) live() int { return len(k.lens) - k.head }

// reset empties the block for reuse.
func (k *block) reset() {
	k.b = k.b[:0]
	k.lens = k.lens[:0]
	k.head, k.off = 0, 0
}

// blockQueue is the Writer's queue: a bounded multi-producer single-consumer
// FIFO of records stored in blocks. Push copies a record into the newest
// block under one short lock; Pop takes the oldest whole block, so the
// drain goroutine writes many records with one call and the producers never
// touch a block once it is popped. When the queue is full (capacity records
// or maxBytes bytes) Push drops the oldest records one at a time, passing
// each to onDrop under the lock. It has the semantics of ringbuf.Ring
// without a reserve, with counts (Stats, Discard) in records.
type blockQueue struct {
	mu        sync.Mutex
	blocks    []*block  // oldest first; the last is cur when cur is not nil
	first     int       // index in blocks of the oldest block
	cur       *block    // the block Push appends to; nil when none is open
	free      []*block  // emptied blocks for reuse
	spare     sync.Pool // of *block: emptied blocks beyond the free list
	blockCap  int       // bytes per block
	blockRecs int       // records per block
	capacity  int
	maxBytes  int
	records   int // queued now (popped blocks excluded)
	bytes     int
	highWater int
	pushed    uint64
	pushedB   int64
	evicted   uint64
	closed    bool
	idle      bool // the consumer found the queue empty and may be asleep
	woken     bool // a Push signalled Wake and the consumer has not popped since
	onDrop    func(p []byte, size int)
	wake      chan struct{}
}

func newBlockQueue(opts Options, onDrop func(p []byte, size int)) *blockQueue {
	return &blockQueue{
		blockCap:  max(min(maxBlockBytes, opts.BatchBytes), 1),
		blockRecs: max(opts.BatchSize, 1),
		capacity:  max(opts.Capacity, 1),
		maxBytes:  max(opts.MaxBytes, 1),
		onDrop:    onDrop,
		wake:      make(chan struct{}, 1),
	}
}

// Push appends a copy of p, first dropping the oldest records as needed to
// respect the bounds. p must not be longer than maxBytes. It reports false,
// copying nothing, only if the queue is closed. Like ringbuf.Ring.Push it
// never waits for the consumer, but yields the processor once when the
// consumer was woken and has not run while the queue filled past half.
func (q *blockQueue) Push(p []byte) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	for q.records >= q.capacity || q.records > 0 && q.bytes+len(p) > q.maxBytes {
		q.dropOldest()
	}
	k := q.cur
	if k == nil || len(k.lens) >= q.blockRecs || len(k.b) > 0 && len(k.b)+len(p) > q.blockCap {
		k = q.open(len(p))
	}
	k.b = append(k.b, p...)
	k.lens = append(k.lens, len(p))
	q.records++
	q.bytes += len(p)
	q.pushed++
	q.pushedB += int64(len(p))
	if q.records > q.highWater {
		q.highWater = q.records
	}
	signal := q.idle
	q.idle = false
	if signal {
		q.woken = true
	}
	starved := q.woken && (2*q.records >= q.capacity || 2*q.bytes >= q.maxBytes)
	q.mu.Unlock()
	if signal {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	if starved {
		runtime.Gosched()
	}
	return true
}

// open starts a new current block with room for at least n bytes.
func (q *blockQueue) open(n int) *block {
	var k *block
	if n <= q.blockCap {
		if i := len(q.free) - 1; i >= 0 {
			k = q.free[i]
			q.free[i] = nil
			q.free = q.free[:i]
		} else if v := q.spare.Get(); v != nil {
			k = v.(*block)
		} else {
			k = &block{b: make([]byte, 0, q.blockCap), lens: make([]int, 0, min(q.blockRecs, q.blockCap))}
		}
	} else {
		k = &block{b: make([]byte, 0, n), lens: make([]int, 0, 1)}
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
	n := k.lens[k.head]
	p := k.b[k.off : k.off+n]
	k.head++
	k.off += n
	q.records--
	q.bytes -= n
	q.evicted++
	if q.onDrop != nil {
		q.onDrop(p, n)
	}
	if k.live() == 0 {
		q.removeFirst()
		q.recycle(k)
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
// queue. It reports false if the queue is closed.
func (q *blockQueue) Reject(p []byte, size int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.pushed++
	q.pushedB += int64(size)
	q.evicted++
	if q.onDrop != nil {
		q.onDrop(p, size)
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
	if q.first < len(q.blocks) {
		k := q.blocks[q.first]
		q.removeFirst()
		q.records -= k.live()
		q.bytes -= len(k.b) - k.off
		dst = append(dst, k)
	} else {
		q.idle = true
	}
	q.woken = false
	if then != nil {
		then()
	}
	q.mu.Unlock()
	return dst
}

// Wake returns the channel the consumer sleeps on after Pop found the
// queue empty; see ringbuf.Ring.Wake.
func (q *blockQueue) Wake() <-chan struct{} { return q.wake }

// Close makes every later Push fail and wakes the consumer. Queued records
// stay for Pop. Close is idempotent.
func (q *blockQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
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
	q.records, q.bytes = 0, 0
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
func (q *blockQueue) Stats() ringbuf.Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return ringbuf.Stats{
		Len:         q.records,
		Bytes:       q.bytes,
		HighWater:   q.highWater,
		Pushed:      q.pushed,
		PushedBytes: uint64(q.pushedB),
		Evicted:     q.evicted,
	}
}
