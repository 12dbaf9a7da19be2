package ringbuf

import "math"

// Waker decides when a producer must wake the queue's consumer, so that a
// busy queue does not pay a wake-up (a channel send that readies a parked
// goroutine and often a futex call to start a thread for it) for every
// entry. Its methods are called with the queue's lock held, except Signal.
//
// The consumer, after a Pop that found the queue empty, is idle. It first
// lingers: it waits on Wake with a short timer (the consumer's linger
// time). While it lingers, a push signals it only once the queue holds
// WakeLen entries or WakeBytes bytes; otherwise the timer brings it back.
// When the timer fires and Sleep finds the queue still empty, the consumer
// sleeps without a timer, and the next push signals it at once. So no entry
// waits for the consumer longer than the linger time, and an idle consumer
// costs nothing.
type Waker struct {
	idle  bool // the consumer found the queue empty and may be waiting
	deep  bool // it sleeps without a timer: the next push must signal
	woken bool // a push signalled and the consumer has not popped since
	// wakeLen and wakeBytes are the queue's length and bytes at which a
	// push signals a lingering consumer.
	wakeLen, wakeBytes int
	// capacity and maxBytes are the queue's bounds (maxBytes 0: none).
	capacity, maxBytes int
	ch                 chan struct{}
}

// maxWakeLen bounds the entries that gather before a lingering consumer
// is signalled.
const maxWakeLen = 64

// NewWaker returns a Waker for a queue of the given bounds (maxBytes 0
// or less: no byte bound). A lingering consumer is signalled once the
// queue holds an eighth of capacity (at most maxWakeLen, at least 1) or of
// maxBytes, well before the queue is half full.
func NewWaker(capacity, maxBytes int) Waker {
	w := Waker{
		wakeLen:   min(max(capacity/8, 1), maxWakeLen),
		wakeBytes: math.MaxInt,
		capacity:  capacity,
		ch:        make(chan struct{}, 1),
	}
	if maxBytes > 0 {
		w.maxBytes, w.wakeBytes = maxBytes, max(maxBytes/8, 1)
	}
	return w
}

// NewWakerAt is NewWaker with the thresholds at which a push signals a
// lingering consumer given: wakeLen entries or wakeBytes bytes, each
// raised to at least 1 and lowered to at most an eighth of the queue's
// bound (capacity; maxBytes when positive). A queue whose consumer takes
// entries in batches (a block of records) uses it to wake the consumer
// once a batch is ready rather than at NewWaker's threshold.
func NewWakerAt(capacity, maxBytes, wakeLen, wakeBytes int) Waker {
	w := NewWaker(capacity, maxBytes)
	w.wakeLen = min(max(wakeLen, 1), max(capacity/8, 1))
	w.wakeBytes = max(wakeBytes, 1)
	if maxBytes > 0 {
		w.wakeBytes = min(w.wakeBytes, max(maxBytes/8, 1))
	}
	return w
}

// Pushed is called after a push, with the queue's length and bytes.
// signal says the caller must call Signal after releasing the
// lock; starved, that the consumer was signalled but has not run while
// the queue filled to half, so the caller should yield the processor.
func (w *Waker) Pushed(n, bytes int) (signal, starved bool) {
	if w.idle && (w.deep || n >= w.wakeLen || bytes >= w.wakeBytes) {
		w.idle, w.deep, w.woken, signal = false, false, true, true
	}
	starved = w.woken && (2*n >= w.capacity || w.maxBytes > 0 && 2*bytes >= w.maxBytes)
	return signal, starved
}

// Urgent is called when a producer needs the consumer to pop now: it
// counted an entry as dropped without queueing it (the drop's accounting
// is taken by a Pop), or it must wait for room. It reports whether the
// caller must call Signal after releasing the lock: when the consumer is
// idle (lingering or asleep), which would otherwise not look at the queue
// before its timer or the next push that gathers enough entries.
func (w *Waker) Urgent() (signal bool) {
	if !w.idle {
		return false
	}
	w.idle, w.deep, w.woken = false, false, true
	return true
}

// Popped is called after a Pop; took says whether it took anything.
func (w *Waker) Popped(took bool) {
	w.woken = false
	if !took {
		w.idle = true
	}
}

// Sleep is called when the lingering consumer's timer fired, with the
// queue's length. It reports true, and makes the next push signal, if
// the queue is empty: the consumer may then wait on Wake without a timer.
// Otherwise the consumer must Pop.
func (w *Waker) Sleep(n int) bool {
	if n > 0 {
		return false
	}
	w.idle, w.deep = true, true
	return true
}

// Signal wakes the consumer (call it without the lock).
func (w *Waker) Signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// Wake returns the channel the consumer waits on. A value may be left
// over from earlier, so the consumer must Pop again rather than assume an
// entry is there.
func (w *Waker) Wake() <-chan struct{} { return w.ch }
