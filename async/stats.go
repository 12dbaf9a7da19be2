package async

import "log/slog"

// LevelCounts counts records by level band: Debug counts levels below INFO,
// Info levels from INFO to below WARN, Warn from WARN to below ERROR, Error
// ERROR and above. Unknown counts a Writer's records whose level could not
// be read from the bytes.
type LevelCounts struct {
	Debug, Info, Warn, Error, Unknown uint64
}

// Total returns the sum of all bands.
func (c LevelCounts) Total() uint64 { return c.Debug + c.Info + c.Warn + c.Error + c.Unknown }

type band int

const (
	bandDebug band = iota
	bandInfo
	bandWarn
	bandError
	bandUnknown
	numBands
)

func bandOf(l slog.Level) band {
	switch {
	case l < slog.LevelInfo:
		return bandDebug
	case l < slog.LevelWarn:
		return bandInfo
	case l < slog.LevelError:
		return bandWarn
	default:
		return bandError
	}
}

func levelCounts(n *[numBands]uint64) LevelCounts {
	return LevelCounts{Debug: n[bandDebug], Info: n[bandInfo], Warn: n[bandWarn], Error: n[bandError], Unknown: n[bandUnknown]}
}

// Stats is a snapshot of a Handler's or Writer's counters, all read at
// one instant. Every count is since the Handler or Writer was created. In
// every snapshot:
//
//	Accepted == Written + Failed + Skipped + Dropped + Lost + QueueDepth + InFlight
//
// exactly. Once Close has returned, QueueDepth is 0, and so is InFlight
// unless Close gave up at its deadline while the sink was taking records:
// those stay in InFlight until the sink's call returns, and then count
// in Written, Failed or Skipped, never in Lost. Records logged after Close
// are counted in Synchronous (handed to the sink) or DroppedAfterClose,
// never in Accepted.
type Stats struct {
	// Accepted counts records (Writer: Write calls) taken into the queue.
	Accepted uint64
	// Written counts queued records the sink took: the Handler's sink
	// returned nil, or every byte of the Writer's record was written.
	Written uint64
	// Failed counts queued records the sink did not take: the Handler's
	// sink returned an error, panicked or ended the drain goroutine
	// (runtime.Goexit); the Writer's underlying writer failed (error,
	// panic, Goexit, or a short write still short after retries) before
	// the record's last byte. A record partly written counts here; so do
	// the records of a Write call that ended the goroutine, from the first
	// one not wholly written by the calls before it.
	Failed uint64
	// Skipped counts queued records the sink's Enabled refused when the
	// drain goroutine checked it again (Handler only).
	Skipped uint64
	// Dropped counts records dropped to make room (or, for a Writer, too
	// large to queue); DroppedByLevel splits it by level.
	Dropped        uint64
	DroppedByLevel LevelCounts
	// Reported counts the dropped records that in-band drop reports have
	// announced so far, and Reports the reports themselves. A report is
	// counted once the sink's call that writes it has returned (or has
	// panicked, or ended the drain goroutine: such a report counts as
	// written), never while it is being written. After a Close that
	// drained the queue, Reported == Dropped unless reports are off.
	Reported uint64
	Reports  uint64
	// Lost counts records still queued, or taken from the queue but not
	// yet handed to the sink, when Close gave up at its context's
	// deadline. Records the sink was taking at that moment are not lost:
	// see InFlight.
	Lost uint64
	// Synchronous counts records handed to the sink on the caller's
	// goroutine after Close, whatever the sink returned.
	Synchronous uint64
	// DroppedAfterClose counts records logged after Close that were dropped
	// because the sink was still busy (a call Close gave up on) and made
	// no progress for Options.StallTimeout, or because the sink (or a
	// Writer's report handler) logged them itself, from inside its call
	// (dropped at once: the goroutine that calls the sink cannot wait for
	// itself).
	DroppedAfterClose uint64
	// WriteErrors counts sink calls that returned an error; SinkPanics those
	// that panicked (the panic is recovered and the drain goes on) or ended
	// the drain goroutine with runtime.Goexit (a new drain goroutine takes
	// over the queue).
	WriteErrors uint64
	SinkPanics  uint64
	// Batches counts batches the drain goroutine took from the queue
	// (for a Writer, Write calls on the underlying writer).
	Batches uint64
	// QueueDepth is the number of records queued now; HighWater the most
	// that have been queued at once.
	QueueDepth int
	HighWater  int
	// InFlight is the number of records the drain goroutine has taken
	// from the queue and not yet settled: the batch in hand, the records
	// the sink's call in progress is taking included. After Close gave up
	// at its deadline, it is the records that call is still taking.
	InFlight int
	// Byte counts, Writer only.
	AcceptedBytes, WrittenBytes, DroppedBytes uint64
	QueueBytes                                int
}
