package httpctx

import (
	"sync/atomic"

	"github.com/slogstack/slogstack/sampling"
)

// Stats are the counters of one Middleware call, read with StatsOf (and
// reported by slogstack's Stack.Stats). Every field counts since the middleware was made. The counters
// are read one at a time, so a snapshot taken while requests run may catch
// a request between two of them; Sampled+NotSampled never exceeds
// Requests.
type Stats struct {
	// Requests is the number of requests that entered the middleware.
	Requests uint64
	// Nested is the number of requests passed through unchanged because
	// they already carried a scope (an outer middleware opened it); they
	// are not in Requests.
	Nested uint64
	// Sampled and NotSampled split Requests by the decision made when the
	// request started.
	Sampled, NotSampled uint64
	// Reasons splits Requests by the rule that decided.
	Reasons sampling.ReasonCounts
	// Kept is the number of requests not sampled at the start whose records
	// were kept by the end (an ERROR record, a 5xx, a panic, or Keep).
	Kept uint64
	// ServerErrorKeeps is the number of requests not sampled at the start
	// that a 5xx status kept.
	ServerErrorKeeps uint64
	// Panics is the number of handler panics (http.ErrAbortHandler aside).
	Panics uint64
	// Aborted is the number of requests aborted with http.ErrAbortHandler.
	Aborted uint64
	// LogPanics is the number of the middleware's own records (access,
	// panic) whose logging panicked; the panic was recovered.
	LogPanics uint64
	// IDs says where correlation IDs came from.
	IDs IDCounts
	// Force counts the X-Log-Force tokens of requests, by outcome.
	Force ForceCounts
	// RequestBodyBytes and ResponseBodyBytes are the body bytes captured
	// for access records.
	RequestBodyBytes, ResponseBodyBytes uint64
	// BodiesTruncated is the number of captured bodies logged cut short.
	BodiesTruncated uint64
	// BodiesSkipped is the number of bodies not captured because their
	// content type is not text.
	BodiesSkipped uint64
}

// IDCounts counts correlation IDs by source. An incoming ID that is not
// accepted (see Middleware), or a traceparent that is not a valid W3C
// traceparent, is counted as rejected and the next source is tried.
type IDCounts struct {
	// Accepted from X-Correlation-ID, X-Request-ID, a span context in the
	// request's context, and a traceparent header.
	FromCorrelationHeader, FromRequestIDHeader, FromSpanContext, FromTraceparent uint64
	// Generated is the number of new IDs made.
	Generated uint64
	// Rejected X-Correlation-ID, X-Request-ID and traceparent values.
	RejectedCorrelationHeader, RejectedRequestIDHeader, RejectedTraceparent uint64
}

// ForceCounts counts the forced-sampling tokens (X-Log-Force headers) of
// requests by outcome; a request without the header is not counted. Only
// Accepted requests are forced; the others are decided by the policy.
type ForceCounts struct {
	// Accepted tokens: made with Options.ForceKey for the request's
	// correlation ID, not expired.
	Accepted uint64
	// Invalid tokens: over 128 bytes, not of a token's form, or living
	// more than 24 hours from now.
	Invalid uint64
	// Forged tokens: of a token's form, but made with another key or for
	// another correlation ID (or altered).
	Forged uint64
	// Expired tokens: genuine, but past their expiry.
	Expired uint64
	// NoKey counts headers ignored because Options.ForceKey is not set.
	NoKey uint64
}

type counters struct {
	requests, nested, sampled, notSampled                     atomic.Uint64
	excluded, path, trace, rate, forced, otherReason          atomic.Uint64
	kept, serverErrorKeeps, panics, aborted, logPanics        atomic.Uint64
	fromCorr, fromReqID, fromSpan, fromTraceparent, generated atomic.Uint64
	rejCorr, rejReqID, rejTraceparent                         atomic.Uint64
	reqBody, respBody, truncated, skipped                     atomic.Uint64
	force                                                     forceCounters
}

// snapshot reads the counters one by one. A request is counted in
// requests before its decision, so the decision counters are read first:
// in a snapshot, Sampled+NotSampled never exceeds Requests.
func (c *counters) snapshot() Stats {
	s := Stats{
		Sampled:    c.sampled.Load(),
		NotSampled: c.notSampled.Load(),
		Reasons: sampling.ReasonCounts{
			Excluded: c.excluded.Load(),
			Path:     c.path.Load(),
			Trace:    c.trace.Load(),
			Rate:     c.rate.Load(),
			Forced:   c.forced.Load(),
			Other:    c.otherReason.Load(),
		},
		Kept:             c.kept.Load(),
		ServerErrorKeeps: c.serverErrorKeeps.Load(),
		Panics:           c.panics.Load(),
		Aborted:          c.aborted.Load(),
		LogPanics:        c.logPanics.Load(),
		IDs: IDCounts{
			FromCorrelationHeader:     c.fromCorr.Load(),
			FromRequestIDHeader:       c.fromReqID.Load(),
			FromSpanContext:           c.fromSpan.Load(),
			FromTraceparent:           c.fromTraceparent.Load(),
			Generated:                 c.generated.Load(),
			RejectedCorrelationHeader: c.rejCorr.Load(),
			RejectedRequestIDHeader:   c.rejReqID.Load(),
			RejectedTraceparent:       c.rejTraceparent.Load(),
		},
		Force:             c.force.load(),
		RequestBodyBytes:  c.reqBody.Load(),
		ResponseBodyBytes: c.respBody.Load(),
		BodiesTruncated:   c.truncated.Load(),
		BodiesSkipped:     c.skipped.Load(),
	}
	s.Requests = c.requests.Load()
	s.Nested = c.nested.Load()
	return s
}
