// Package sampling keeps or drops the records of whole requests.
//
// # The decision
//
// The decision is made once per request (Policy.Decide, called by
// scope.Start, or by httpctx.Middleware, when the request's scope opens)
// from the request's path, its trace flags and an xxhash of its
// correlation ID (Decide), and stored in the request's scope in the
// context. Decide is a fixed formula, xxhash64(id) < rate * 2^64, so every
// process and service that sees the same correlation ID decides the same.
//
// # The handler
//
// Handler reads that one decision for every record logged with the
// request's context:
//
//   - records of sampled requests pass with _sampled=true, _sample_rate and
//     _sample_reason;
//   - records of requests not sampled wait in a bounded per-request buffer
//     and are dropped (and counted) when the request ends, unless an ERROR
//     record, a panic or a 5xx keeps the request, which writes the buffered
//     records first, in order, then the trigger, then every later record,
//     all with _sample_reason=error;
//   - records without a request scope pass unchanged, or are sampled one by
//     one with Options.SampleUnscoped.
//
// The annotations are added at the top level of the record, outside any
// group opened with WithGroup. A buffered record is a snapshot taken at
// the call (LogValuers resolved, maps, slices and structs copied or
// encoded then: nothing the caller can change later is shared), keeps the
// handler it was logged on (its WithAttrs and WithGroup chain) and is
// checked against the next handler's Enabled again when written.
//
// # Writing the buffer
//
// The next handler is never called under a request's buffer lock. The
// goroutine that keeps a request takes the buffered records out under the
// lock and writes them outside it, then its trigger; records of the
// request that arrive meanwhile queue in the buffer, and the same
// goroutine writes them in turn, so order holds and a stalled sink holds
// up only that goroutine. A panic of the next handler is recovered and
// counted (Stats.HandlePanics): a buffered record it was writing is
// counted as lost (Stats.RecordsLostPanic); a record written at once makes
// Handle return an error instead.
//
// # Buffer bounds
//
// Each request's buffer is bounded in records (Options.MaxRequestRecords)
// and in bytes (Options.MaxRequestBytes), and all buffers of a Handler
// together by a shared budget (Options.MaxBufferedBytes). Past a bound the
// oldest records of the request below ERROR go. A record at ERROR or above
// is never dropped: it is buffered only when it arrives while a kept
// request's buffer is being written, and if nothing below ERROR is left to
// make room it is held past the bounds (and charged to the budget past its
// limit) until the writing goroutine takes it out. When a request with lost records is
// kept, a WARN record (lostRecordsMessage) carrying _lost_records, the
// exact number lost, is written in each gap they left. A record is charged
// its buffer slot (the record with its five inline attributes, its context
// and handler) plus the heap its snapshot holds, values of every kind
// included, as measured when the snapshot is taken.
//
// # Options
//
// Zero means zero: a zero bound (any of MaxRequestRecords,
// MaxRequestBytes, MaxBufferedBytes) turns buffering off, so the zero
// Options buffers nothing; with SampleUnscoped, a zero UnscopedRate keeps
// no record without a scope below ERROR. A negative bound or rate counts
// as zero. DefaultOptions returns the recommended settings.
//
// # Composition
//
// Handler wraps any slog.Handler. For slog-multi's Pipe, wrap NewHandler
// in a closure, keeping the handle if you want its Stats:
//
//	var sampler *sampling.Handler
//	pipe := slogmulti.Pipe(func(next slog.Handler) slog.Handler {
//		sampler = sampling.NewHandler(next, sampling.DefaultOptions())
//		return sampler
//	})
//
// Put it first in the stack, so that records it drops cost the handlers
// after it nothing; docs/architecture.md gives the order the builder
// assembles.
package sampling
