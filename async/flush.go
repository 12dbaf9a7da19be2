package async

import (
	"context"
	"fmt"

	"github.com/slogstack/slogstack/internal/goid"
	"github.com/slogstack/slogstack/internal/ringbuf"
)

// Flush waits until every record queued before the call has been handed
// to the wrapped handler (its Handle returned, or its Enabled refused the
// record), or has been dropped and counted, and until every drop counted
// before the call has been reported in-band, and returns nil. The drain
// goroutine writes a pending drop report at once when a Flush waits for
// it, without waiting for ReportInterval (the next report then comes no
// sooner than ReportInterval after it); with ReportInterval zero there is
// no report to wait for. A report the sink panicked in, or ended the
// drain goroutine in, counts as written. Flush does not close h: logging
// goes on, asynchronously, during and after the call. Records logged by
// other goroutines while Flush waits may or may not be written by the
// time it returns.
//
// If ctx ends first, Flush returns an error saying how many of those
// records were still queued or being written, and how many drops were
// still unreported, wrapping context.Cause(ctx); the records stay queued
// and the drain goes on (a stalled sink keeps them until it returns, or
// until Close gives up on them). After Close has finished, or given up,
// Flush returns nil at once: Close has already settled the queue.
//
// Called from the wrapped handler, on the drain goroutine that writes the
// queue, Flush cannot wait for the records it would wait for (they are
// written after the call returns): it returns an error at once, and the
// drain goes on.
//
// Flush starts no goroutine and holds no lock while it waits; any number
// of goroutines may call it, together with Handle and Close. It changes
// no counter of Stats but Reported and Reports, through the report it
// brings forward.
func (h *Handler) Flush(ctx context.Context) error { return h.c.flush(ctx) }

// Flush waits until every Write queued before the call has been written
// to the underlying writer, or has been dropped or failed and been
// counted, and until every drop counted before the call has been reported
// in-band, and returns nil. It does not close x, nor sync or close the
// underlying writer. It behaves as Handler.Flush in every other respect:
// the pending drop report written at once, bounded by ctx (the error says
// how many records were still queued or being written, and how many drops
// unreported), an error at once when the underlying writer calls it, nil
// at once after Close, safe to call concurrently with
// Write, Close and other Flush calls, no goroutine, no counter changed
// but Reported and Reports.
func (x *Writer) Flush(ctx context.Context) error { return x.p.flush(ctx) }

// errFlushFromSink is what Flush returns when the sink calls it: the
// records it would wait for are written by the caller itself, after the
// call returns.
var errFlushFromSink = goid.Refusal("async: Flush called from the sink, on the goroutine that writes the queue: it cannot wait for itself")

// flushStart is what a Flush saw when it started: how many records the
// drain must have settled for every record queued then to be out of the
// queue and handed to the sink, and how many drops the in-band reports
// must have announced for every drop counted then to be reported.
type flushStart struct {
	target uint64 // records popped by the drain, counted from the first
	drops  uint64 // drops reported, counted from the first
}

// flushState is the queue and drain's progress at one instant.
type flushState struct {
	settled  uint64 // records popped by the drain and settled
	queued   int    // records in the queue
	inBatch  int    // records of the drain's batch not yet settled
	reported uint64 // drops the in-band reports have announced
}

// state reads the queue's counters and the drain's batch together: the
// drain pops and settles under drainMu, so nothing moves in between.
func (p *pipeline[T]) state() (ringbuf.Stats, flushState) {
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	rs := p.q.Stats()
	popped := rs.Pushed - rs.Evicted - uint64(rs.Len)
	return rs, flushState{
		settled:  popped - uint64(p.batchLeft),
		queued:   rs.Len,
		inBatch:  p.batchLeft,
		reported: p.reported.Load(),
	}
}

// remaining returns how many of the records queued when start was taken
// may still be queued or being written in s; 0 means all were handed to
// the sink or dropped.
//
// The drain pops in push order, so the records in the queue at start are
// the next ones it pops, unless dropped first: once it has settled as many
// records as it had popped then plus the queue's length then, all of them
// are out. Drops can only make that sooner; an empty queue with nothing
// in hand says so even when records queued after start were dropped.
func (s flushState) remaining(start flushStart) int {
	if s.queued == 0 && s.inBatch == 0 || s.settled >= start.target {
		return 0
	}
	return int(min(start.target-s.settled, uint64(s.queued+s.inBatch)))
}

