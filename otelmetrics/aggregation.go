package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/aggregation"
	"go.opentelemetry.io/otel/attribute"
)

// aggregationPoint is a point reading a field of Stats.Aggregation.
func aggregationPoint(set attribute.Set, field func(*aggregation.Stats) int64) point {
	return layerPoint(func(s *slogstack.Stats) *aggregation.Stats { return s.Aggregation }, set, field)
}

// aggregationCounter is a point reading a counter of Stats.Aggregation.
func aggregationCounter(set attribute.Set, field func(*aggregation.Stats) uint64) point {
	return aggregationPoint(set, func(a *aggregation.Stats) int64 { return u(field(a)) })
}

// aggregationInstruments are the instruments of Stats.Aggregation. Seen is
// the sum of slogstack.aggregation.records.
func aggregationInstruments() []instrument {
	none := attribute.NewSet()
	return []instrument{
		{name: "slogstack.aggregation.records", unit: "{record}", kind: counter,
			description: "Records by what aggregation did with them: passed unmatched (not system records, or errors), passed matched (system records within their burst), folded into summaries.",
			points: []point{
				aggregationCounter(attrs("outcome", "passed_unmatched"), func(a *aggregation.Stats) uint64 { return a.PassedUnmatched }),
				aggregationCounter(attrs("outcome", "passed_matched"), func(a *aggregation.Stats) uint64 { return a.PassedMatched }),
				aggregationCounter(attrs("outcome", "folded"), func(a *aggregation.Stats) uint64 { return a.Folded }),
			}},
		{name: "slogstack.aggregation.folded_records", unit: "{record}", kind: counter,
			description: "Folded records by the fate of their summary: written, failed, disabled (level refused), dropped (Close gave up).",
			points: []point{
				aggregationCounter(attrs("outcome", "written"), func(a *aggregation.Stats) uint64 { return a.FoldedWritten }),
				aggregationCounter(attrs("outcome", "failed"), func(a *aggregation.Stats) uint64 { return a.FoldedFailed }),
				aggregationCounter(attrs("outcome", "disabled"), func(a *aggregation.Stats) uint64 { return a.FoldedDisabled }),
				aggregationCounter(attrs("outcome", "dropped"), func(a *aggregation.Stats) uint64 { return a.FoldedDropped }),
			}},
		{name: "slogstack.aggregation.summaries", unit: "{summary}", kind: counter,
			description: "Summaries closed, by the cause that closed them.",
			points: []point{
				aggregationCounter(attrs("cause", "window"), func(a *aggregation.Stats) uint64 { return a.Summaries.Window }),
				aggregationCounter(attrs("cause", "max_count"), func(a *aggregation.Stats) uint64 { return a.Summaries.MaxCount }),
				aggregationCounter(attrs("cause", "request_end"), func(a *aggregation.Stats) uint64 { return a.Summaries.RequestEnd }),
				aggregationCounter(attrs("cause", "evicted"), func(a *aggregation.Stats) uint64 { return a.Summaries.Evicted }),
				aggregationCounter(attrs("cause", "flush"), func(a *aggregation.Stats) uint64 { return a.Summaries.Flush }),
			}},
		{name: "slogstack.aggregation.unwritten_summaries", unit: "{summary}", kind: counter,
			description: "Closed summaries not written: disabled (level refused), dropped (Close gave up), failed (the next handler failed).",
			points: []point{
				aggregationCounter(attrs("outcome", "disabled"), func(a *aggregation.Stats) uint64 { return a.SummariesDisabled }),
				aggregationCounter(attrs("outcome", "dropped"), func(a *aggregation.Stats) uint64 { return a.SummariesDropped }),
				aggregationCounter(attrs("outcome", "failed"), func(a *aggregation.Stats) uint64 { return a.SummaryErrors }),
			}},
		{name: "slogstack.aggregation.handler_panics", unit: "{panic}", kind: counter,
			description: "Recovered panics (and runtime.Goexit calls) of the code aggregation calls.",
			points:      []point{aggregationCounter(none, func(a *aggregation.Stats) uint64 { return a.HandlePanics })}},
		{name: "slogstack.aggregation.collisions", unit: "{record}", kind: counter,
			description: "Records passed individually because of a group key hash collision.",
			points:      []point{aggregationCounter(none, func(a *aggregation.Stats) uint64 { return a.Collisions })}},
		{name: "slogstack.aggregation.removed_groups", unit: "{group}", kind: counter,
			description: "Groups removed from the cache: evicted when it was full, expired after a window without a record.",
			points: []point{
				aggregationCounter(attrs("cause", "evicted"), func(a *aggregation.Stats) uint64 { return a.GroupsEvicted }),
				aggregationCounter(attrs("cause", "expired"), func(a *aggregation.Stats) uint64 { return a.GroupsExpired }),
			}},
		{name: "slogstack.aggregation.groups", unit: "{group}", kind: upDownCounter,
			description: "Groups in the cache now.",
			points:      []point{aggregationPoint(none, func(a *aggregation.Stats) int64 { return int64(a.Groups) })}},
		{name: "slogstack.aggregation.cache.size", unit: "By", kind: upDownCounter,
			description: "Approximate memory the group cache holds now.",
			points:      []point{aggregationPoint(none, func(a *aggregation.Stats) int64 { return a.Bytes })}},
	}
}
