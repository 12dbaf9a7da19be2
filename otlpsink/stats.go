package otlpsink

// ExportStats is a snapshot of the pipeline's counters, all read at one
// instant and counted since NewStack. In every snapshot
//
//	Handed == Exported + Failed + Dropped + Abandoned + Pending
//
// exactly, and after Shutdown has returned, Pending == 0 and the counters
// change only for records logged after it (handed and abandoned). With an async
// queue, Handed is the stack's async Written + Synchronous + Reports (the
// queue's drop reports are records too); without one, it is every record
// the stack passed down.
type ExportStats struct {
	// Handed counts the records the stack handed to the bridge (its sink).
	Handed uint64
	// Exported counts the records in exports the exporter reported as
	// sent: the Collector accepted them (an OTLP partial success counts
	// the records it rejected in Failed, and the rest here; one that
	// rejects none, a warning, counts them all here).
	Exported uint64
	// Failed counts the records in exports that returned an error after
	// the exporter's retries or panicked, and the records a partial
	// success rejected.
	Failed uint64
	// Dropped counts the records refused because the batch processor was
	// full and the record could not wait: the stack has no async queue, so
	// the record was on a caller's goroutine.
	Dropped uint64
	// Abandoned counts the records given up at Shutdown: waiting for room
	// when Shutdown's stack phase ended or its ctx was done, still in the
	// batch processor or in an export when Shutdown returned, in an export
	// that Shutdown's ctx cut short (not counted in Failed), or handed
	// after the pipeline had shut down.
	Abandoned uint64
	// Pending is the number of records in the batch processor or in an
	// export now.
	Pending uint64
	// Exports counts export calls (one per batch), and FailedExports those
	// that returned an error (a partial success included).
	Exports, FailedExports uint64
	// LastError is the text of the last export error, "" if none.
	LastError string
}
