package otlpsink

import (
	"context"
	"errors"
	"sync"
)

// ledger holds the pipeline's counters and the room in the batch
// processor, under one mutex so that every snapshot is consistent. It
// never calls out while holding the mutex, except to cancel an export.
type ledger struct {
	mu       sync.Mutex
	stats    ExportStats
	capacity uint64 // Options.QueueSize: the most records pending at once

	waiting int           // records waiting for room
	room    chan struct{} // closed when room frees while records wait; nil if none wait

	emitting int           // OnEmit calls in progress
	idle     chan struct{} // closed when emitting drops to 0 while Shutdown waits for it

	closed       bool               // the pipeline is shutting down: records are abandoned
	shutdownCtx  context.Context    // Shutdown's ctx, from close on
	sealed       bool               // Shutdown has returned: export results no longer count
	cancelExport context.CancelFunc // the export in progress, if any
}

func newLedger(capacity int) *ledger {
	return &ledger{capacity: uint64(capacity)}
}

// snapshot returns the counters.
func (l *ledger) snapshot() ExportStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// admission is what became of a record offered to the batch processor.
type admission int

const (
	admitted  admission = iota // room taken: pass the record on
	waiting                    // no room: wait on the channel admit returned, then offer again
	refused                    // no room and no waiting: counted dropped, or abandoned if released
	abandoned                  // the pipeline is shutting down: counted abandoned
)

// admit takes room for one record when there is some. Otherwise, when
// canWait, it registers the record as waiting and returns the channel that
// is closed when room frees, in the same critical section, so that no
// release of room is missed (the caller calls doneWaiting after); when not,
// it counts the record refused: abandoned if released (Shutdown gave up
// waiting), dropped otherwise. A record is counted handed when it is
// admitted, refused or abandoned.
func (l *ledger) admit(canWait, released bool) (admission, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		l.stats.Handed++
		l.stats.Abandoned++
		return abandoned, nil
	case l.stats.Pending < l.capacity:
		l.stats.Handed++
		l.stats.Pending++
		return admitted, nil
	case !canWait:
		l.stats.Handed++
		if released {
			l.stats.Abandoned++
		} else {
			l.stats.Dropped++
		}
		return refused, nil
	}
	l.waiting++
	if l.room == nil {
		l.room = make(chan struct{})
	}
	return waiting, l.room
}

// doneWaiting ends a wait that admit registered.
func (l *ledger) doneWaiting() {
	l.mu.Lock()
	l.waiting--
	l.mu.Unlock()
}

// lostInBridge counts a record the bridge took but never offered to the
// batch processor: the LoggerProvider had shut down.
func (l *ledger) lostInBridge() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Handed++
	l.stats.Abandoned++
}

// startExport records the export in progress so that seal can cancel it.
func (l *ledger) startExport(cancel context.CancelFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelExport = cancel
	if l.sealed {
		cancel()
	}
}

// settle counts the end of an export of n records, failed of which were
// not exported (failedRecords), err its result. After seal the records are
// already counted as abandoned: only the call is counted.
func (l *ledger) settle(n, failed uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelExport = nil
	l.stats.Exports++
	if err != nil {
		l.stats.FailedExports++
		l.stats.LastError = err.Error()
	}
	if l.sealed || n == 0 {
		return
	}
	failed = min(failed, n)
	l.stats.Exported += n - failed
	if l.cutByShutdown(err) {
		l.stats.Abandoned += failed
	} else {
		l.stats.Failed += failed
	}
	l.stats.Pending -= n
	if l.waiting > 0 && l.room != nil {
		close(l.room)
		l.room = nil
	}
}

// enterEmit and exitEmit bracket an OnEmit call. Only the calls that
// begin before close are tracked (enterEmit reports whether it tracked
// this one): the later ones abandon their record without touching the
// batch processor, and not tracking them lets waitIdle end however many
// goroutines keep logging.
func (l *ledger) enterEmit() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.emitting++
	return true
}

func (l *ledger) exitEmit() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emitting--
	if l.emitting == 0 && l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
}

// waitIdle returns once no OnEmit call that began before close is in
// progress. Called after close, with the waits for room released, it
// returns at once or as soon as those calls have counted their records:
// none of them blocks any more, and no new one is tracked.
func (l *ledger) waitIdle() {
	l.mu.Lock()
	if l.emitting == 0 {
		l.mu.Unlock()
		return
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	<-idle
}

// close marks the pipeline as shutting down, within ctx: records offered
// from now on are abandoned, and so are those of an export that ctx's end
// cuts short.
func (l *ledger) close(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.shutdownCtx = ctx
}

// cutByShutdown reports whether an export that returned err ended because
// Shutdown's ctx did: its records were given up at Shutdown (abandoned),
// as those of an export still running when Shutdown returns are, not
// failed. An export that fails for its own reason, or at its own
// ExportTimeout, while Shutdown still has time, has failed.
func (l *ledger) cutByShutdown(err error) bool {
	if l.shutdownCtx == nil || l.shutdownCtx.Err() == nil {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.Cause(l.shutdownCtx))
}

// seal ends the accounting of the batch processor at Shutdown's return:
// what is still pending is abandoned and the export in progress, if any,
// is cancelled.
func (l *ledger) seal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.sealed = true
	l.stats.Abandoned += l.stats.Pending
	l.stats.Pending = 0
	if l.cancelExport != nil {
		l.cancelExport()
	}
}
