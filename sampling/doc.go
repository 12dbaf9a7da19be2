// Package sampling keeps or drops the records of whole requests.
//
// The decision is made once per request (Policy.Decide, usually called by
// httpctx's middleware) from the request's path, its trace flags and an
// xxhash of its correlation ID (Decide), and stored in the request's scope in
// the context. Handler reads that one decision for every record: records of
// sampled requests pass with _sampled, _sample_rate and _sample_reason;
// records of requests not sampled wait in a bounded per-request buffer and
// are dropped when the request ends, unless an error, a panic or a 5xx keeps
// the request, which writes the buffered records first, in order.
//
// Handler wraps any slog.Handler; NewMiddleware offers it as a
// func(slog.Handler) slog.Handler for slog-multi's Pipe.
package sampling
