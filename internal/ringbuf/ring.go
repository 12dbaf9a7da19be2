package ringbuf

import (
	"math"
	"runtime"
	"sync"
)

// Options configures a Ring. The zero value is not useful: Capacity must be
// positive (New treats values below 1 as 1).
type Options struct {
	// Capacity is the most entries the ring holds at once.
	Capacity int

	// Reserved is the number of slots that only entries pushed with
	// reserved=true may occupy: unreserved entries never hold more than
	// Capacity-Reserved slots, so a flood of them cannot evict the last
	// Reserved reserved entries. Zero or less disables the reserve; a value of
	// Capacity or more is clamped to Capacity-1.
	Reserved int

	// MaxBytes, when positive, also bounds the sum of the sizes given to Push.
	// An entry larger than MaxBytes is still accepted, after evicting every
	// other entry, so the bound is max(MaxBytes, largest single entry).
	MaxBytes int

	// Gate, when not nil, makes a Push that would evict wait for the
	// consumer instead, for as long as the consumer makes progress (see
	// Gate); only once the gate reports a stall does Push evict. Pop
	// reports progress to it; the consumer reports the rest (each call
	// into its sink that returns). Nil: Push evicts at once.
	Gate *Gate

	// WakeLen, when positive, is how many entries must be queued before
	// a push signals a lingering consumer (see Waker), at most an eighth
	// of Capacity: a consumer that takes batches of WakeLen entries is
	// then woken once a batch is ready. Zero or less: NewWaker's
	// threshold (an eighth of Capacity, at most 64).
	WakeLen int
}

// Ring is a bounded multi-producer single-consumer queue that evicts its
// oldest entries instead of blocking producers. Push may be called from any
// number of goroutines; Pop, Wake and the other consumer methods from one
// goroutine at a time. Stats methods may be called from anywhere.
//
// Its slots are allocated by New: 16 bytes (for a pointer-sized T) for
// each of Capacity and each of Reserved. Entries live in two circular
// queues: queue holds them in push order; kept holds reserved entries,
// all older than every entry of queue, that were moved out of the way when
// an unreserved entry had to be evicted while a reserved one was the
// oldest. An entry is moved at most once, so eviction stays O(1)
// amortised, and push order is kept ++ queue. kept never holds more than
// Reserved entries: a move happens only while unreserved entries fill
// their Capacity-Reserved slots, which leaves at most Reserved slots to
// reserved ones.
type Ring[T any] struct {
	mu        sync.Mutex
	kept      fifo[T] // reserved entries older than all of queue; unused without a reserve
	queue     fifo[T] // the other entries, in push order
	capacity  int
	lowCap    int // the most unreserved entries
	low       int // unreserved entries in the ring
	reserve   bool
	maxBytes  int
	bytes     int
	closed    bool
	waker     Waker // when a Push must wake the consumer
	highWater int
	pushed    uint64
	pushedB   int64
	evicted   uint64
	onDrop    func(T)
	gate      *Gate
}

// item is one entry: its value, and its size shifted left by one with the
// low bit set for a reserved entry (one word, so a slot of a pointer-sized
// T takes 16 bytes).
type item[T any] struct {
	v   T
	tag int
}

// maxSize is the largest size an item records; a larger size given to
// Push counts as this (far beyond any byte bound).
const maxSize = math.MaxInt >> 1

func newItem[T any](v T, reserved bool, size int) item[T] {
	tag := min(max(size, 0), maxSize) << 1
	if reserved {
		tag |= 1
	}
	return item[T]{v: v, tag: tag}
}

func (it *item[T]) size() int      { return it.tag >> 1 }
func (it *item[T]) reserved() bool { return it.tag&1 != 0 }

// fifo is a fixed-size circular queue of items.
type fifo[T any] struct {
	buf  []item[T]
	head int
	n    int
}

func (f *fifo[T]) push(it item[T]) {
	f.buf[(f.head+f.n)%len(f.buf)] = it
	f.n++
}

func (f *fifo[T]) peek() *item[T] { return &f.buf[f.head] }

func (f *fifo[T]) pop() item[T] {
	it := f.buf[f.head]
	f.buf[f.head] = item[T]{} // release references held by the entry
	f.head++
	if f.head == len(f.buf) {
		f.head = 0
	}
	f.n--
	return it
}

