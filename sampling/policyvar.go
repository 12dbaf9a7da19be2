package sampling

import (
	"slices"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

// A Decider makes the sampling decision of a request or job when its scope
// opens (httpctx.Options.Policy, scope.Options.Policy). Policy is a Decider
// whose rules are fixed; *PolicyVar is one whose rules can change while the
// program runs, as slog.Level and *slog.LevelVar are for slog.Leveler.
type Decider interface {
	// Decide returns whether the work at path with the given correlation
	// ID and span context is sampled, the rate in force and the reason,
	// as Policy.Decide does.
	Decide(path, correlationID string, sc trace.SpanContext) (sampled bool, rate float64, reason string)
}

// PolicyVar is a Policy that can be changed while the program runs, read
// without a lock: each decision loads the policy in force with one atomic
// load. A scope keeps the decision made when it opened, so a change applies
// to requests and jobs that start after it. Its zero value holds the zero
// Policy (which samples nothing). Its methods are safe for concurrent use.
type PolicyVar struct {
	p atomic.Pointer[Policy]
}

// Load returns the policy in force, with path lists of its own: changing
// them does not change v.
func (v *PolicyVar) Load() Policy {
	p := v.load()
	p.AlwaysSamplePaths = slices.Clone(p.AlwaysSamplePaths)
	p.ExcludedPaths = slices.Clone(p.ExcludedPaths)
	return p
}

// Store makes p the policy in force for every decision made after it
// returns. v keeps its own copy of p's path lists.
func (v *PolicyVar) Store(p Policy) {
	p.AlwaysSamplePaths = slices.Clone(p.AlwaysSamplePaths)
	p.ExcludedPaths = slices.Clone(p.ExcludedPaths)
	v.p.Store(&p)
}

// Decide decides by the policy in force, as Policy.Decide does.
func (v *PolicyVar) Decide(path, correlationID string, sc trace.SpanContext) (sampled bool, rate float64, reason string) {
	return v.load().Decide(path, correlationID, sc)
}

// load returns the policy in force without copying its path lists.
func (v *PolicyVar) load() Policy {
	if p := v.p.Load(); p != nil {
		return *p
	}
	return Policy{}
}
