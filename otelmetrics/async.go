package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/async"
	"go.opentelemetry.io/otel/attribute"
)

// asyncPoint is a point reading a field of Stats.Async.
func asyncPoint(set attribute.Set, field func(*async.Stats) int64) point {
	return layerPoint(func(s *slogstack.Stats) *async.Stats { return s.Async }, set, field)
}

// asyncCounter is a point reading a counter of Stats.Async.
func asyncCounter(set attribute.Set, field func(*async.Stats) uint64) point {
	return asyncPoint(set, func(a *async.Stats) int64 { return u(field(a)) })
}

// asyncInstruments are the instruments of Stats.Async, the queue between
// callers and the sink.
func asyncInstruments() []instrument {
	none := attribute.NewSet()
	return []instrument{
		{name: "slogstack.async.accepted_records", unit: "{record}", kind: counter,
			description: "Records taken into the queue.",
			points:      []point{asyncCounter(none, func(a *async.Stats) uint64 { return a.Accepted })}},
		{name: "slogstack.async.records", unit: "{record}", kind: counter,
			description: "Queued records by outcome: written (the sink took them), failed (the sink did not), skipped (the sink's level refused them), dropped (to make room), lost (still queued when Shutdown gave up).",
			points: []point{
				asyncCounter(attrs("outcome", "written"), func(a *async.Stats) uint64 { return a.Written }),
				asyncCounter(attrs("outcome", "failed"), func(a *async.Stats) uint64 { return a.Failed }),
				asyncCounter(attrs("outcome", "skipped"), func(a *async.Stats) uint64 { return a.Skipped }),
				asyncCounter(attrs("outcome", "dropped"), func(a *async.Stats) uint64 { return a.Dropped }),
				asyncCounter(attrs("outcome", "lost"), func(a *async.Stats) uint64 { return a.Lost }),
			}},
		{name: "slogstack.async.dropped_records", unit: "{record}", kind: counter,
			description: "Dropped records by level band (debug, info, warn, error, unknown).",
			points: []point{
				asyncCounter(attrs("level", "debug"), func(a *async.Stats) uint64 { return a.DroppedByLevel.Debug }),
				asyncCounter(attrs("level", "info"), func(a *async.Stats) uint64 { return a.DroppedByLevel.Info }),
				asyncCounter(attrs("level", "warn"), func(a *async.Stats) uint64 { return a.DroppedByLevel.Warn }),
				asyncCounter(attrs("level", "error"), func(a *async.Stats) uint64 { return a.DroppedByLevel.Error }),
				asyncCounter(attrs("level", "unknown"), func(a *async.Stats) uint64 { return a.DroppedByLevel.Unknown }),
			}},
		{name: "slogstack.async.reported_drops", unit: "{record}", kind: counter,
			description: "Dropped records that in-band drop reports have announced.",
			points:      []point{asyncCounter(none, func(a *async.Stats) uint64 { return a.Reported })}},
		{name: "slogstack.async.drop_reports", unit: "{report}", kind: counter,
			description: "In-band drop reports written.",
			points:      []point{asyncCounter(none, func(a *async.Stats) uint64 { return a.Reports })}},
		{name: "slogstack.async.after_close_records", unit: "{record}", kind: counter,
			description: "Records logged after Shutdown: handed to the sink on the caller's goroutine (outcome=synchronous) or dropped (outcome=dropped).",
			points: []point{
				asyncCounter(attrs("outcome", "synchronous"), func(a *async.Stats) uint64 { return a.Synchronous }),
				asyncCounter(attrs("outcome", "dropped"), func(a *async.Stats) uint64 { return a.DroppedAfterClose }),
			}},
		{name: "slogstack.async.sink_failures", unit: "{failure}", kind: counter,
			description: "Sink calls that returned an error (kind=error) or panicked (kind=panic).",
			points: []point{
				asyncCounter(attrs("kind", "error"), func(a *async.Stats) uint64 { return a.WriteErrors }),
				asyncCounter(attrs("kind", "panic"), func(a *async.Stats) uint64 { return a.SinkPanics }),
			}},
		{name: "slogstack.async.batches", unit: "{batch}", kind: counter,
			description: "Batches the drain goroutine took from the queue.",
			points:      []point{asyncCounter(none, func(a *async.Stats) uint64 { return a.Batches })}},
		{name: "slogstack.async.queue.depth", unit: "{record}", kind: upDownCounter,
			description: "Records queued now.",
			points:      []point{asyncPoint(none, func(a *async.Stats) int64 { return int64(a.QueueDepth) })}},
		{name: "slogstack.async.queue.high_water", unit: "{record}", kind: gauge,
			description: "The most records queued at once so far.",
			points:      []point{asyncPoint(none, func(a *async.Stats) int64 { return int64(a.HighWater) })}},
		{name: "slogstack.async.in_flight", unit: "{record}", kind: upDownCounter,
			description: "Records taken from the queue and not yet settled by the sink.",
			points:      []point{asyncPoint(none, func(a *async.Stats) int64 { return int64(a.InFlight) })}},
		{name: "slogstack.async.data.size", unit: "By", kind: counter,
			description: "Bytes of a writer sink's records by stage: accepted into the queue, written, dropped (zero for a handler sink).",
			points: []point{
				asyncCounter(attrs("stage", "accepted"), func(a *async.Stats) uint64 { return a.AcceptedBytes }),
				asyncCounter(attrs("stage", "written"), func(a *async.Stats) uint64 { return a.WrittenBytes }),
				asyncCounter(attrs("stage", "dropped"), func(a *async.Stats) uint64 { return a.DroppedBytes }),
			}},
		{name: "slogstack.async.queue.size", unit: "By", kind: upDownCounter,
			description: "Bytes of a writer sink's records queued now (zero for a handler sink).",
			points:      []point{asyncPoint(none, func(a *async.Stats) int64 { return int64(a.QueueBytes) })}},
	}
}
