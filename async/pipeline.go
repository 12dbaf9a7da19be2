package async

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/goid"
	"github.com/slogstack/slogstack/internal/ringbuf"
)

// delivery is what one sink call did with the records of one entry.
type delivery struct {
	skipped int // records refused by the sink's Enabled
	failed  int // records the sink did not take (error, panic, unwritten bytes)
	bytes   int
}

// queue is what the drain goroutine needs of the queue it empties: a
// *ringbuf.Ring of records (Handler) or the Writer's blockQueue. Counts
// (Discard's result, Stats) are in records.
type queue[T any] interface {
	Pop(dst []T, maxEntries, maxBytes int, then func()) []T
	Wake() <-chan struct{}
	Sleep() bool
	Close()
	Closed() bool
	Discard(f func(T)) int
	Stats() ringbuf.Stats
	StatsThen(then func()) ringbuf.Stats
}

// pipeline is the part Handler and Writer share: the queue, the drain
// goroutine, drop accounting and reporting, Close and the counters.
type pipeline[T any] struct {
	opts     Options
	ring     *ringbuf.Ring[T] // the Handler's queue; nil for a Writer
	q        queue[T]
	popBytes int // byte bound per batch; 0 for none

	// gate lets callers wait for a sink that makes progress (a full queue,
	// a write after Close) and tells them when it has stalled.
	gate *ringbuf.Gate
	// syncGate does the same for writes after Close, with a stall time
	// that is never zero.
	syncGate *ringbuf.Gate
	// sinkTok is held, as a one-slot semaphore, around every call into
	// the sink, so that writes after Close wait for the drain's last call
	// with a bound (a mutex could not be given up).
	sinkTok chan struct{}

	// records, if not nil, is how many records an entry holds; nil means
	// one each.
	records func(T) int

	// Set by the owner before start.
	deliver func(e T) delivery // hands the records of e to the sink
	release func(T)            // recycles an entry nobody will use again
	report  func(*dropTally)   // writes an in-band drop report
	// cut returns what a call of deliver on e did when the sink ended
	// the drain goroutine inside it (runtime.Goexit): the records of e
	// not known to be written count as failed.
	cut func(e T) delivery

	// The drain's state, owned by the drain goroutine (and handed over
	// to its replacement when the sink ends it; see drain).
	batch      []T       // the batch being delivered
	next       int       // index in batch of the first entry not delivered
	inSink     sinkCall  // which call into the sink is in progress
	lastReport time.Time // when the last drop report was written

	// drainGoroutine is the id of the drain goroutine (the latest, when
	// the sink ended one), for Flush and Close to refuse a call from the
	// sink, which would wait for itself.
	drainGoroutine atomic.Uint64

	closed   atomic.Bool
	closing  atomic.Bool   // the first Close has begun: it owns the drain
	done     chan struct{} // closed when the drain goroutine returns
	released chan struct{} // closed when the drain finished or was abandoned
	relOnce  sync.Once

	drainMu   sync.Mutex // orders the drain's progress against Close giving up
	abandoned bool
	batchLeft int // records taken from the queue and not yet settled (inFlight included)
	inFlight  int // records of the entry the sink call in progress is taking
	closeErr  error

	// Flush's waiters: how many wait, and the channel notifyFlush closes
	// (guarded by flushMu) to wake them.
	flushers atomic.Int32
	flushMu  sync.Mutex
	flushCh  chan struct{}
	// reportDue is the most drops (counted from the first) that a waiting
	// Flush needs reported; kick wakes an idle drain goroutine to pop the
	// queue and report them (see awaitReport and kickDrain).
	reportDue atomic.Uint64
	kick      chan struct{}

	tally     dropTally // guarded by the queue's lock (onDrop and takeTally)
	pending   dropTally // owned by the drain goroutine
	takeTally func()

	written, skipped, failed, lost   atomic.Uint64
	synchronous, droppedAfterClose   atomic.Uint64
	writeErrors, sinkPanics, batches atomic.Uint64
	reports, reported                atomic.Uint64
	writtenBytes, droppedBytes       atomic.Uint64
	dropped                          [numBands]atomic.Uint64
}

