package slogstack

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/slogstack/slogstack/sampling"
)

// The smallest sizes the builder accepts. A smaller one would pass every
// record straight to the drop counters, so it is a configuration error, not
// a setting.
const (
	// minQueueBytes is the smallest async.Writer queue (AsyncOptions.MaxBytes,
	// LOG_QUEUE_BYTES): one block of the Writer, 64 KiB, the most it writes
	// in one call. A record longer than the queue is dropped whole, so a
	// smaller queue would drop every record of a few hundred bytes as soon
	// as a handful are waiting.
	minQueueBytes = 64 << 10

	// minRequestBufferBytes is the smallest per-request sampling buffer
	// (SamplingOptions.MaxRequestBytes, LOG_REQUEST_BUFFER_BYTES): 1 KiB,
	// a typical record with its buffer slot. A record larger than the
	// buffer is not buffered at all.
	minRequestBufferBytes = 1 << 10

	// minForceKeyBytes is the shortest forced-sampling key
	// (HTTP.ForceKey, LOG_FORCE_KEY): 16 bytes, 128 bits. A shorter one
	// could be guessed, and whoever holds it can have any request logged
	// whole.
	minForceKeyBytes = 16
)

// Validate reports whether c describes a stack that can log: each problem
// is an error naming the Config field, the value and what it must be, and
// the errors of all of them are joined. NewStack and NewStackWithSink call
// it and build nothing when it fails.
//
// It rejects:
//
//   - a nil pointer as Level (a nil *slog.LevelVar or *slog.Level), whose
//     Level method would panic on every log call;
//   - a Format that is neither FormatJSON nor FormatText (checked by
//     NewStackWithSink too, although it does not use it);
//   - a SamplingPolicy.Rate outside [0, 1] (NaN included): 10 for 10% is
//     a mistake the sampling package would read as 1, every request;
//   - a negative (or NaN) count, size, duration or rate in the options of a
//     feature that is on, and in HTTP (the wrappers would read it as zero;
//     here it is taken for a mistake);
//   - HTTP.Logger or HTTP.Policy set: Stack.Middleware uses the stack's
//     logger and sampling policy;
//   - HTTP.Body.Request or HTTP.Body.Response on with HTTP.Body.MaxBytes
//     0, which would capture nothing;
//   - an HTTP.ForceKey of 1 to 15 bytes, too short to be a secret (the
//     error gives its length, never the key);
//   - sizes too small to hold a record, since such a stack would drop
//     every record it is given: SamplingOptions.MaxRequestBytes must be 0
//     (no buffering) or at least 1 KiB; SamplingOptions.MaxBufferedBytes
//     must be 0 (no buffering) or at least the per-request bound, so that
//     one request can fill its buffer; AsyncOptions.MaxBytes must be 0 (the
//     default) or at least 64 KiB, one block of the async.Writer.
//
// The options of a feature that is off are not checked, since they are
// ignored, nor the buffer sizes when buffering is off (a zero bound).
// AsyncOptions.MaxBytes is checked whenever Async is on, although only
// NewStack's byte queue uses it.
func (c Config) Validate() error {
	var errs []error
	if nilPointer(c.Level) {
		errs = append(errs, fmt.Errorf("slogstack: Level is a nil %T", c.Level))
	}
	if !c.Format.valid() {
		errs = append(errs, fmt.Errorf("slogstack: Format is %v; it must be FormatJSON or FormatText", c.Format))
	}
	if c.Sampling {
		errs = appendRateError(errs, "SamplingPolicy.Rate", c.SamplingPolicy.Rate)
		errs = appendNegativeErrors(errs, "SamplingOptions", c.SamplingOptions)
		errs = appendBufferErrors(errs, c.SamplingOptions)
	}
	if c.Aggregation {
		errs = appendNegativeErrors(errs, "AggregationOptions", c.AggregationOptions)
	}
	if c.Redact {
		errs = appendNegativeErrors(errs, "RedactOptions", c.RedactOptions)
		if err := c.RedactOptions.Validate(); err != nil {
			list := []error{err}
			if joined, ok := err.(interface{ Unwrap() []error }); ok {
				list = joined.Unwrap() // one error per bad name, as for every other field
			}
			for _, e := range list {
				errs = append(errs, fmt.Errorf("slogstack: RedactOptions: %w", e))
			}
		}
	}
	if c.Async {
		errs = appendNegativeErrors(errs, "AsyncOptions", c.AsyncOptions)
		errs = appendSizeError(errs, "AsyncOptions.MaxBytes", int64(c.AsyncOptions.MaxBytes), minQueueBytes,
			"0 for the default", "one block of the queue")
	}
	errs = appendNegativeErrors(errs, "HTTP", c.HTTP)
	if (c.HTTP.Body.Request || c.HTTP.Body.Response) && c.HTTP.Body.MaxBytes == 0 {
		errs = append(errs, errors.New("slogstack: HTTP.Body.MaxBytes is 0 with body capture on, which captures nothing; set the most bytes to log per body (httpctx.DefaultOptions has 4096)"))
	}
	if c.HTTP.Logger != nil {
		errs = append(errs, errors.New("slogstack: HTTP.Logger is set; leave it nil: Stack.Middleware logs through the stack's logger"))
	}
	if c.HTTP.Policy != nil {
		errs = append(errs, errors.New("slogstack: HTTP.Policy is set; leave it nil: Stack.Middleware decides with the stack's SamplingPolicy"))
	}
	if n := len(c.HTTP.ForceKey); n > 0 && n < minForceKeyBytes {
		errs = append(errs, fmt.Errorf("slogstack: HTTP.ForceKey has %d bytes; a forced-sampling key must have at least %d (32 random bytes are best), or be empty to turn forced sampling off", n, minForceKeyBytes))
	}
	return errors.Join(errs...)
}

