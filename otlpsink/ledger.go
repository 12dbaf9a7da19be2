package otlpsink

import (
	"context"
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
	full                       // no room: wait for it, or drop the record
	abandoned                  // the pipeline is shutting down: counted abandoned
)

// admit takes room for one record when there is some. It counts the record
// handed when it is admitted or abandoned; a full answer counts nothing.
func (l *ledger) admit() admission {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		l.stats.Handed++
		l.stats.Abandoned++
		return abandoned
	case l.stats.Pending < l.capacity:
		l.stats.Handed++
		l.stats.Pending++
		return admitted
	}
	return full
}

// waitRoom returns a channel closed when room frees. The caller must call
// doneWaiting after.
func (l *ledger) waitRoom() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting++
	if l.room == nil {
		l.room = make(chan struct{})
	}
	return l.room
}

func (l *ledger) doneWaiting() {
	l.mu.Lock()
	l.waiting--
	l.mu.Unlock()
}

// refuse counts a record that found no room and could not wait: dropped,
// or abandoned when Shutdown gave up on waiting.
func (l *ledger) refuse(atShutdown bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Handed++
	if atShutdown {
		l.stats.Abandoned++
	} else {
		l.stats.Dropped++
	}
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

// settle counts the end of an export of n records, rejected of which the
// Collector refused (partial success), err its result. After seal the
// records are already counted as abandoned: only the call is counted.
func (l *ledger) settle(n, rejected uint64, err error) {
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
	failed := rejected
	if err != nil && rejected == 0 {
		failed = n
	}
	failed = min(failed, n)
	l.stats.Exported += n - failed
	l.stats.Failed += failed
	l.stats.Pending -= n
	if l.waiting > 0 && l.room != nil {
		close(l.room)
		l.room = nil
	}
}

// enterEmit and exitEmit bracket an OnEmit call.
func (l *ledger) enterEmit() {
	l.mu.Lock()
	l.emitting++
	l.mu.Unlock()
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

// waitIdle returns once no OnEmit call is in progress. Called after the
// waits for room are released, it returns at once or as soon as the calls
// in progress have counted their records: none of them blocks any more.
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

// close marks the pipeline as shutting down: records offered from now on
// are abandoned.
func (l *ledger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
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
