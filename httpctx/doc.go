// Package httpctx is the net/http side of the library: Middleware opens a
// request scope (package scope) for every HTTP request and writes one
// access record per request.
//
// For each request the middleware picks the correlation ID
// (X-Correlation-ID, X-Request-ID, the span context, traceparent, or a new
// ID), makes the sampling decision once with a sampling.Policy, puts the
// scope in the request's context, sets the X-Correlation-ID and
// X-Log-Sampled response headers, keeps the request's records on a 5xx or
// a panic, and logs the access record, with optional, bounded capture of
// request and response bodies (BodyOptions). The wrapped ResponseWriter
// keeps http.Flusher, http.Hijacker, io.ReaderFrom and
// http.ResponseController working.
//
// Transport is the client side: an http.RoundTripper that passes the
// scope of a request's context on to the service it calls
// (X-Correlation-ID, W3C traceparent, and the token of a forced request),
// so that every service a request passes through logs it with one
// correlation ID and makes the same sampling decision. With
// Options.ForceKey set, an operator can have one request logged whole with
// an X-Log-Force token (sampling.ForceToken); a token that is not valid is
// ignored and counted, never trusted.
//
// Everything about the scope itself (the request-bound logger, the
// correlation ID, the decision, keeping a request's records, the slog
// handler that adds correlation_id, trace_id and span_id) is in package
// scope, which also serves work that is not HTTP.
//
// # Use
//
// The stack builder (slogstack's Stack.Middleware) wires the middleware
// to the stack's logger, policy and redaction. By hand:
//
//	logger := slog.New(sampling.NewHandler(scope.NewHandler(sink, scope.HandlerOptions{}), sampling.DefaultOptions()))
//	opts := httpctx.DefaultOptions()
//	opts.Logger = logger
//	srv := &http.Server{Handler: httpctx.Middleware(opts)(mux)}
//
// and in a handler:
//
//	log := scope.Logger(r.Context()) // bound to this request
//	log.Info("loading order", "id", r.PathValue("id"))
//
// The zero Options log no access record and sample no request: start from
// DefaultOptions. The order of the handlers in the stack is stated once in
// docs/architecture.md.
package httpctx