// validateForSink is Validate and, joined with its errors in one list,
// the fields that NewStackWithSink cannot apply, because the sink encodes
// the records: a ReplaceAttr or AddSource left unapplied would change the
// output silently (renamed keys back to slog's, no source). Format is
// ignored: the sink is the format.
func (c Config) validateForSink() error {
	var errs []error
	if err := c.Validate(); err != nil {
		errs = append(errs, err.(interface{ Unwrap() []error }).Unwrap()...)
	}
	if c.ReplaceAttr != nil {
		errs = append(errs, errors.New("slogstack: NewStackWithSink: ReplaceAttr is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.ReplaceAttr) and leave Config.ReplaceAttr nil"))
	}
	if c.AddSource {
		errs = append(errs, errors.New("slogstack: NewStackWithSink: AddSource is set, but the sink encodes the records: set it in the sink's own options (slog.HandlerOptions.AddSource) and leave Config.AddSource false"))
	}
	return errors.Join(errs...)
}

// appendRateError appends an error naming field when r is not a fraction
// of requests or records, in [0, 1]: a rate of 10 meant as 10% would keep
// every request.
func appendRateError(errs []error, field string, r float64) []error {
	if math.IsNaN(r) || r < 0 || r > 1 {
		return append(errs, fmt.Errorf("slogstack: %s %v is not a number from 0 to 1", field, r))
	}
	return errs
}

// appendBufferErrors appends the errors of the sampling buffer's sizes
// when buffering is on (every bound positive): a request's buffer must
// hold a record, the buffer of all requests the buffer of one.
func appendBufferErrors(errs []error, o sampling.Options) []error {
	if o.MaxRequestRecords <= 0 || o.MaxRequestBytes <= 0 || o.MaxBufferedBytes <= 0 {
		return errs // buffering off; negatives are reported as such
	}
	req := int64(o.MaxRequestBytes)
	errs = appendSizeError(errs, "SamplingOptions.MaxRequestBytes", req, minRequestBufferBytes,
		"0 for no buffering", "one record")
	return appendSizeError(errs, "SamplingOptions.MaxBufferedBytes", o.MaxBufferedBytes, max(req, minRequestBufferBytes),
		"0 for no buffering", "the buffer of one request (SamplingOptions.MaxRequestBytes)")
}

// appendSizeError appends an error naming field when size, a positive byte
// count, is below minimum; zero says what zero means for the field, holds
// what the minimum is the size of. Zero and negative sizes are left to the
// other checks.
func appendSizeError(errs []error, field string, size, minimum int64, zero, holds string) []error {
	if size <= 0 || size >= minimum {
		return errs
	}
	return append(errs, fmt.Errorf("slogstack: %s is %d bytes; it must be %s or at least %s (%d bytes), %s",
		field, size, zero, formatSize(minimum), minimum, holds))
}

// formatSize writes n bytes the way sizes are written in LOG_* variables:
// in the largest unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d", n)
}

// nilPointer reports whether v holds a nil pointer (an interface holding a
// typed nil, which a nil check on the interface misses).
func nilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