func (p *pipeline[T]) init(opts Options, reserved, maxBytes int, onDrop func(T)) {
	p.gate = ringbuf.NewGate(opts.StallTimeout)
	// A lingering drain is woken once a batch (BatchSize) is queued.
	p.ring = ringbuf.New(ringbuf.Options{Capacity: opts.Capacity, Reserved: reserved, MaxBytes: maxBytes, Gate: p.gate, WakeLen: opts.BatchSize}, onDrop)
	p.initQueue(opts, p.ring)
}

// initQueue is init for an owner that brings its own queue, which must
// use p.gate (set before, or by, initQueue).
func (p *pipeline[T]) initQueue(opts Options, q queue[T]) {
	if p.gate == nil {
		p.gate = ringbuf.NewGate(opts.StallTimeout)
	}
	p.syncGate = ringbuf.NewGate(cmp.Or(opts.StallTimeout, afterCloseStall))
	p.sinkTok = make(chan struct{}, 1)
	p.opts = opts
	p.q = q
	p.done = make(chan struct{})
	p.released = make(chan struct{})
	p.kick = make(chan struct{}, 1)
	p.takeTally = func() { p.tally.moveTo(&p.pending) }
}

// start starts the drain goroutine; batchCap is the most entries one Pop
// of the queue returns (the Handler's BatchSize; one block for a Writer).
func (p *pipeline[T]) start(batchCap int) {
	p.batch = make([]T, 0, batchCap)
	go p.drain()
}

// noteDrop counts a dropped entry; it runs under the queue's lock.
func (p *pipeline[T]) noteDrop(b band, size int) {
	p.dropped[b].Add(1)
	if size > 0 {
		p.droppedBytes.Add(uint64(size))
	}
}

// sinkCall says which call into the sink the drain goroutine is in.
type sinkCall int

const (
	sinkIdle    sinkCall = iota
	sinkDeliver          // deliver, on p.batch[p.next:]
	sinkReport           // report
)

// drain runs the drain loop on this goroutine until the queue is closed
// and empty (or Close gave up), then closes done. If the sink ends the
// goroutine from inside a call (runtime.Goexit, as testing's FailNow does),
// the loop cannot go on here: the deferred function settles the call that
// was cut (its records count as failed, the sink is released) and starts
// a new drain goroutine that takes over the batch in hand and the queue,
// so nothing queued is left behind and Close still waits for all of it.
func (p *pipeline[T]) drain() {
	p.drainGoroutine.Store(goroutineID())
	finished := false
	defer func() {
		if finished {
			close(p.done)
			return
		}
		p.settleCut()
		go p.drain()
	}()
	p.run()
	finished = true
}

func (p *pipeline[T]) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	busy := false // the previous Pop took records
	for {
		p.deliverBatch() // what a previous drain goroutine left, then each new batch
		closing := p.q.Closed()
		p.drainMu.Lock()
		if p.abandoned {
			p.drainMu.Unlock()
			return
		}
		p.batch = p.q.Pop(p.batch[:0], p.opts.BatchSize, p.popBytes, p.takeTally)
		p.next = 0
		p.batchLeft = p.countRecords(p.batch)
		p.drainMu.Unlock()
		if len(p.batch) > 0 {
			p.batches.Add(1)
		}

		// The pending drops are reported once ReportInterval has passed
		// since the last report, when Close has emptied the queue, or at
		// once when a Flush waits for them.
		var wait time.Duration // until the pending drops may be reported
		if p.pending.count() > 0 && p.opts.ReportInterval > 0 {
			wait = p.opts.ReportInterval - time.Since(p.lastReport)
			if wait <= 0 || (len(p.batch) == 0 && closing) || p.flushAwaitsReport() {
				p.emitReport()
				p.lastReport = time.Now()
				wait = 0
			}
		} else if p.opts.ReportInterval == 0 {
			p.pending = dropTally{} // no in-band report: Stats counts the drops
		}
		if len(p.batch) > 0 {
			busy = true
			continue
		}
		if closing {
			return
		}
		p.idle(wait, timer, busy)
		busy = false
	}
}

