// Package otelmetrics reports the counters of a slogstack.Stack through
// the OpenTelemetry metrics API, so that any exporter (Prometheus, OTLP)
// carries them. It is a module of its own: the slogstack library does not
// depend on the OpenTelemetry metrics API.
//
//	reg, err := otelmetrics.Register(provider.Meter("github.com/slogstack/slogstack"), stack)
//
// Every instrument is observable: its value is the Stats field it reports,
// read from one Stack.Stats call per collection (nothing is counted twice,
// nothing is added to the log path). Counters are monotonic sums,
// quantities present now (queue depth, buffered records, groups) are
// up-down counters, and the queue's high-water mark is a gauge. Names are
// stable, prefixed "slogstack.", with UCUM units: {record}, {request},
// {id}, {token}, {panic}, {summary}, {group}, {mask}, By for bytes. A layer the
// stack's Config switches off reports no data points, nor does the HTTP
// layer before Stack.Middleware is first called.
//
// The instruments, with their attributes (the Stats field each data point
// equals is in the project's docs/metrics.md):
//
//	slogstack.records                          the stack's records
//	slogstack.http.requests                    requests
//	slogstack.http.nested_requests             requests an outer middleware opened
//	slogstack.http.decisions                   decision = sampled | not_sampled
//	slogstack.http.decision_reasons            reason = excluded | path | trace | rate | forced | other
//	slogstack.http.force_tokens                outcome = accepted | invalid | forged | expired | no_key
//	slogstack.http.kept_requests               requests kept after a decision not to sample
//	slogstack.http.server_error_keeps          of those, kept by a 5xx
//	slogstack.http.panics                      source = handler | logging
//	slogstack.http.aborted_requests            requests aborted with http.ErrAbortHandler
//	slogstack.http.correlation_ids             source = correlation_header | request_id_header | span_context | traceparent | generated
//	slogstack.http.rejected_correlation_ids    source = correlation_header | request_id_header | traceparent
//	slogstack.http.captured_body.size          direction = request | response
//	slogstack.http.bodies                      outcome = truncated | skipped
//	slogstack.sampling.requests                decision = sampled | not_sampled, reason = excluded | path | trace | rate | forced | other
//	slogstack.sampling.ended_requests          outcome = kept | dropped
//	slogstack.sampling.records                 outcome = passed | buffered | discarded
//	slogstack.sampling.buffered_records        outcome = rescued | filtered | dropped
//	slogstack.sampling.lost_records            cause = request_bound | global_budget | panic
//	slogstack.sampling.unscoped_records        outcome = passed | dropped
//	slogstack.sampling.handler_failures        kind = error | panic
//	slogstack.sampling.buffer.records          records buffered now (up-down)
//	slogstack.sampling.buffer.size             bytes buffered now (up-down)
//	slogstack.scope.records                    records of the correlation handler
//	slogstack.scope.annotated_records          attributes = correlation_id | trace
//	slogstack.scope.regrouped_records          records regrouped under a WithGroup
//	slogstack.scope.chains_built               chains built for them
//	slogstack.aggregation.records              outcome = passed_unmatched | passed_matched | folded
//	slogstack.aggregation.folded_records       outcome = written | failed | disabled | dropped
//	slogstack.aggregation.summaries            cause = window | max_count | request_end | evicted | flush
//	slogstack.aggregation.unwritten_summaries  outcome = disabled | dropped | failed
//	slogstack.aggregation.handler_panics       recovered panics
//	slogstack.aggregation.collisions           records passed on a key hash collision
//	slogstack.aggregation.removed_groups       cause = evicted | expired
//	slogstack.aggregation.groups               groups now (up-down)
//	slogstack.aggregation.cache.size           bytes of the group cache now (up-down)
//	slogstack.redact.records                   records of the redaction handler
//	slogstack.redact.changed_records           records in which something was masked
//	slogstack.redact.masks                     rule = key | bearer | basic | jwt | card | aws_access_key | gcp_api_key | github_token | slack_token | stripe_key | private_key | url_password | key_value | custom
//	slogstack.redact.key_cache.lookups         result = hit | miss
//	slogstack.async.accepted_records           records queued
//	slogstack.async.records                    outcome = written | failed | skipped | dropped | lost
//	slogstack.async.dropped_records            level = debug | info | warn | error | unknown
//	slogstack.async.reported_drops             dropped records announced in-band
//	slogstack.async.drop_reports               in-band drop reports
//	slogstack.async.after_close_records        outcome = synchronous | dropped
//	slogstack.async.sink_failures              kind = error | panic
//	slogstack.async.batches                    batches taken from the queue
//	slogstack.async.queue.depth                records queued now (up-down)
//	slogstack.async.queue.high_water           most records queued at once (gauge)
//	slogstack.async.in_flight                  records taken and not yet settled (up-down)
//	slogstack.async.data.size                  stage = accepted | written | dropped (bytes, writer sinks)
//	slogstack.async.queue.size                 bytes queued now (up-down, writer sinks)
//
// The counters of one layer keep that layer's laws: for example
// slogstack.async.accepted_records equals the sum of
// slogstack.async.records, slogstack.async.queue.depth and
// slogstack.async.in_flight in every collection.
package otelmetrics
