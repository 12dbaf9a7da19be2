package scope

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/forcetoken"
	"github.com/slogstack/slogstack/internal/reqscope"
	"github.com/slogstack/slogstack/internal/scopectx"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/trace"
)

// Options configures Start. The zero value opens a scope with a new
// correlation ID (or the trace ID of a span in the context), decided by the
// zero sampling.Policy, which samples nothing (an error at the end, or
// Keep, still writes the scope's records), logging through slog.Default(),
// with no completion record.
// Start from the stack's options (slogstack's Stack.ScopeOptions) or set
// Policy: sampling.DefaultPolicy().
type Options struct {
	// Name identifies the kind of work for the policy's path rules, for
	// example "job/nightly-report" or "queue/orders": it is matched as the
	// path against Policy.ExcludedPaths and Policy.AlwaysSamplePaths.
	Name string
	// CorrelationID is the ID of the unit of work, for example the one a
	// queued message carries. It is used as is when it has 1 to 128
	// characters, each an ASCII letter, digit, '.', '_', ':' or '-';
	// otherwise (or when empty) the trace ID of a valid span context
	// (SpanContext, or the one in the context) is used, else a new ID.
	CorrelationID string
	// SpanContext is the OpenTelemetry span context of the work, for
	// example extracted from a message's headers. When it is not valid, the
	// span context in the context passed to Start (if any) is used.
	SpanContext trace.SpanContext
	// Policy makes the sampling decision, once, when the scope opens: a
	// sampling.Policy, or a *sampling.PolicyVar whose rules change while
	// the program runs. Nil decides as the zero Policy, which samples
	// nothing.
	Policy sampling.Decider
	// Logger is the logger that Logger(ctx) binds to the scope. Nil means
	// the logger set on the parent context with WithLogger, else
	// slog.Default().
	Logger *slog.Logger
	// CompletionLog makes the end function of Start log one completion
	// record, the job's counterpart of an HTTP access record: see Start.
	// Stack.ScopeOptions (package slogstack) sets true.
	CompletionLog bool
	// CompletionMessage is the message of the completion record, as given
	// (an empty one is logged empty). Stack.ScopeOptions sets
	// "scope completed".
	CompletionMessage string
	// Carrier holds the headers of the message the work comes from, as
	// Inject wrote them: a propagation.TextMapCarrier of OpenTelemetry
	// (propagation.MapCarrier, propagation.HeaderCarrier, or a carrier of
	// the message system), read with the exact keys Inject writes. Start
	// takes from it the correlation ID (X-Correlation-ID) when
	// CorrelationID is empty, the span context (traceparent and
	// tracestate) when neither SpanContext nor the context passed to Start
	// has a valid one, and a forced-sampling token (X-Log-Force), verified
	// with ForceKey. A value that is not valid is ignored, as the HTTP
	// middleware ignores a bad header: the next source is used. Nil reads
	// nothing. It is written as the method set of TextMapCarrier so that
	// this package does not depend on net/http.
	Carrier interface {
		Get(key string) string
		Set(key, value string)
		Keys() []string
	}
	// ForceKey is the key forced-sampling tokens are verified with, as
	// httpctx.Options.ForceKey (Stack.ScopeOptions sets the stack's): a
	// token in Carrier's X-Log-Force, made with sampling.ForceToken and
	// this key for the scope's correlation ID and not expired, makes the
	// scope sampled with reason "forced", before every rule of Policy, and
	// Inject passes it on. Nil or empty ignores the token. A key of 1 to
	// 15 bytes is too weak: Start panics.
	ForceKey []byte
}

// Decision is the sampling decision of a scope, as it stands.
type Decision struct {
	// Sampled reports whether the scope's records are written.
	Sampled bool
	// Rate is the sampling rate in force when the scope opened, in [0, 1].
	Rate float64
	// Reason says which rule decided, as written in _sample_reason:
	// "forced" (a valid forced-sampling token, before every other rule;
	// Rate is 1 then), "excluded" (the name or path is excluded), "path"
	// (it is always sampled), "trace" (the span context's sampled flag),
	// "rate" (the correlation ID's hash against the rate), or "error" (the
	// scope was not sampled and an error, a panic, a 5xx or Keep kept it
	// since).
	// A record logged without a scope is written with reason "record";
	// that is never a scope's decision.
	Reason string
}

