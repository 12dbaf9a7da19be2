// Package scope is the request scope: one unit of work (an HTTP request, a
// job, a queued message) with its correlation ID, its OpenTelemetry span
// context and its one sampling decision, carried in a context.Context, and
// the slog handler that writes that identity into every record logged with
// the context.
//
// The HTTP middleware of package httpctx opens a scope for every request;
// Start opens the same kind of scope for work that is not HTTP. This
// package does not depend on net/http.
//
// # The request-aware path
//
// Go has no implicit context: a slog handler learns which request or job a
// record belongs to only from the context passed with it. Log with the
// scope's context, or get a logger bound to it:
//
//	func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
//		log := scope.Logger(r.Context()) // bound to this request
//		log.Info("loading order", "id", r.PathValue("id")) // carries correlation_id
//		// or: s.logger.InfoContext(r.Context(), "loading order", ...)
//	}
//
// A record logged with neither (s.logger.Info(...)) has no scope: it
// carries no correlation_id and the sampling handler treats it as a record
// without a request. Logger(ctx) exists so that code that calls Info
// without a context still gets it right.
//
// # Jobs
//
// A job, a queue consumer or a scheduled task opens a scope with Start and
// ends it with its error; a failed job keeps its records even when it was
// not sampled:
//
//	ctx, end := scope.Start(ctx, scope.Options{Name: "queue/orders", CorrelationID: msg.ID, Policy: sampling.DefaultPolicy(), Logger: logger})
//	defer func() { end(err) }()
//
// The zero Options decide with the zero sampling.Policy, which samples
// nothing: take the options from the stack (slogstack's
// Stack.ScopeOptions), or set Policy to sampling.DefaultPolicy().
//
// With Options.CompletionLog (which Stack.ScopeOptions sets), end logs one
// completion record, the job's access record: name, duration and outcome,
// and the error at ERROR when the job failed. It follows the scope's
// decision like any other record of the scope.
//
// # Pieces
//
//   - Start, Options: open and end a scope (Options.Carrier: from the
//     headers of a queued message).
//   - Inject: write the scope's correlation ID, span context and forced
//     token into a message's or an outgoing request's headers, for the
//     next service.
//   - CorrelationID, DecisionOf, Keep: read the scope in a context, or keep
//     its records as an error would.
//   - Logger, WithLogger: the logger bound to the scope.
//   - NewCorrelationID: a new random ID, as the middleware and Start make.
//   - Handler (NewHandler, HandlerOptions, Stats): the slog.Handler that
//     adds correlation_id, trace_id and span_id to every record logged
//     with a scoped context.
//
// The sampling and aggregation handlers read the same scope from the
// context and are told when it is kept and when it ends. Where Handler
// sits in the stack, and why, is stated once in docs/architecture.md.
package scope