// unreported returns how many of the drops counted when start was taken
// the in-band reports have not yet announced in s.
func (s flushState) unreported(start flushStart) uint64 {
	return start.drops - min(s.reported, start.drops)
}

// done reports whether everything start waits for is settled in s.
func (s flushState) done(start flushStart) bool {
	return s.remaining(start) == 0 && s.unreported(start) == 0
}

// err is Flush's error when its context ended before s was done.
func (s flushState) err(start flushStart, cause error) error {
	n, drops := s.remaining(start), s.unreported(start)
	switch {
	case drops == 0:
		return fmt.Errorf("async: Flush: %s still queued or being written: %w", recordCount(n), cause)
	case n == 0:
		return fmt.Errorf("async: Flush: the in-band report of %s not yet written: %w", droppedCount(drops), cause)
	default:
		return fmt.Errorf("async: Flush: %s still queued or being written, and the in-band report of %s: %w", recordCount(n), droppedCount(drops), cause)
	}
}

// awaitReport returns how many drops (counted from the first) a Flush
// starting now must see reported: all those counted so far, or none when
// ReportInterval is zero (the drain then clears them unreported). If some
// are not reported yet, it asks the drain goroutine to report them at
// once, without waiting for the interval, and wakes it if it is idle.
//
// A drop is counted and tallied under the queue's lock, and the drain
// takes the tally under the same lock when it pops, so the pop after
// the kick moves every drop counted before it into the report.
func (p *pipeline[T]) awaitReport() uint64 {
	if p.opts.ReportInterval == 0 {
		return 0
	}
	var dropped uint64
	for i := range p.dropped {
		dropped += p.dropped[i].Load()
	}
	if dropped <= p.reported.Load() {
		return dropped
	}
	for {
		due := p.reportDue.Load()
		if due >= dropped || p.reportDue.CompareAndSwap(due, dropped) {
			break
		}
	}
	select {
	case p.kick <- struct{}{}:
	default: // a kick is pending: the drain will see reportDue after it
	}
	return dropped
}

// flushAwaitsReport reports whether a waiting Flush needs drops reported
// that the reports have not announced yet.
func (p *pipeline[T]) flushAwaitsReport() bool {
	return p.reported.Load() < p.reportDue.Load()
}

// flush implements Flush for Handler and Writer. The drain goroutine
// signals after each settled batch while a Flush waits (see notifyFlush);
// Flush checks the state after taking the signal's channel, so no signal
// is missed.
func (p *pipeline[T]) flush(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-p.released:
		return nil
	default:
	}
	if p.onDrainGoroutine() {
		return errFlushFromSink
	}
	p.flushers.Add(1)
	defer p.flushers.Add(-1)
	rs, _ := p.state()
	start := flushStart{target: rs.Pushed - rs.Evicted, drops: p.awaitReport()}
	p.kickDrain() // a lingering drain takes the queued records now
	for {
		signal := p.flushSignal()
		_, s := p.state()
		if s.done(start) {
			return nil
		}
		select {
		case <-signal:
		case <-p.released:
			return nil
		case <-ctx.Done():
			if _, s = p.state(); s.done(start) {
				return nil
			}
			select {
			case <-p.released:
				return nil
			default:
			}
			return s.err(start, context.Cause(ctx))
		}
	}
}

// kickDrain wakes the drain goroutine if it is idle (lingering or asleep),
// so that it pops at once.
func (p *pipeline[T]) kickDrain() {
	select {
	case p.kick <- struct{}{}:
	default: // a kick is pending
	}
}

// flushSignal returns the channel the next notifyFlush closes.
func (p *pipeline[T]) flushSignal() <-chan struct{} {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	if p.flushCh == nil {
		p.flushCh = make(chan struct{})
	}
	return p.flushCh
}

// notifyFlush wakes the waiting Flush calls, if any, after the drain has
// settled records. With none waiting it costs one atomic load.
func (p *pipeline[T]) notifyFlush() {
	if p.flushers.Load() == 0 {
		return
	}
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	if p.flushCh != nil {
		close(p.flushCh)
		p.flushCh = nil
	}
}

// droppedCount is n followed by "dropped record" or "dropped records".
func droppedCount(n uint64) string {
	if n == 1 {
		return "1 dropped record"
	}
	return fmt.Sprintf("%d dropped records", n)
}
