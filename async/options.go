package async

import (
	"io"
	"log/slog"
	"time"
)

// The type defaults, for fields whose zero has no meaning of its own.
const (
	defaultCapacity       = 8192  // records, Handler
	defaultWriterCapacity = 32768 // records, Writer (MaxBytes bounds its memory)
	defaultMaxBytes       = 8 << 20
	defaultBatchSize      = 512
	defaultBatchBytes     = 256 << 10
)

// DefaultOptions returns the recommended options: the type's default
// capacity (8192 records for a Handler, 32768 for a Writer), 1024 slots
// reserved for WARN and above, 8 MiB of queued bytes, batches of 512
// records and 256 KiB, an in-band drop report at most once a second, and a
// one-second stall time.
func DefaultOptions() Options {
	return Options{
		Capacity:       0, // the type's default
		Reserved:       defaultCapacity / 8,
		MaxBytes:       defaultMaxBytes,
		BatchSize:      defaultBatchSize,
		BatchBytes:     defaultBatchBytes,
		ReportInterval: time.Second,
		StallTimeout:   time.Second,
	}
}

// Options configures a Handler or a Writer. Start from DefaultOptions.
//
// Capacity, MaxBytes, BatchSize and BatchBytes take their default when
// zero (a queue or batch of no room has no meaning); Reserved,
// ReportInterval and StallTimeout are real settings at zero (no reserve,
// no in-band report, no waiting). A negative value of any field is
// treated as zero.
type Options struct {
	// Capacity is the most records the queue holds. When it is full, the
	// caller waits for the sink or the oldest record is dropped to make
	// room (see StallTimeout and Reserved). Zero means the type's default:
	// 8192 for a Handler, 32768 for a Writer, whose queued bytes MaxBytes
	// also bounds. A value above 16,777,216 (1<<24) counts as that, since
	// a Handler allocates its slots when it is made, 16 bytes for each
	// slot of Capacity and of Reserved: a typo costs at most 384 MiB (256
	// MiB with DefaultOptions' reserve), not the process. A Writer
	// allocates nothing up front for Capacity.
	Capacity int

	// Reserved is how many of the Capacity slots only records at WARN and
	// above may use, so they outlive a flood of DEBUG and INFO: records
	// below WARN never hold more than Capacity-Reserved slots (and, for a
	// Writer, the same share of MaxBytes). Zero means no reserve: every
	// record competes for every slot. The reserve is clamped to half the
	// Capacity, so records below WARN always keep at least half the queue
	// (DefaultOptions with a Capacity under 2048 reserves half of it).
	// DefaultOptions sets 1024 (an eighth of a Handler's default
	// Capacity). A Writer reads the level from the "level" field near the
	// start of each line, as slog's JSON and text handlers write it; a
	// line without one counts as below WARN.
	Reserved int

	// MaxBytes bounds the bytes the queue holds: for a Writer the bytes
	// written to it, for a Handler the heap bytes its record snapshots hold
	// (message, keys, strings, copied or encoded values). A single record
	// larger than MaxBytes is dropped and counted. Zero means 8 MiB.
	MaxBytes int

	// BatchSize is the most records the drain goroutine takes from the
	// queue at once. Zero means 512; a value above Capacity, or above
	// 65,536 (1<<16), counts as that (a Handler allocates its batch, 8
	// bytes a record, when it is made). A drain goroutine that lingers
	// after emptying the queue is woken once a batch is queued (at most
	// an eighth of Capacity), or at the latest after a millisecond.
	BatchSize int

	// BatchBytes bounds the bytes a Writer hands to the underlying writer in
	// one Write call (a single record larger than that is written alone,
	// never split). Zero means 256 KiB.
	BatchBytes int

	// ReportInterval is the least time between two in-band drop reports
	// (WARN records with the message "async: records dropped"; see the
	// package documentation), except that Flush writes a pending report at
	// once. Zero means no in-band report: drops are counted in Stats only,
	// which they always are. DefaultOptions sets one second.
	ReportInterval time.Duration

	// ReportHandler, for a Writer, makes the handler that encodes its
	// in-band drop report, so that the report has the format of the lines
	// the Writer carries: the Writer calls it once, in NewWriter, with the
	// buffer the handler must write to, and writes what the handler wrote
	// for each report to the underlying writer. Nil means
	// slog.NewJSONHandler(w, nil). The Writer calls the handler's Handle
	// without asking its Enabled: the handler's level does not filter the
	// report, which is always written. If Handle returns an error or
	// panics, the report is not written; the call counts in
	// Stats.WriteErrors or Stats.SinkPanics and its drops still count as
	// reported. A Handler ignores ReportHandler: its report goes to the
	// handler it wraps.
	ReportHandler func(w io.Writer) slog.Handler

	// StallTimeout is how long the sink may go without progress (without
	// finishing a call) before a full queue drops its oldest records. While
	// the queue is full and the sink keeps finishing calls, a caller waits
	// for room instead of dropping, so a healthy sink loses nothing even
	// when producers outrun the drain goroutine for a while; once the sink
	// has made no progress for StallTimeout, callers stop waiting and the
	// queue drops the oldest records, until the sink makes progress again.
	// A caller therefore waits at most StallTimeout for a stalled sink, once
	// per stall. Zero means no waiting: drop as soon as the queue is full.
	// DefaultOptions sets one second.
	//
	// After Close there is no queue: a record logged then is written on
	// the caller's goroutine, waiting for the sink while it makes progress,
	// and dropped (counted in Stats.DroppedAfterClose) only once the sink
	// has made no progress for StallTimeout, or for one second if
	// StallTimeout is zero (with no queue left to drop from, zero cannot
	// mean dropping at once: the record would be lost whenever the sink is
	// busy with another caller's record).
	StallTimeout time.Duration
}

// maxCapacity bounds Options.Capacity and maxBatchSize Options.BatchSize: a
// Handler allocates its slots and its batch up front, so a typo in a size
// must not exhaust memory. A Writer's block holds at most 64 KiB, so never
// more than 1<<16 records anyway.
const (
	maxCapacity  = 1 << 24
	maxBatchSize = 1 << 16
)

// afterCloseStall is the stall time of writes after Close when
// Options.StallTimeout is zero (see StallTimeout's documentation).
const afterCloseStall = time.Second

// withDefaults returns o with each zero or negative field that has a type
// default replaced by it (capacity for Capacity), every other negative
// field set to zero, Capacity clamped to maxCapacity, Reserved to half of
// Capacity and BatchSize to Capacity and maxBatchSize.
func (o Options) withDefaults(capacity int) Options {
	if o.Capacity <= 0 {
		o.Capacity = capacity
	}
	o.Capacity = min(o.Capacity, maxCapacity)
	o.Reserved = min(max(o.Reserved, 0), o.Capacity/2)
	if o.MaxBytes <= 0 {
		o.MaxBytes = defaultMaxBytes
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	o.BatchSize = min(o.BatchSize, o.Capacity, maxBatchSize)
	if o.BatchBytes <= 0 {
		o.BatchBytes = defaultBatchBytes
	}
	o.ReportInterval = max(o.ReportInterval, 0)
	o.StallTimeout = max(o.StallTimeout, 0)
	return o
}
