// Package aggregation folds floods of repetitive system records into
// counted summary records, so that connection-pool, health-check and metric
// chatter costs a few lines per window instead of one line per event.
//
// Handler wraps any slog.Handler (the contract every wrapper of the module
// keeps, and the order of the stack, are in docs/architecture.md). Each
// record is first classified: only system records below ERROR are
// candidates; every other record, business events and errors included, is
// passed on unchanged. A record is a system record when Options.Match
// selects it (DefaultOptions selects messages starting with "Connection
// pool size", "Health check completed" or "Metric recorded") or when it
// carries the attribute log.kind=system, which System returns, on the call
// or through Logger.With.
//
// Candidates are grouped by message, level, correlation ID and the values
// of all their attributes, those added with Logger.With and the group
// structure included, so records that differ in any value never share a
// summary. The first Options.Burst records of a group within
// Options.BurstWindow pass individually; after that the group's records are
// folded into one open summary until its window (Options.Window) ends, it
// holds Options.MaxCount records, its request ends, it is evicted from the
// bounded group cache, or Flush or Close is called.
//
// # Summaries
//
// A summary is the group's record (the copy of its first folded record,
// with values cut to Options.MaxValueBytes) with these attributes added
// after the record's own, in this order, written through the same
// With/WithGroup chain and with the same context values as the records it
// stands for, and dated when it is written:
//
//	_aggregated        true
//	_count             the number of records folded into it
//	_first_occurrence  the earliest time of a folded record
//	_last_occurrence   the latest time of a folded record
//	_window_seconds    Options.Window in seconds
//	_truncated         true, only when held values were cut or left out
//
// The two occurrences are strings in RFC 3339 with nine fractional digits,
// always present (the layout "2006-01-02T15:04:05.000000000Z07:00"), in the
// location of the records' times. A record is dated by its own time
// (Record.Time, which slog.Logger sets; the current time for a record
// without one), so records reaching the handler in any order of their
// times still give the right occurrences.
//
// # Conservation and lifecycle
//
// Nothing is lost unaccounted: the records written individually plus the
// sum of _count over the summaries written equals the records handled,
// under any concurrency, eviction and shutdown, and Stats count the
// summaries that failed or that Close dropped at its context's deadline.
// A background goroutine owned by the handler writes the summaries whose
// window is ending even when their group goes quiet; it runs only while
// the cache holds groups. Close(ctx) writes the last summaries and stops
// it; Flush(ctx) writes the open summaries and keeps the handler running.
// Both return by ctx's deadline, saying what they could not write: Flush
// drops nothing (what it could not write in time is left open, or written
// in the background), Close drops and counts it. Close the Handler before the handlers after it, so that
// the last summaries reach the sink.
package aggregation
