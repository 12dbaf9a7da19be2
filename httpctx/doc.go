// Package httpctx opens a scope for every HTTP request (or job) and makes
// the request's identity reach every log record: its correlation ID, its
// trace and span IDs, and its one sampling decision.
//
// # The request-aware path
//
// Go has no implicit context: a slog handler learns which request a record
// belongs to only from the context passed with it. In a handler, log with
// the request's context, or get a logger bound to it:
//
//	func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
//		log := httpctx.Logger(r.Context()) // bound to this request
//		log.Info("loading order", "id", r.PathValue("id")) // carries correlation_id
//		// or: s.logger.InfoContext(r.Context(), "loading order", ...)
//	}
//
// A record logged with neither (s.logger.Info(...)) has no request scope:
// it carries no correlation_id and the sampling handler passes it
// unsampled. Logger(ctx) exists so that code that calls Info without a
// context still gets it right.
//
// # Pieces
//
//   - Middleware (or NewRequestMiddleware, for Stats) is the net/http
//     middleware: it picks the correlation ID (X-Correlation-ID,
//     X-Request-ID, the span context, traceparent, or a new ID), makes the
//     sampling decision once with a sampling.Policy, puts the scope in the
//     request's context, sets the X-Correlation-ID and X-Log-Sampled
//     response headers, keeps the request's records on a 5xx or a panic,
//     and logs one access record per request (with optional, bounded body
//     capture).
//   - Start opens the same scope for work that is not HTTP: a job, a queue
//     consumer.
//   - Handler (NewHandler, NewMiddleware) is a slog.Handler wrapper that adds
//     correlation_id, trace_id and span_id to every record logged with a
//     scoped context.
//   - Logger, WithLogger and BindLogger give request-bound loggers;
//     CorrelationID, Keep and Sampled read or change the scope in a context.
//
// # Composing
//
// Handler goes first in the handler stack, before sampling.Handler, and the
// same logger is given to the middleware:
//
//	h := httpctx.NewHandler(sampling.NewHandler(sink, sampling.Options{}), httpctx.HandlerOptions{})
//	logger := slog.New(h)
//	srv := &http.Server{Handler: httpctx.Middleware(httpctx.Options{Logger: logger})(mux)}
//
// The scope itself is shared with the sampling and aggregation handlers of
// this module, which read the decision from the context and are told when
// the scope is kept and when it ends.
package httpctx