// New returns an empty ring. onDrop, if not nil, is called with every entry
// the ring evicts, while the ring's lock is held: it must be quick and must
// not call back into the ring.
func New[T any](opts Options, onDrop func(T)) *Ring[T] {
	c := max(opts.Capacity, 1)
	reserved := min(max(opts.Reserved, 0), c-1)
	r := &Ring[T]{
		capacity: c,
		lowCap:   c - reserved,
		reserve:  reserved > 0,
		maxBytes: max(opts.MaxBytes, 0),
		onDrop:   onDrop,
		gate:     opts.Gate,
	}
	r.waker = NewWaker(c, r.maxBytes)
	if opts.WakeLen > 0 {
		r.waker.wakeLen = min(opts.WakeLen, max(c/8, 1))
	}
	r.queue.buf = make([]item[T], c)
	if reserved > 0 {
		r.kept.buf = make([]item[T], reserved)
	}
	return r
}

// Push appends v, first making room as needed to respect the ring's
// bounds. reserved marks an entry that may use the reserved slots; without
// a reserve it is ignored. size counts against Options.MaxBytes. Push
// reports false, and leaves v to the caller, only if the ring is closed.
//
// To make room, Push wakes an idle consumer (see Waker.Urgent) and waits
// on Options.Gate while the consumer makes progress, and evicts the oldest entries once the gate reports a stall
// (or at once without a gate). It never holds the ring's lock while it
// waits. Beyond that, the most it does is yield the processor once
// (runtime.Gosched) when the consumer has been woken but has not yet run
// while the ring filled past half, so that a consumer starved of a
// processor gets to drain.
func (r *Ring[T]) Push(v T, reserved bool, size int) bool {
	it := newItem(v, reserved && r.reserve, size)
	r.mu.Lock()
	for {
		if r.closed {
			r.mu.Unlock()
			return false
		}
		unreserved, full := r.mustEvict(it.reserved(), it.size())
		if !unreserved && !full {
			break
		}
		if r.gate != nil && !r.gate.Stalled() {
			t := r.gate.Enter()
			signal := r.waker.Urgent() // an idle consumer must pop to make room
			r.mu.Unlock()
			if signal {
				r.waker.Signal()
			}
			r.gate.Wait(t)
			r.mu.Lock()
			continue
		}
		if unreserved {
			r.evictUnreserved()
		} else {
			r.evict(r.oldest())
		}
	}
	r.queue.push(it)
	if !it.reserved() {
		r.low++
	}
	r.bytes += it.size()
	r.pushed++
	r.pushedB += int64(it.size())
	if n := r.len(); n > r.highWater {
		r.highWater = n
	}
	signal, starved := r.waker.Pushed(r.len(), r.bytes)
	r.mu.Unlock()
	if signal {
		r.waker.Signal()
	}
	if starved {
		// The consumer was woken but has not run since, while the ring
		// filled to half: it is runnable and waiting for a processor
		// (typically the one this goroutine holds). Yield once so it can
		// run. This never waits for the consumer to make progress: a
		// consumer busy in a slow sink has popped, so it is not "woken".
		runtime.Gosched()
	}
	return true
}

// len returns how many entries the ring holds. The lock must be held.
func (r *Ring[T]) len() int { return r.kept.n + r.queue.n }

// mustEvict reports what must go before an entry of the given class and
// size fits: the oldest unreserved entry (an unreserved entry while
// unreserved ones fill their share), or the oldest entry (the ring full,
// or over its byte bound); neither if it fits now. The lock must be held.
func (r *Ring[T]) mustEvict(reserved bool, size int) (unreserved, oldest bool) {
	n := r.len()
	switch {
	case !reserved && r.low >= r.lowCap:
		return true, false
	case n >= r.capacity || r.maxBytes > 0 && n > 0 && r.bytes+size > r.maxBytes:
		return false, true
	default:
		return false, false
	}
}

// evictUnreserved evicts the oldest unreserved entry, first moving the
// reserved entries older than it from queue to kept, where they keep their
// place in push order. There is room in kept: this is called only while
// unreserved entries hold lowCap slots, so reserved ones hold at most
// capacity-lowCap, the size of kept. The lock must be held, and the ring
// must hold an unreserved entry.
func (r *Ring[T]) evictUnreserved() {
	for r.queue.peek().reserved() {
		r.kept.push(r.queue.pop())
	}
	r.evict(&r.queue)
}

// Reject counts v as pushed and at once evicted: it passes v to the drop
// callback under the ring's lock, as Push does with the entries it evicts,
// without touching the entries in the ring. It serves entries the caller
// will not queue (for example, larger than the ring's byte bound) so that
// they are accounted for with the others. It reports false, and leaves v to
// the caller, if the ring is closed.
//
// Like a Push, it wakes an idle consumer (see Waker.Urgent), so that the
// consumer's next Pop, which may take the drop callback's counts, comes
// at once rather than at the next Push.
func (r *Ring[T]) Reject(v T, size int) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.pushed++
	r.pushedB += int64(size)
	r.evicted++
	if r.onDrop != nil {
		r.onDrop(v)
	}
	signal := r.waker.Urgent()
	r.mu.Unlock()
	if signal {
		r.waker.Signal()
	}
	return true
}

