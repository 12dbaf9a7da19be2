// Package async takes the sink off the caller's path: async.Handler wraps
// any slog.Handler and async.Writer wraps any io.Writer, and both put what
// the caller logs into a bounded drop-oldest queue (a ring of record slots
// for Handler; for Writer, records stored back to back in recycled 64 KiB
// blocks) that one background goroutine per instance drains in batches. A
// log call never waits on a stalled sink: with the sink stuck for seconds
// it costs what it costs with a fast one.
//
// Use Handler in front of a handler that does the encoding and the I/O (the
// OpenTelemetry log bridge, a JSON handler on a slow writer); use Writer
// under an encoding handler (handler.JSONHandler, slog.JSONHandler) so
// that the encoding stays on the caller and only bytes are queued, which
// is the cheapest form. Where async sits in the stack is stated in
// docs/architecture.md.
//
// Handler and Writer follow the contract every wrapper of the module
// follows: a nil next handler or writer panics, Close(ctx) stops the
// drain goroutine, and Stats returns the counters. To compose a Handler
// with slogmulti.Pipe, write the closure and keep the handle for Close:
//
//	var q *async.Handler
//	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler {
//		q = async.NewHandler(next, async.DefaultOptions())
//		return q
//	})
//
// When the queue is full the oldest records are dropped, never the caller
// blocked for longer than Options.StallTimeout. Every drop is counted (by
// level) in Stats and, unless Options.ReportInterval is zero, reported
// in-band at most once per ReportInterval (and at once when Flush waits
// for the report), where the gap is, by a WARN
// record (for a Writer, a JSON line, or a line in the format of
// Options.ReportHandler) with the message
// "async: records dropped" and these attributes:
//
//	dropped           number of records dropped since the previous report
//	dropped_by_level  group of counts: DEBUG, INFO, WARN, ERROR (and UNKNOWN
//	                  for a Writer's records whose level it could not read)
//	dropped_bytes     bytes dropped (Writer only)
//	first_dropped     time of the oldest dropped record
//	last_dropped      time of the newest dropped record
//
// A Writer takes the times from the "time" field of the dropped JSON or
// text lines; when it cannot find one it leaves the time attribute out.
//
// Close drains what was accepted, or gives up at its context's deadline
// and says exactly how many records were lost and how many the sink is
// still taking (counted written or failed when its call returns, never
// lost); the drain goroutine then exits as soon as the sink returns from
// the call it is stuck in. Records
// logged after Close are written synchronously. Flush(ctx) waits, bounded
// by ctx, until everything queued before it has been handed to the sink
// and every drop counted before it reported in-band, without closing: the
// call to make before os.Exit. Sink errors and panics
// are counted and survived. Nothing touches file descriptor flags.
package async