// lingerTime is how long the drain goroutine, having found the queue
// empty, waits with a timer before it sleeps until a push signals it.
// While it lingers, producers signal it only once records gather (see
// ringbuf.Waker), so a busy queue does not pay a wake-up per record, and
// no record waits longer than this for the drain.
const lingerTime = time.Millisecond

// idle waits, after a Pop found the queue empty, until the queue has
// records for the drain, a drop report falls due (after reportIn, if
// positive), or a Flush kicks. If the drain was busy (the Pop before took
// records), it first lingers for lingerTime; when the queue is empty then,
// or at once if it was not busy, it sleeps until the next push.
func (p *pipeline[T]) idle(reportIn time.Duration, timer *time.Timer, busy bool) {
	if !busy && !p.q.Sleep() {
		return // records came since the Pop
	}
	start := time.Now()
	lingering := busy
	for {
		d, thenSleep := time.Duration(-1), false
		if lingering {
			d, thenSleep = lingerTime, true
		}
		if reportIn > 0 && (d < 0 || reportIn <= d) {
			d, thenSleep = reportIn, false
		}
		var tick <-chan time.Time
		if d >= 0 {
			timer.Reset(max(d-time.Since(start), 0))
			tick = timer.C
		}
		select {
		case <-p.q.Wake():
			timer.Stop()
			return
		case <-p.kick:
			timer.Stop()
			return
		case <-tick:
		}
		if !thenSleep || !p.q.Sleep() {
			return // a report is due, or records came while lingering
		}
		lingering = false
	}
}

// deliverBatch hands p.batch[p.next:] to the sink, entry by entry, and
// empties p.batch. The records of the entry being handed over are in
// flight: a Close that gives up meanwhile does not count them lost, and
// settle counts them once the sink's call returns.
func (p *pipeline[T]) deliverBatch() {
	for p.next < len(p.batch) {
		e := p.batch[p.next]
		p.drainMu.Lock()
		abandoned := p.abandoned // Close counted the rest as lost
		if !abandoned {
			p.inFlight = p.recordsOf(e)
		}
		p.drainMu.Unlock()
		if abandoned {
			for _, e := range p.batch[p.next:] {
				p.release(e)
			}
			break
		}
		p.sinkTok <- struct{}{}
		p.callSink()
		p.inSink = sinkDeliver
		d := p.deliver(e)
		p.inSink = sinkIdle
		p.releaseSink()
		p.settle(d)
	}
	clear(p.batch)
	p.batch = p.batch[:0]
	p.next = 0
}

// settle counts what the call of deliver on p.batch[p.next] did with its
// records (in flight until now, also after a Close that gave up),
// recycles the entry and moves p.next past it.
func (p *pipeline[T]) settle(d delivery) {
	e := p.batch[p.next]
	p.drainMu.Lock()
	recs := p.inFlight
	p.inFlight = 0
	p.batchLeft -= recs
	p.written.Add(uint64(recs - d.skipped - d.failed))
	p.skipped.Add(uint64(d.skipped))
	p.failed.Add(uint64(d.failed))
	p.writtenBytes.Add(uint64(d.bytes))
	p.drainMu.Unlock()
	p.release(e)
	p.next++
	p.notifyFlush()
}

// settleCut finishes, on the way out of a drain goroutine that the sink
// ended, the call into the sink that was cut: it counts the call with
// SinkPanics, gives the sink back, and counts the records of a delivery
// as cut decides, or the drops of a drop report as reported (a report cut
// short counts as written, as one the sink panicked in).
func (p *pipeline[T]) settleCut() {
	call := p.inSink
	p.inSink = sinkIdle
	switch call {
	case sinkDeliver:
		p.sinkPanics.Add(1)
		d := p.cut(p.batch[p.next])
		p.releaseSink()
		p.settle(d)
	case sinkReport:
		p.sinkPanics.Add(1)
		p.releaseSink()
		p.countReported()
	}
}

