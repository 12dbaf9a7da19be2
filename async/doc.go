// Package async takes the sink off the caller's path: async.Handler wraps
// any slog.Handler and async.Writer wraps any io.Writer, and both put what
// the caller logs into a bounded drop-oldest queue (internal/ringbuf for
// Handler; for Writer, records stored back to back in recycled 64 KiB
// blocks) that one background goroutine per instance drains in batches. A log call never
// waits on the sink: with the sink stalled for seconds it costs what it
// costs with a fast one.
//
// Use Handler in front of a handler that does the encoding and the I/O (the
// OpenTelemetry log bridge, a JSON handler on a slow writer); use Writer
// under an encoding handler (handler.JSONHandler, slog.JSONHandler) so
// that the encoding stays on the caller and only bytes are queued, which
// is the cheapest form. In the recommended stack async is the last wrapper
// before the sink:
//
//	sampling -> aggregation -> redact -> async.Handler -> sink
//
// and it composes with slogmulti.Pipe through NewMiddleware.
//
// When the queue is full the oldest records are dropped, never the caller
// blocked. Every drop is counted (by level) in Stats and reported in-band by
// a WARN record, at most once per Options.ReportInterval, written where the
// gap is. Close drains what was accepted, or gives up at its context's
// deadline and says exactly how many records were lost; records logged
// after Close are written synchronously. Sink errors and panics are counted
// and survived. Nothing touches file descriptor flags.
package async
