package sampling

import (
	"strings"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// Decision is the sampling decision of one request or job: whether its
// records are written, the rate in force, and the rule that decided.
type Decision = reqscope.Decision

// Reasons written as _sample_reason.
const (
	ReasonExcluded = reqscope.ReasonExcluded
	ReasonPath     = reqscope.ReasonPath
	ReasonTrace    = reqscope.ReasonTrace
	ReasonRate     = reqscope.ReasonRate
	ReasonError    = reqscope.ReasonError
)

// DefaultRate is the rate a zero Policy samples at.
const DefaultRate = 0.1

// DefaultExcludedPaths are the paths a Policy with nil ExcludedPaths excludes.
var DefaultExcludedPaths = []string{"/health", "/healthz", "/livez", "/readyz"}

// Policy holds the rules that decide, once per request, whether its records
// are sampled. The zero value excludes DefaultExcludedPaths, samples no path
// always, ignores trace flags and samples at DefaultRate.
type Policy struct {
	// Rate is the fraction of requests sampled by the last rule, in [0, 1].
	// Zero means DefaultRate; a negative value samples none.
	Rate float64
	// AlwaysSamplePaths are path prefixes whose requests are always sampled
	// (reason "path"), for example "/api/v1/payments".
	AlwaysSamplePaths []string
	// ExcludedPaths are paths whose requests are not sampled (reason
	// "excluded"); their records are written only if an error keeps them.
	// A path matches an entry equal to it, or an entry ending in "/" that is
	// a prefix of it. Nil means DefaultExcludedPaths; use an empty, non-nil
	// slice to exclude nothing.
	ExcludedPaths []string
	// FollowTrace makes a valid span context's sampled flag decide (reason
	// "trace") before the rate does.
	FollowTrace bool
}

// EffectiveRate returns the rate the policy samples at: DefaultRate for
// zero, 0 for a negative rate, 1 for a rate above 1.
func (p Policy) EffectiveRate() float64 {
	switch {
	case p.Rate == 0:
		return DefaultRate
	case !(p.Rate > 0):
		return 0
	case p.Rate > 1:
		return 1
	}
	return p.Rate
}

// Decide applies the rules in order, first match wins: excluded paths, then
// always-sampled prefixes, then (with FollowTrace) the sampled flag of a valid
// span context, then Decide(correlationID, rate).
func (p Policy) Decide(path, correlationID string, sc trace.SpanContext) Decision {
	rate := p.EffectiveRate()
	excluded := p.ExcludedPaths
	if excluded == nil {
		excluded = DefaultExcludedPaths
	}
	for _, e := range excluded {
		if path == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(path, e)) {
			return Decision{Sampled: false, Rate: rate, Reason: ReasonExcluded}
		}
	}
	for _, prefix := range p.AlwaysSamplePaths {
		if prefix != "" && strings.HasPrefix(path, prefix) {
			return Decision{Sampled: true, Rate: 1, Reason: ReasonPath}
		}
	}
	if p.FollowTrace && sc.IsValid() {
		return Decision{Sampled: sc.IsSampled(), Rate: rate, Reason: ReasonTrace}
	}
	return Decision{Sampled: Decide(correlationID, rate), Rate: rate, Reason: ReasonRate}
}