// recordsOf returns how many records the entry holds.
func (p *pipeline[T]) recordsOf(e T) int {
	if p.records == nil {
		return 1
	}
	return p.records(e)
}

// countRecords returns how many records the entries hold.
func (p *pipeline[T]) countRecords(entries []T) int {
	if p.records == nil {
		return len(entries)
	}
	n := 0
	for _, e := range entries {
		n += p.records(e)
	}
	return n
}

// emitReport writes the in-band report of the pending drops, then counts
// them as reported: a Flush that sees them reported finds the report's
// write returned.
func (p *pipeline[T]) emitReport() {
	p.sinkTok <- struct{}{}
	p.callSink()
	p.inSink = sinkReport
	p.report(&p.pending)
	p.inSink = sinkIdle
	p.releaseSink()
	p.countReported()
}

// countReported counts the pending drops as reported by one report,
// clears them and wakes the waiting Flush calls.
func (p *pipeline[T]) countReported() {
	p.reports.Add(1)
	p.reported.Add(p.pending.count())
	p.pending = dropTally{}
	p.notifyFlush()
}

// releaseSink gives the sink back after a call and records the call as
// the sink's progress. After Close it also wakes the callers that wait to
// write synchronously; before, the queue wakes waiting callers when it
// frees room.
func (p *pipeline[T]) releaseSink() {
	<-p.sinkTok
	p.gate.Progress()
	p.syncGate.Progress()
	if p.closed.Load() {
		p.syncGate.Room()
	}
}

// callSink tells both gates that a call into the sink begins; the caller
// holds sinkTok.
func (p *pipeline[T]) callSink() {
	p.gate.Call()
	p.syncGate.Call()
}

// countCall records the outcome of one sink call.
func (p *pipeline[T]) countCall(err error, panicked bool) {
	if panicked {
		p.sinkPanics.Add(1)
	} else if err != nil {
		p.writeErrors.Add(1)
	}
}

// acquireSync prepares a write made after Close: it waits until queued
// records are out of the way (the drain finished, or Close gave up on it)
// and the sink is free, for as long as the sink makes progress. It returns
// errDroppedAfterClose, having counted the record as dropped after Close,
// when the sink made no progress for Options.StallTimeout (afterCloseStall
// if that is zero: with no queue left, zero does not mean dropping at
// once). After nil the caller must call releaseSink.
//
// A record logged by the sink itself (or a Writer's report handler), on
// the drain goroutine, is dropped and counted at once, with
// errLoggedFromSink: that goroutine holds the sink, so waiting would
// only wait for itself until the stall time; and writing it directly
// would call into the sink from inside its own call, which a sink
// holding its own lock, or a Writer's torn-line and progress state, does
// not survive.
func (p *pipeline[T]) acquireSync() error {
	if p.onDrainGoroutine() {
		p.droppedAfterClose.Add(1)
		return errLoggedFromSink
	}
	for {
		t := p.syncGate.Enter()
		select {
		case <-p.released:
			select {
			case p.sinkTok <- struct{}{}:
				p.syncGate.Leave(t)
				p.callSink()
				return nil
			default:
			}
		default:
		}
		if p.syncGate.Stalled() {
			p.syncGate.Leave(t)
			p.droppedAfterClose.Add(1)
			return errDroppedAfterClose
		}
		p.syncGate.Wait(t)
	}
}

func (p *pipeline[T]) releaseWaiters() {
	p.relOnce.Do(func() {
		close(p.released)
		p.syncGate.Wake()
	})
}

// close implements Close for Handler and Writer. The first call owns the
// drain: only its context can end it (see drainOrAbandon). A later call
// waits for the first to finish, for as long as its own context allows,
// and returns the first call's result; if its context ends first it
// returns an error saying so and abandons nothing.
func (p *pipeline[T]) close(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-p.released: // a sink may call it once Close has given up
		return p.closeResult()
	default:
	}
	if p.onDrainGoroutine() {
		return errCloseFromSink
	}
	if p.closing.CompareAndSwap(false, true) {
		p.drainOrAbandon(ctx)
		p.releaseWaiters()
		return p.closeResult()
	}
	// Check released before ctx: a select with both ready picks at random,
	// and a call after the first has finished must return its result.
	select {
	case <-p.released:
		return p.closeResult()
	default:
	}
	select {
	case <-p.released:
		return p.closeResult()
	case <-ctx.Done():
		select {
		case <-p.released:
			return p.closeResult()
		default:
		}
		return fmt.Errorf("async: Close: %w while an earlier Close was still draining", context.Cause(ctx))
	}
}

