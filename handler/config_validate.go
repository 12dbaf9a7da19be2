package handler

import (
	"errors"
	"fmt"
	"log/slog"
	"math"

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
)

// Validate reports whether c describes a stack that can log: each problem
// is an error naming the Config field, the value and what it must be, and
// the errors of all of them are joined. NewStack and NewStackWithSink call
// it and build nothing when it fails.
//
// Beyond malformed values (a sampling rate that is not a number, a nil
// *slog.LevelVar), it rejects sizes too small to hold a record, since
// such a stack would drop every record it is given:
//
//   - SamplingOptions.MaxRequestBytes: zero (the default) or at least 1 KiB;
//   - SamplingOptions.MaxBufferedBytes: zero (the default) or at least the
//     per-request bound in effect (512 KiB by default), so that one
//     request can fill its buffer;
//   - AsyncOptions.MaxBytes: zero (the default) or at least 64 KiB, one
//     block of the async.Writer.
//
// Negative sizes are rejected too. The options of a feature that is off
// (Sampling, buffering, Async) are not checked, since they are ignored.
// AsyncOptions.MaxBytes is checked whenever Async is on, although only
// NewStack's byte queue uses it.
func (c Config) Validate() error {
	var errs []error
	if r := c.SamplingPolicy.Rate; math.IsNaN(r) || math.IsInf(r, 0) {
		errs = append(errs, fmt.Errorf("handler: SamplingPolicy.Rate %v is not a number from 0 to 1", r))
	}
	if lv, ok := c.Level.(*slog.LevelVar); ok && lv == nil {
		errs = append(errs, errors.New("handler: Level is a nil *slog.LevelVar"))
	}
	if c.Sampling && !c.SamplingOptions.DisableBuffering {
		errs = appendBufferErrors(errs, c.SamplingOptions)
	}
	if c.Async {
		errs = appendSizeError(errs, "AsyncOptions.MaxBytes", int64(c.AsyncOptions.MaxBytes), minQueueBytes, "one block of the queue")
	}
	return errors.Join(errs...)
}

// appendBufferErrors appends the errors of the sampling buffer's sizes: a
// request's buffer must hold a record, the buffer of all requests must
// hold the buffer of one (each size at its default when zero).
func appendBufferErrors(errs []error, o sampling.Options) []error {
	req := int64(o.MaxRequestBytes)
	errs = appendSizeError(errs, "SamplingOptions.MaxRequestBytes", req, minRequestBufferBytes, "one record")
	if req < minRequestBufferBytes { // the default, or rejected above
		req = sampling.DefaultMaxRequestBytes
	}
	total := o.MaxBufferedBytes
	switch {
	case total < 0:
		errs = appendSizeError(errs, "SamplingOptions.MaxBufferedBytes", total, req, "the buffer of one request (SamplingOptions.MaxRequestBytes)")
	case total == 0 && req > sampling.DefaultMaxBufferedBytes:
		errs = append(errs, fmt.Errorf("handler: SamplingOptions.MaxRequestBytes is %d bytes, more than SamplingOptions.MaxBufferedBytes (0: the default, %s), the buffer of all requests; raise MaxBufferedBytes too",
			req, formatSize(sampling.DefaultMaxBufferedBytes)))
	case total > 0:
		errs = appendSizeError(errs, "SamplingOptions.MaxBufferedBytes", total, req, "the buffer of one request (SamplingOptions.MaxRequestBytes)")
	}
	return errs
}

// appendSizeError appends an error naming field when size, a byte count
// where zero means the default, is negative or below minimum; holds says
// what the minimum is the size of.
func appendSizeError(errs []error, field string, size, minimum int64, holds string) []error {
	if size == 0 || size >= minimum {
		return errs
	}
	return append(errs, fmt.Errorf("handler: %s is %d bytes; it must be 0 for the default or at least %s (%d bytes), %s",
		field, size, formatSize(minimum), minimum, holds))
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
