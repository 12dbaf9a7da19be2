// Package aggregation folds floods of repetitive system records into
// counted summary records, so that connection-pool, health-check and metric
// chatter costs a few lines per window instead of one line per event.
//
// Handler wraps any slog.Handler. Each record is first classified: only
// system records (selected by Options.Match, by default messages starting
// with "Connection pool size", "Health check completed" or "Metric
// recorded", and any record carrying the System marker attribute) below
// ERROR are candidates; every other record, business events and errors
// included, is passed on unchanged.
//
// Candidates are grouped by message, level, correlation ID and the values
// of all their attributes, those added with Logger.With and the group
// structure included, so records that differ in any value never share a
// summary. The first Options.Burst records of a group within
// Options.BurstWindow pass individually; after that the group's records are
// folded into one open summary until its window (Options.Window) ends, it
// holds Options.MaxCount records, its request ends, it is evicted from the
// bounded group cache, or Flush or Close is called. The summary is the
// group's record with _aggregated, _count, _first_occurrence,
// _last_occurrence and _window_seconds added, written through the same
// With/WithGroup chain and with the same context values as the records it
// stands for.
//
// Nothing is lost: the records written individually plus the sum of _count
// over the summaries equals the records handled, under any concurrency,
// eviction and shutdown. A background goroutine owned by the handler writes
// the summaries whose window is ending even when their group goes quiet; it
// runs only while the cache holds groups, and Close stops it.
//
// NewMiddleware offers the handler as a func(slog.Handler) slog.Handler for
// slog-multi's Pipe. In the recommended stack aggregation sits after
// sampling and before redaction and the async queue; call Close (or Flush)
// before closing the handlers after it, so that the last summaries reach
// the sink.
package aggregation
