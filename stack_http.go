package slogstack

import (
	"net/http"
	"slices"

	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/scope"
)

// Middleware returns next wrapped in the stack's HTTP middleware
// (httpctx.Middleware): each request gets a scope (correlation ID, span,
// sampling decision) bound to the stack's logger and decided by the
// stack's sampling policy (every request is sampled when Sampling is off),
// and Config.HTTP sets the access record, body capture and panic recovery.
// When the stack redacts and Config.HTTP.Body.Redact is nil, captured
// bodies are masked by the stack's redaction rules before they are logged;
// a hook of the caller's own replaces that one, and the access record,
// body included, still passes the stack's redaction layer on its way out.
//
//	srv := &http.Server{Handler: stack.Middleware(mux)}
//
// Every call wraps next in the same middleware, whose counters are
// Stats().HTTP.
func (s *Stack) Middleware(next http.Handler) http.Handler {
	s.httpUsed.Store(true)
	return s.httpMiddleware(next)
}

// ScopeOptions returns the scope.Options that open a scope for work that
// is not an HTTP request (a job, a queue consumer) with the stack's logger
// and sampling policy, and its forced-sampling key (Config.HTTP.ForceKey);
// name is matched against the policy's paths. The caller may set
// CorrelationID, SpanContext or Carrier (a queued message's headers, as
// scope.Inject wrote them) before scope.Start:
//
//	opts := stack.ScopeOptions("job/nightly-report")
//	opts.CorrelationID = msg.ID
//	ctx, end := scope.Start(ctx, opts)
//	defer func() { end(err) }()
//
// The options turn the completion record on (CompletionLog true,
// CompletionMessage "scope completed"): ending the scope logs one record
// with the name, the duration and the outcome, and the error at ERROR
// when the work failed, following the scope's sampling decision like an
// HTTP access record. Set opts.CompletionLog = false before scope.Start
// to leave it out for that scope.
func (s *Stack) ScopeOptions(name string) scope.Options {
	return scope.Options{
		Name:              name,
		Logger:            s.logger,
		Policy:            s.decider,
		ForceKey:          slices.Clone(s.cfg.HTTP.ForceKey), // the caller's to change
		CompletionLog:     true,
		CompletionMessage: defaultCompletionMessage,
	}
}

// defaultCompletionMessage is the message of the completion record of the
// scopes opened with ScopeOptions.
const defaultCompletionMessage = "scope completed"

// httpOptions returns the options of the stack's HTTP middleware:
// Config.HTTP with the stack's logger and policy, and the stack's
// redaction as the body hook unless the caller set one.
func (s *Stack) httpOptions() httpctx.Options {
	opts := s.cfg.HTTP
	opts.Logger, opts.Policy = s.logger, s.decider
	if opts.Body.Redact == nil && s.redact != nil {
		opts.Body.Redact = s.redact.Redactor().RedactBody
	}
	return opts
}

// buildMiddleware makes the HTTP middleware of opts with the function
// that reads its counters: StatsOf on a handler it wrapped, since every
// handler one Middleware call wraps shares its counters.
func buildMiddleware(opts httpctx.Options) (func(http.Handler) http.Handler, func() httpctx.Stats) {
	mw := httpctx.Middleware(opts)
	probe := mw(http.NotFoundHandler())
	return mw, func() httpctx.Stats {
		st, _ := httpctx.StatsOf(probe)
		return st
	}
}
