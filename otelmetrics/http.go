package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/httpctx"
	"go.opentelemetry.io/otel/attribute"
)

// httpPoint is a point reading a counter of Stats.HTTP.
func httpPoint(set attribute.Set, field func(*httpctx.Stats) uint64) point {
	return layerPoint(func(s *slogstack.Stats) *httpctx.Stats { return s.HTTP }, set,
		func(h *httpctx.Stats) int64 { return u(field(h)) })
}

// httpInstruments are the instruments of Stats.HTTP, the counters of
// Stack.Middleware.
func httpInstruments() []instrument {
	none := attribute.NewSet()
	return []instrument{
		{name: "slogstack.http.requests", unit: "{request}", kind: counter,
			description: "Requests that entered the middleware (nested ones aside).",
			points:      []point{httpPoint(none, func(h *httpctx.Stats) uint64 { return h.Requests })}},
		{name: "slogstack.http.nested_requests", unit: "{request}", kind: counter,
			description: "Requests passed through unchanged because an outer middleware had opened their scope.",
			points:      []point{httpPoint(none, func(h *httpctx.Stats) uint64 { return h.Nested })}},
		{name: "slogstack.http.decisions", unit: "{request}", kind: counter,
			description: "Requests by the sampling decision made when they started.",
			points: []point{
				httpPoint(attrs("decision", "sampled"), func(h *httpctx.Stats) uint64 { return h.Sampled }),
				httpPoint(attrs("decision", "not_sampled"), func(h *httpctx.Stats) uint64 { return h.NotSampled }),
			}},
		{name: "slogstack.http.decision_reasons", unit: "{request}", kind: counter,
			description: "Requests by the sampling rule that decided them.",
			points:      reasonPoints(func(s *slogstack.Stats) *reasonCounts { return reasonsOf(s.HTTP) }, nil)},
		{name: "slogstack.http.force_tokens", unit: "{token}", kind: counter,
			description: "X-Log-Force tokens by outcome: accepted (the request was forced), invalid (oversized, malformed, or living too long), forged (another key or correlation ID), expired, no_key (forcing is off).",
			points: []point{
				httpPoint(attrs("outcome", "accepted"), func(h *httpctx.Stats) uint64 { return h.Force.Accepted }),
				httpPoint(attrs("outcome", "invalid"), func(h *httpctx.Stats) uint64 { return h.Force.Invalid }),
				httpPoint(attrs("outcome", "forged"), func(h *httpctx.Stats) uint64 { return h.Force.Forged }),
				httpPoint(attrs("outcome", "expired"), func(h *httpctx.Stats) uint64 { return h.Force.Expired }),
				httpPoint(attrs("outcome", "no_key"), func(h *httpctx.Stats) uint64 { return h.Force.NoKey }),
			}},
		{name: "slogstack.http.kept_requests", unit: "{request}", kind: counter,
			description: "Requests not sampled at the start whose records were kept by the end (an error, a 5xx, a panic or Keep).",
			points:      []point{httpPoint(none, func(h *httpctx.Stats) uint64 { return h.Kept })}},
		{name: "slogstack.http.server_error_keeps", unit: "{request}", kind: counter,
			description: "Requests not sampled at the start that a 5xx status kept.",
			points:      []point{httpPoint(none, func(h *httpctx.Stats) uint64 { return h.ServerErrorKeeps })}},
		{name: "slogstack.http.panics", unit: "{panic}", kind: counter,
			description: "Recovered panics: of the handler (source=handler) and of the middleware's own logging (source=logging).",
			points: []point{
				httpPoint(attrs("source", "handler"), func(h *httpctx.Stats) uint64 { return h.Panics }),
				httpPoint(attrs("source", "logging"), func(h *httpctx.Stats) uint64 { return h.LogPanics }),
			}},
		{name: "slogstack.http.aborted_requests", unit: "{request}", kind: counter,
			description: "Requests aborted with http.ErrAbortHandler.",
			points:      []point{httpPoint(none, func(h *httpctx.Stats) uint64 { return h.Aborted })}},
		{name: "slogstack.http.correlation_ids", unit: "{id}", kind: counter,
			description: "Correlation IDs by where they came from.",
			points: []point{
				httpPoint(attrs("source", "correlation_header"), func(h *httpctx.Stats) uint64 { return h.IDs.FromCorrelationHeader }),
				httpPoint(attrs("source", "request_id_header"), func(h *httpctx.Stats) uint64 { return h.IDs.FromRequestIDHeader }),
				httpPoint(attrs("source", "span_context"), func(h *httpctx.Stats) uint64 { return h.IDs.FromSpanContext }),
				httpPoint(attrs("source", "traceparent"), func(h *httpctx.Stats) uint64 { return h.IDs.FromTraceparent }),
				httpPoint(attrs("source", "generated"), func(h *httpctx.Stats) uint64 { return h.IDs.Generated }),
			}},
		{name: "slogstack.http.rejected_correlation_ids", unit: "{id}", kind: counter,
			description: "Incoming correlation IDs and traceparents not accepted, by where they came from.",
			points: []point{
				httpPoint(attrs("source", "correlation_header"), func(h *httpctx.Stats) uint64 { return h.IDs.RejectedCorrelationHeader }),
				httpPoint(attrs("source", "request_id_header"), func(h *httpctx.Stats) uint64 { return h.IDs.RejectedRequestIDHeader }),
				httpPoint(attrs("source", "traceparent"), func(h *httpctx.Stats) uint64 { return h.IDs.RejectedTraceparent }),
			}},
		{name: "slogstack.http.captured_body.size", unit: "By", kind: counter,
			description: "Body bytes captured for access records, by direction.",
			points: []point{
				httpPoint(attrs("direction", "request"), func(h *httpctx.Stats) uint64 { return h.RequestBodyBytes }),
				httpPoint(attrs("direction", "response"), func(h *httpctx.Stats) uint64 { return h.ResponseBodyBytes }),
			}},
		{name: "slogstack.http.bodies", unit: "{body}", kind: counter,
			description: "Bodies logged cut short (outcome=truncated) and not captured because their content type is not text (outcome=skipped).",
			points: []point{
				httpPoint(attrs("outcome", "truncated"), func(h *httpctx.Stats) uint64 { return h.BodiesTruncated }),
				httpPoint(attrs("outcome", "skipped"), func(h *httpctx.Stats) uint64 { return h.BodiesSkipped }),
			}},
	}
}

// reasonsOf returns the reason counts of h, or nil.
func reasonsOf(h *httpctx.Stats) *reasonCounts {
	if h == nil {
		return nil
	}
	return &h.Reasons
}