// oldest returns the queue whose head entry was pushed first. The ring
// must not be empty.
func (r *Ring[T]) oldest() *fifo[T] {
	if r.kept.n > 0 {
		return &r.kept
	}
	return &r.queue
}

// remove takes the oldest entry of f out of the ring's accounting and
// returns it. The lock must be held.
func (r *Ring[T]) remove(f *fifo[T]) item[T] {
	it := f.pop()
	r.bytes -= it.size()
	if !it.reserved() {
		r.low--
	}
	return it
}

func (r *Ring[T]) evict(f *fifo[T]) {
	it := r.remove(f)
	r.evicted++
	if r.onDrop != nil {
		r.onDrop(it.v)
	}
}

// Pop appends to dst, in push order, up to maxEntries of the oldest entries
// and removes them from the ring. When maxBytes is positive it stops before
// an entry that would take the sizes of the popped entries past maxBytes,
// but it always takes at least one entry, however large, so an entry is
// never split or stranded. If the ring is empty, Pop marks the consumer idle
// so that the next Push signals Wake. then, if it is not nil, is called with
// the lock held after the entries were taken, so the caller can take other
// state atomically with the pop (for example, counts kept by the drop
// callback).
func (r *Ring[T]) Pop(dst []T, maxEntries, maxBytes int, then func()) []T {
	r.mu.Lock()
	taken, bytes := 0, 0
	for taken < maxEntries && r.len() > 0 {
		f := r.oldest()
		size := f.peek().size()
		if maxBytes > 0 && taken > 0 && bytes+size > maxBytes {
			break
		}
		it := r.remove(f)
		bytes += size
		dst = append(dst, it.v)
		taken++
	}
	r.waker.Popped(taken > 0)
	if then != nil {
		then()
	}
	r.mu.Unlock()
	if taken > 0 && r.gate != nil {
		r.gate.Room()
	}
	return dst
}

// Wake returns the channel the consumer waits on after Pop found the ring
// empty. It receives a value after a later Push that must wake the consumer
// (see Waker: a consumer that lingers, waiting with a timer, is signalled
// only once entries gather; one that went to Sleep, at the next Push) or
// after Close; a value may also be left over from earlier, so the consumer
// must Pop again rather than assume an entry is there.
func (r *Ring[T]) Wake() <-chan struct{} { return r.waker.Wake() }

// Sleep tells the ring that the consumer's linger timer fired. It reports
// true if the ring is empty: the consumer may then wait on Wake without a
// timer, and the next Push signals it. Otherwise (entries, or the ring
// closed) the consumer must Pop.
func (r *Ring[T]) Sleep() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.closed && r.waker.Sleep(r.len())
}

// Close makes every later Push fail (a Push waiting for room too) and
// wakes the consumer. Entries already in the ring stay there for Pop.
// Close is idempotent.
func (r *Ring[T]) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	if r.gate != nil {
		r.gate.Wake()
	}
	r.waker.Signal()
}

// Closed reports whether Close has been called.
func (r *Ring[T]) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Discard removes every entry without passing it to the drop callback,
// calls f (if not nil) with each, and returns how many there were.
func (r *Ring[T]) Discard(f func(T)) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for r.len() > 0 {
		it := r.remove(r.oldest())
		if f != nil {
			f(it.v)
		}
		n++
	}
	return n
}

// Stats is a snapshot of a ring's counters.
type Stats struct {
	Len         int    // entries in the ring now
	Bytes       int    // sum of the sizes of the entries in the ring now
	HighWater   int    // the most entries the ring has held at once
	Pushed      uint64 // entries accepted by Push since New
	PushedBytes uint64 // sum of the sizes given to accepted Pushes since New
	Evicted     uint64 // entries evicted to make room since New
}

// Stats returns the ring's counters. It is safe to call at any time.
func (r *Ring[T]) Stats() Stats { return r.StatsThen(nil) }

// StatsThen is Stats, calling then (if not nil) with the lock held, so
// that the caller reads counts its drop callback keeps at the same
// instant.
func (r *Ring[T]) StatsThen(then func()) Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if then != nil {
		then()
	}
	return Stats{
		Len:         r.len(),
		Bytes:       r.bytes,
		HighWater:   r.highWater,
		Pushed:      r.pushed,
		PushedBytes: uint64(r.pushedB),
		Evicted:     r.evicted,
	}
}

// Cap returns the ring's capacity in entries.
func (r *Ring[T]) Cap() int { return r.capacity }
