// Package reqscope holds the scope of one unit of work (an HTTP request, a
// job, a queued message): its correlation ID, its OpenTelemetry span
// context and the sampling decision made once when the scope opened, and
// the rule an incoming correlation ID must pass (ValidID).
//
// The scope package (Start) and the HTTP middleware (httpctx) open a scope
// and put it in the context; the sampling and aggregation handlers read it
// back with FromContext. Handlers that keep per-scope state (the sampling
// handler's per-request buffer) attach it to the scope with Attach, and are
// told through the Listener interface when the scope is kept (an error, a
// panic, a 5xx) and when it ends, so that no per-request state outlives its
// request.
//
// The reasons a scope's records are kept or dropped, written as
// _sample_reason, are the Reason constants here; scope.Decision documents
// them for users.
//
// The package sits below every other package of the module and imports
// none of them, so there are no import cycles: httpctx -> scope ->
// sampling -> reqscope, aggregation -> reqscope.
package reqscope
