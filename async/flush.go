package async

import (
	"context"
	"fmt"

	"github.com/slogstack/slogstack/internal/ringbuf"
)

// Flush waits until every record queued before the call has been handed
// to the wrapped handler (its Handle returned, or its Enabled refused the
// record), or has been dropped and counted, and returns nil. It does not
// close h: logging goes on, asynchronously, during and after the call.
// Records logged by other goroutines while Flush waits may or may not be
// written by the time it returns.
//
// If ctx ends first, Flush returns an error saying how many of those
// records were still queued or being written, wrapping context.Cause(ctx);
// they stay queued and the drain goes on (a stalled sink keeps them until
// it returns, or until Close gives up on them). After Close has finished,
// or given up, Flush returns nil at once: Close has already settled the
// queue.
//
// Flush starts no goroutine and holds no lock while it waits; any number
// of goroutines may call it, together with Handle and Close. It changes
// no counter of Stats. A pending in-band drop report is not forced out:
// it is written at its ReportInterval, or by Close.
func (h *Handler) Flush(ctx context.Context) error { return h.c.flush(ctx) }

// Flush waits until every Write queued before the call has been written
// to the underlying writer, or has been dropped or failed and been
// counted, and returns nil. It does not close x, nor sync or close the
// underlying writer. It behaves as Handler.Flush in every other respect:
// bounded by ctx (the error says how many records were still queued or
// being written), nil at once after Close, safe to call concurrently with
// Write, Close and other Flush calls, no goroutine, no counter changed.
func (x *Writer) Flush(ctx context.Context) error { return x.p.flush(ctx) }

// flushStart is what a Flush saw when it started: how many records the
// drain must have settled for every record queued then to be out of the
// queue and handed to the sink.
type flushStart struct {
	target uint64 // records popped by the drain, counted from the first
}

// flushState is the queue and drain's progress at one instant.
type flushState struct {
	settled uint64 // records popped by the drain and settled
	queued  int    // records in the queue
	inBatch int    // records of the drain's batch not yet settled
}

// state reads the queue's counters and the drain's batch together: the
// drain pops and settles under drainMu, so nothing moves in between.
func (p *pipeline[T]) state() (ringbuf.Stats, flushState) {
	p.drainMu.Lock()
	defer p.drainMu.Unlock()
	rs := p.q.Stats()
	popped := rs.Pushed - rs.Evicted - uint64(rs.Len)
	return rs, flushState{
		settled: popped - uint64(p.batchLeft),
		queued:  rs.Len,
		inBatch: p.batchLeft,
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
	p.flushers.Add(1)
	defer p.flushers.Add(-1)
	rs, _ := p.state()
	start := flushStart{target: rs.Pushed - rs.Evicted}
	for {
		signal := p.flushSignal()
		_, s := p.state()
		n := s.remaining(start)
		if n == 0 {
			return nil
		}
		select {
		case <-signal:
		case <-p.released:
			return nil
		case <-ctx.Done():
			if _, s = p.state(); s.remaining(start) == 0 {
				return nil
			}
			select {
			case <-p.released:
				return nil
			default:
			}
			return fmt.Errorf("async: Flush: %d records still queued or being written: %w", s.remaining(start), context.Cause(ctx))
		}
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