// errCloseFromSink is what Close returns when the sink calls it: the
// drain goroutine, which would have to finish the queue, is the caller.
var errCloseFromSink = goid.Refusal("async: Close called from the sink, on the goroutine that writes the queue: it cannot wait for itself; nothing was closed")

// drainOrAbandon stops queueing and waits for the drain goroutine to
// deliver every queued record, or, if ctx ends first, abandons what it has
// not delivered: counted in Lost and reported by closeResult. The records
// the sink is taking at that moment are not abandoned: they stay in
// flight, closeResult says how many, and settle counts them (written,
// failed or skipped) when the sink's call returns.
func (p *pipeline[T]) drainOrAbandon(ctx context.Context) {
	p.closed.Store(true)
	p.q.Close()
	select {
	case <-p.done:
		return
	case <-ctx.Done():
	}
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	select {
	case <-p.done: // finished after all: nothing to abandon
		return
	default:
	}
	p.abandoned = true
	lost := p.batchLeft - p.inFlight + p.q.Discard(p.release)
	p.batchLeft = p.inFlight
	p.lost.Add(uint64(lost))
	p.closeErr = abandonError(lost, p.inFlight, context.Cause(ctx))
}

// abandonError is Close's error when it gave up on lost records and left
// inFlight records with the sink; nil when there are neither.
func abandonError(lost, inFlight int, cause error) error {
	switch {
	case lost > 0 && inFlight > 0:
		return fmt.Errorf("async: close: %s lost: the sink did not take %s before the deadline; %s still being written by the sink: %w", recordCount(lost), them(lost), recordCount(inFlight), cause)
	case lost > 0:
		return fmt.Errorf("async: close: %s lost: the sink did not take %s before the deadline: %w", recordCount(lost), them(lost), cause)
	case inFlight > 0:
		return fmt.Errorf("async: close: %s still being written by the sink at the deadline: %w", recordCount(inFlight), cause)
	}
	return nil
}

// recordCount is n followed by "record" or "records".
func recordCount(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

// them is "it" for one record, else "them".
func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// closeResult returns the outcome of the first Close.
func (p *pipeline[T]) closeResult() error {
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	return p.closeErr
}

// stats reads every counter at one instant: the drain settles and pops
// under drainMu, and drops are counted under the queue's lock, so the
// conservation law of Stats holds in every result.
func (p *pipeline[T]) stats() Stats {
	var bands [numBands]uint64
	var dropped uint64
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	rs := p.q.StatsThen(func() {
		for i := range bands {
			bands[i] = p.dropped[i].Load()
			dropped += bands[i]
		}
	})
	return Stats{
		Accepted:          rs.Pushed,
		AcceptedBytes:     rs.PushedBytes,
		Written:           p.written.Load(),
		Failed:            p.failed.Load(),
		Skipped:           p.skipped.Load(),
		Dropped:           dropped,
		DroppedByLevel:    levelCounts(&bands),
		Reported:          p.reported.Load(),
		Reports:           p.reports.Load(),
		Lost:              p.lost.Load(),
		Synchronous:       p.synchronous.Load(),
		DroppedAfterClose: p.droppedAfterClose.Load(),
		WriteErrors:       p.writeErrors.Load(),
		SinkPanics:        p.sinkPanics.Load(),
		Batches:           p.batches.Load(),
		QueueDepth:        rs.Len,
		InFlight:          p.batchLeft,
		HighWater:         rs.HighWater,
		WrittenBytes:      p.writtenBytes.Load(),
		DroppedBytes:      p.droppedBytes.Load(),
		QueueBytes:        rs.Bytes,
	}
}