// Start opens a scope for work that is not an HTTP request (a job, a queue
// consumer, a scheduled task) and returns a context that carries it, and
// the function that ends it. A nil ctx means context.Background().
//
// The scope is the same kind the HTTP middleware of httpctx opens: records
// logged with the returned context (or through Logger(ctx)) carry its
// correlation ID and follow its one sampling decision, made here by
// opts.Policy from opts.Name, the correlation ID and the span context
// (or forced by a valid token in opts.Carrier: see Options.ForceKey).
// Call end exactly when the work is done: a non-nil error keeps the scope
// (its buffered records are written, as for an HTTP 5xx) before it ends.
// end may be called more than once; only the first call counts. Records
// logged after end follow the final decision.
//
// With opts.CompletionLog, the first end call logs one completion record
// between keeping and ending the scope, with the scope's context, so it
// follows the scope's decision exactly like an access record (written
// when the scope was sampled or kept, dropped with the scope's records
// otherwise): the message opts.CompletionMessage, the attributes name
// (opts.Name), duration (from Start to end, a slog duration) and outcome
// ("ok" or "error"), and, when err is not nil, error (err, as slog logs
// an error) at ERROR; at INFO otherwise. The logger is the scope's
// (opts.Logger, else the one set with WithLogger on ctx, else
// slog.Default() at the end). A panicking Error method is the handler's
// to render (slog's handlers write "!PANIC: ..."); a handler that panics
// panics out of end after the scope has ended, as it would on any other
// record logged through that logger (the stack's layers recover and count
// such panics before they get here).
func Start(ctx context.Context, opts Options) (context.Context, func(err error)) {
	if ctx == nil {
		ctx = context.Background()
	}
	forceKey := forcetoken.CheckKey("scope: Options.ForceKey", opts.ForceKey)
	ctxSpan := trace.SpanContextFromContext(ctx)
	sc := opts.SpanContext
	if !sc.IsValid() {
		sc = ctxSpan
	}
	if !sc.IsValid() && opts.Carrier != nil {
		sc = carriedSpan(opts.Carrier)
	}
	id := opts.CorrelationID
	if id == "" && opts.Carrier != nil {
		id = opts.Carrier.Get(carrierCorrelationID)
	}
	if !reqscope.ValidID(id) {
		if sc.IsValid() {
			id = sc.TraceID().String()
		} else {
			id = NewCorrelationID()
		}
	}
	token := carriedForceToken(opts.Carrier, forceKey, id)
	d := reqscope.Forced
	if token == "" {
		sampled, rate, reason := decide(opts.Policy, opts.Name, id, sc)
		d = reqscope.Decision{Sampled: sampled, Rate: rate, Reason: reason}
	}
	ctx, st := scopectx.Open(ctx, ctxSpan, id, sc, d, opts.Logger)
	s := st.Scope
	s.SetForceToken(token)
	if opts.CompletionLog {
		return ctx, endWithCompletion(ctx, st, opts.Name, opts.CompletionMessage)
	}
	return ctx, func(err error) {
		if err != nil {
			s.Keep()
		}
		s.End()
	}
}

// Keep keeps the records of the scope in ctx, as an error would: records
// held back because the scope was not sampled are written, and later ones
// pass. It reports whether this call kept the scope (false when there is no
// scope, it was sampled, or it was kept before).
func Keep(ctx context.Context) bool {
	if s := reqscope.FromContext(ctx); s != nil {
		return s.Keep()
	}
	return false
}

// DecisionOf returns the sampling decision in force for the scope in ctx:
// the one made when it opened, or, once a scope that was not sampled has
// been kept, Sampled with reason "error". It reports false when ctx carries
// no scope (or is nil); records logged with such a context are not sampled
// by scope.
func DecisionOf(ctx context.Context) (Decision, bool) {
	s := reqscope.FromContext(ctx)
	if s == nil {
		return Decision{}, false
	}
	d := s.Decision()
	return Decision{Sampled: d.Sampled, Rate: d.Rate, Reason: d.Reason}, true
}

// decide asks p for the decision, deciding as the zero sampling.Policy when
// p is nil. A nil *sampling.PolicyVar panics with a message saying so.
func decide(p sampling.Decider, name, id string, sc trace.SpanContext) (bool, float64, string) {
	switch v := p.(type) {
	case nil:
		return sampling.Policy{}.Decide(name, id, sc)
	case *sampling.PolicyVar:
		if v == nil {
			panic("scope: Options.Policy is a nil *sampling.PolicyVar")
		}
	}
	return p.Decide(name, id, sc)
}
