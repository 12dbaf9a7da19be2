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

	calls      uint64 // bridge calls begun: the next call's number
	converting uint64 // bridge calls whose record is not counted yet
	claimed    uint64 // calls numbered below it were counted by claim

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
func (l *ledger) admit(call uint64, canWait, released bool) (admission, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case call < l.claimed:
		return abandoned, nil // counted by claim
	case l.closed:
		l.counted(call)
		l.stats.Abandoned++
		return abandoned, nil
	case l.stats.Pending < l.capacity:
		l.counted(call)
		l.stats.Pending++
		return admitted, nil
	case !canWait:
		l.counted(call)
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
func (l *ledger) lostInBridge(call uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if call < l.claimed {
		return
	}
	l.counted(call)
	l.stats.Abandoned++
}

// counted counts call's record as handed (the caller counts what became
// of it). l.mu is held.
func (l *ledger) counted(call uint64) {
	l.stats.Handed++
	if call != untracked {
		l.converting--
	}
}

// untracked is the number of a record that did not come through
// enterBridge.
const untracked = ^uint64(0)

// enterBridge numbers a record entering the bridge, not counted until it
// is admitted, refused or abandoned (or claimed).
func (l *ledger) enterBridge() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.converting++
	l.calls++
	return l.calls - 1
}

// claim counts as handed and abandoned every record in the bridge not
// counted yet, however far it is (converting, or waiting for room): at
// Shutdown, after close, so that nothing of the pipeline is left to count
// once Shutdown returns, without waiting for any call to end. Such a
// record is not counted again, nor passed on, when it reaches the
// processor.
func (l *ledger) claim() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Handed += l.converting
	l.stats.Abandoned += l.converting
	l.converting = 0
	l.claimed = l.calls
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
// not exported (failedRecords), err its result. After seal nothing is
// counted: the export and its records were counted when Shutdown returned.
func (l *ledger) settle(n, failed uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelExport = nil
	if l.sealed {
		return
	}
	l.stats.Exports++
	if err != nil {
		l.stats.FailedExports++
		l.stats.LastError = err.Error()
	}
	if n == 0 {
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

// seal ends the accounting at Shutdown's return, so that no snapshot
// taken after it differs: what is still pending is abandoned, and the
// export in progress, if any, is cancelled and counted now as a failed
// call; its result, when it comes, is not counted.
func (l *ledger) seal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.sealed = true
	l.stats.Abandoned += l.stats.Pending
	l.stats.Pending = 0
	if l.cancelExport != nil {
		l.cancelExport()
		l.cancelExport = nil
		l.stats.Exports++
		l.stats.FailedExports++
		l.stats.LastError = errExportCancelled.Error()
	}
}

// errExportCancelled is the error of an export still in progress when
// Shutdown returned.
var errExportCancelled = errors.New("otlpsink: export cancelled: Shutdown's deadline passed while it was in progress")
