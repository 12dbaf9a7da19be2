package sampling

import (
	"strings"

	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// Policy holds the rules that decide, once per request or job, whether its
// records are sampled. The zero value is a real policy: it excludes no
// path, samples no path always, ignores trace flags and samples at rate 0,
// that is, no request (an error still keeps a request's records). Start
// from DefaultPolicy for the usual settings.
type Policy struct {
	// Rate is the fraction of requests sampled by the last rule: 0 (and a
	// negative value or NaN) samples none, 1 or more samples all.
	Rate float64
	// AlwaysSamplePaths are path prefixes whose requests are always sampled
	// (reason "path", rate 1), for example "/api/v1/payments". An empty
	// prefix matches nothing.
	AlwaysSamplePaths []string
	// ExcludedPaths are paths whose requests are not sampled (reason
	// "excluded"); their records are written only if an error keeps them.
	// A path matches an entry equal to it, or an entry ending in "/" that is
	// a prefix of it. Nil and empty exclude nothing.
	ExcludedPaths []string
	// FollowTrace makes a valid span context's sampled flag decide (reason
	// "trace") before the rate does.
	FollowTrace bool
}

// DefaultPolicy returns the policy a service usually wants: Rate 0.1 and
// ExcludedPaths /health, /healthz, /livez and /readyz (health probes are
// not logged unless they fail). Each call returns new slices.
func DefaultPolicy() Policy {
	return Policy{
		Rate:          0.1,
		ExcludedPaths: []string{"/health", "/healthz", "/livez", "/readyz"},
	}
}

// Decide applies the rules in order, first match wins, and returns whether
// the work is sampled, the rate in force and the rule that decided:
//
//   - path is in ExcludedPaths: false, rate, "excluded";
//   - path starts with one of AlwaysSamplePaths: true, 1, "path";
//   - FollowTrace is set and sc is valid: sc.IsSampled(), rate, "trace";
//   - otherwise: Decide(correlationID, rate), rate, "rate".
//
// The rate returned is Rate clamped to [0, 1] (0 for NaN).
func (p Policy) Decide(path, correlationID string, sc trace.SpanContext) (sampled bool, rate float64, reason string) {
	rate = clampRate(p.Rate)
	for _, e := range p.ExcludedPaths {
		if path == e || (strings.HasSuffix(e, "/") && strings.HasPrefix(path, e)) {
			return false, rate, reqscope.ReasonExcluded
		}
	}
	for _, prefix := range p.AlwaysSamplePaths {
		if prefix != "" && strings.HasPrefix(path, prefix) {
			return true, 1, reqscope.ReasonPath
		}
	}
	if p.FollowTrace && sc.IsValid() {
		return sc.IsSampled(), rate, reqscope.ReasonTrace
	}
	return Decide(correlationID, rate), rate, reqscope.ReasonRate
}

// clampRate returns r within [0, 1]: 0 for a negative r or NaN, 1 above 1.
func clampRate(r float64) float64 {
	switch {
	case !(r > 0): // also NaN
		return 0
	case r > 1:
		return 1
	}
	return r
}
