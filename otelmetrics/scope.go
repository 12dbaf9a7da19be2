package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/scope"
	"go.opentelemetry.io/otel/attribute"
)

// scopePoint is a point reading a counter of Stats.Scope.
func scopePoint(set attribute.Set, field func(*scope.Stats) uint64) point {
	return layerPoint(func(s *slogstack.Stats) *scope.Stats { return s.Scope }, set,
		func(c *scope.Stats) int64 { return u(field(c)) })
}

// scopeInstruments are the instruments of Stats.Scope, the handler that
// adds correlation attributes.
func scopeInstruments() []instrument {
	none := attribute.NewSet()
	return []instrument{
		{name: "slogstack.scope.records", unit: "{record}", kind: counter,
			description: "Records the correlation handler handled.",
			points:      []point{scopePoint(none, func(c *scope.Stats) uint64 { return c.Records })}},
		{name: "slogstack.scope.annotated_records", unit: "{record}", kind: counter,
			description: "Records given correlation_id (attributes=correlation_id) and trace_id and span_id (attributes=trace).",
			points: []point{
				scopePoint(attrs("attributes", "correlation_id"), func(c *scope.Stats) uint64 { return c.WithCorrelationID }),
				scopePoint(attrs("attributes", "trace"), func(c *scope.Stats) uint64 { return c.WithTrace }),
			}},
		{name: "slogstack.scope.regrouped_records", unit: "{record}", kind: counter,
			description: "Records given correlation attributes while a WithGroup group was open.",
			points:      []point{scopePoint(none, func(c *scope.Stats) uint64 { return c.Regrouped })}},
		{name: "slogstack.scope.chains_built", unit: "{chain}", kind: counter,
			description: "Handler chains built for a scope's regrouped records.",
			points:      []point{scopePoint(none, func(c *scope.Stats) uint64 { return c.ChainsBuilt })}},
	}
}
