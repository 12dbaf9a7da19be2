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
)

// Options configures a Handler or a Writer. The zero value gives the
// documented defaults.
type Options struct {
	// Capacity is the most records the queue holds. When it is full the
	// oldest record is dropped to make room (see Reserved). Default
	// DefaultCapacity (8192) for a Handler, DefaultWriterCapacity (32768)
	// for a Writer, whose queued bytes MaxBytes also bounds.
	Capacity int

	// Reserved is how many of the Capacity slots only records at WARN and
	// above may use, so they outlive a flood of DEBUG and INFO: records
	// below WARN never hold more than Capacity-Reserved slots. Zero means
	// Capacity/8; a negative value means no reserve. Handler only: a
	// Writer sees bytes, not levels, and ignores it.
	Reserved int

	// MaxBytes bounds the bytes queued by a Writer (the Handler queues
	// records, not bytes, and ignores it): past it the oldest records are
	// dropped. A single Write larger than MaxBytes is dropped and counted.
	// Default DefaultMaxBytes (8 MiB).
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
}

// withDefaults returns o with every zero field replaced by its default
// (capacity for Capacity) and every out-of-range field clamped.
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
	return o
}
