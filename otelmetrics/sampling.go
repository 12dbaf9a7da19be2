package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/sampling"
	"go.opentelemetry.io/otel/attribute"
)

// samplingPoint is a point reading a field of Stats.Sampling.
func samplingPoint(set attribute.Set, field func(*sampling.Stats) int64) point {
	return layerPoint(func(s *slogstack.Stats) *sampling.Stats { return s.Sampling }, set, field)
}

// samplingCounter is a point reading a counter of Stats.Sampling.
func samplingCounter(set attribute.Set, field func(*sampling.Stats) uint64) point {
	return samplingPoint(set, func(s *sampling.Stats) int64 { return u(field(s)) })
}

// samplingInstruments are the instruments of Stats.Sampling.
func samplingInstruments() []instrument {
	none := attribute.NewSet()
	return []instrument{
		{name: "slogstack.sampling.requests", unit: "{request}", kind: counter,
			description: "Request scopes by their initial decision and the rule that made it, counted at their first record.",
			points: append(
				reasonPoints(func(s *slogstack.Stats) *reasonCounts {
					if s.Sampling == nil {
						return nil
					}
					return &s.Sampling.RequestsSampled
				}, []attribute.KeyValue{attribute.String("decision", "sampled")}),
				reasonPoints(func(s *slogstack.Stats) *reasonCounts {
					if s.Sampling == nil {
						return nil
					}
					return &s.Sampling.RequestsNotSampled
				}, []attribute.KeyValue{attribute.String("decision", "not_sampled")})...)},
		{name: "slogstack.sampling.ended_requests", unit: "{request}", kind: counter,
			description: "Requests not sampled that ended kept (an error, a panic, a 5xx) or dropped.",
			points: []point{
				samplingCounter(attrs("outcome", "kept"), func(s *sampling.Stats) uint64 { return s.RequestsKept }),
				samplingCounter(attrs("outcome", "dropped"), func(s *sampling.Stats) uint64 { return s.RequestsDropped }),
			}},
		{name: "slogstack.sampling.records", unit: "{record}", kind: counter,
			description: "Records of request scopes by what the sampler did with them: passed on at once, buffered, or discarded unbuffered.",
			points: []point{
				samplingCounter(attrs("outcome", "passed"), func(s *sampling.Stats) uint64 { return s.RecordsPassed }),
				samplingCounter(attrs("outcome", "buffered"), func(s *sampling.Stats) uint64 { return s.RecordsBuffered }),
				samplingCounter(attrs("outcome", "discarded"), func(s *sampling.Stats) uint64 { return s.RecordsDiscarded }),
			}},
		{name: "slogstack.sampling.buffered_records", unit: "{record}", kind: counter,
			description: "Buffered records by how they left the buffer: rescued (written when their request was kept), filtered (refused by the next handler's level on replay), dropped (their request ended not kept).",
			points: []point{
				samplingCounter(attrs("outcome", "rescued"), func(s *sampling.Stats) uint64 { return s.RecordsRescued }),
				samplingCounter(attrs("outcome", "filtered"), func(s *sampling.Stats) uint64 { return s.RecordsFiltered }),
				samplingCounter(attrs("outcome", "dropped"), func(s *sampling.Stats) uint64 { return s.RecordsDropped }),
			}},
		{name: "slogstack.sampling.lost_records", unit: "{record}", kind: counter,
			description: "Buffered records lost, by cause: a request's bound, the global budget, a panic of the next handler.",
			points: []point{
				samplingCounter(attrs("cause", "request_bound"), func(s *sampling.Stats) uint64 { return s.RecordsLostRequestBound }),
				samplingCounter(attrs("cause", "global_budget"), func(s *sampling.Stats) uint64 { return s.RecordsLostGlobalBudget }),
				samplingCounter(attrs("cause", "panic"), func(s *sampling.Stats) uint64 { return s.RecordsLostPanic }),
			}},
		{name: "slogstack.sampling.unscoped_records", unit: "{record}", kind: counter,
			description: "Records logged without a request scope, passed or dropped.",
			points: []point{
				samplingCounter(attrs("outcome", "passed"), func(s *sampling.Stats) uint64 { return s.UnscopedPassed }),
				samplingCounter(attrs("outcome", "dropped"), func(s *sampling.Stats) uint64 { return s.UnscopedDropped }),
			}},
		{name: "slogstack.sampling.handler_failures", unit: "{failure}", kind: counter,
			description: "Errors returned while writing buffered records (kind=error) and recovered panics (kind=panic) of the next handler.",
			points: []point{
				samplingCounter(attrs("kind", "error"), func(s *sampling.Stats) uint64 { return s.HandleErrors }),
				samplingCounter(attrs("kind", "panic"), func(s *sampling.Stats) uint64 { return s.HandlePanics }),
			}},
		{name: "slogstack.sampling.buffer.records", unit: "{record}", kind: upDownCounter,
			description: "Records in the per-request buffers now.",
			points:      []point{samplingPoint(none, func(s *sampling.Stats) int64 { return s.BufferedRecords })}},
		{name: "slogstack.sampling.buffer.size", unit: "By", kind: upDownCounter,
			description: "Size of the per-request buffers now, as counted against the global budget.",
			points:      []point{samplingPoint(none, func(s *sampling.Stats) int64 { return s.BufferedBytes })}},
	}
}
