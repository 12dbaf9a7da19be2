package async

import "time"

// Defaults used for the zero values of Options fields.
const (
	DefaultCapacity       = 8192  // records, Handler
	DefaultWriterCapacity = 32768 // records, Writer (MaxBytes bounds its memory)
	DefaultMaxBytes       = 8 << 20
	DefaultBatchSize      = 512
	DefaultBatchBytes     = 256 << 10
	DefaultReportInterval = time.Second
	DefaultStallTimeout   = time.Second
)

// DefaultOptions returns the recommended options: every field at its
// default, StallTimeout included.
func DefaultOptions() Options {
	return Options{
		Capacity:       0, // DefaultCapacity or DefaultWriterCapacity, by type
		MaxBytes:       DefaultMaxBytes,
		BatchSize:      DefaultBatchSize,
		BatchBytes:     DefaultBatchBytes,
		ReportInterval: DefaultReportInterval,
		StallTimeout:   DefaultStallTimeout,
	}
}

// Options configures a Handler or a Writer. Start from DefaultOptions.
// Every field but StallTimeout takes its default when zero; a zero
// StallTimeout is a real setting (drop as soon as the queue is full).
type Options struct {
	// Capacity is the most records the queue holds. When it is full, the
	// caller waits for the sink or the oldest record is dropped to make
	// room (see StallTimeout and Reserved). Default
	// DefaultCapacity (8192) for a Handler, DefaultWriterCapacity (32768)
	// for a Writer, whose queued bytes MaxBytes also bounds.
	Capacity int

	// Reserved is how many of the Capacity slots only records at WARN and
	// above may use, so they outlive a flood of DEBUG and INFO: records
	// below WARN never hold more than Capacity-Reserved slots. Zero means
	// Capacity/8; a negative value means no reserve. A Writer reads the
	// level from the "level" field near the start of each line, as slog's
	// JSON and text handlers write it; a line without one counts as below
	// WARN.
	Reserved int

	// MaxBytes bounds the bytes the queue holds: for a Writer the bytes
	// written to it, for a Handler the heap bytes its record snapshots hold
	// (message, keys, strings, copied or encoded values). A single record
	// larger than MaxBytes is dropped and counted. Default DefaultMaxBytes
	// (8 MiB).
	MaxBytes int

	// BatchSize is the most records the drain goroutine takes from the
	// queue at once. Default DefaultBatchSize (512).
	BatchSize int

	// BatchBytes bounds the bytes a Writer hands to the underlying writer in
	// one Write call (a single record larger than that is written alone,
	// never split). Default DefaultBatchBytes (256 KiB).
	BatchBytes int

	// ReportInterval is the least time between two in-band drop reports.
	// Drops are always counted in Stats; a negative value turns the in-band
	// report off. Default DefaultReportInterval (1 s).
	ReportInterval time.Duration

	// StallTimeout is how long the sink may go without progress (without
	// finishing a call) before a full queue drops its oldest records. While
	// the queue is full and the sink keeps finishing calls, a caller waits
	// for room instead of dropping, so a healthy sink loses nothing even
	// when producers outrun the drain goroutine for a while; once the sink
	// has made no progress for StallTimeout, callers stop waiting and the
	// queue drops the oldest records, until the sink makes progress again.
	// A caller therefore waits at most StallTimeout for a stalled sink, once
	// per stall. Zero means no waiting: drop as soon as the queue is full.
	// DefaultOptions sets DefaultStallTimeout (1 s).
	//
	// After Close there is no queue: a record logged then is written on
	// the caller's goroutine, waiting for the sink while it makes progress,
	// and dropped (counted in Stats.DroppedAfterClose) only once the sink
	// has made no progress for StallTimeout, or DefaultStallTimeout if
	// StallTimeout is zero.
	StallTimeout time.Duration
}

// withDefaults returns o with every zero field but StallTimeout replaced
// by its default (capacity for Capacity) and every out-of-range field
// clamped.
func (o Options) withDefaults(capacity int) Options {
	if o.Capacity <= 0 {
		o.Capacity = capacity
	}
	switch {
	case o.Reserved == 0:
		o.Reserved = o.Capacity / 8
	case o.Reserved < 0:
		o.Reserved = 0
	}
	o.Reserved = min(o.Reserved, o.Capacity-1)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.ReportInterval == 0 {
		o.ReportInterval = DefaultReportInterval
	}
	o.StallTimeout = max(o.StallTimeout, 0)
	return o
}
