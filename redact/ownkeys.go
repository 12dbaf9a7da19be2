package redact

import "log/slog"

// ownKeys are the output keys the module itself writes (correlation,
// sampling, aggregation and loss reports). Their values are made by the
// module, never by a caller, so they are never masked: a correlation ID such
// as tenant:acme:token:abc123 must reach the log exactly as it was echoed to
// the client. The list is kept by hand (this package imports no other
// package of the module); a test checks it against the exported key
// constants of the module's packages.
var ownKeys = map[string]struct{}{
	"correlation_id":    {},
	"trace_id":          {},
	"span_id":           {},
	"_sampled":          {},
	"_sample_rate":      {},
	"_sample_reason":    {},
	"_lost_records":     {},
	"_aggregated":       {},
	"_count":            {},
	"_first_occurrence": {},
	"_last_occurrence":  {},
	"_window_seconds":   {},
	"_truncated":        {},
	"log.kind":          {},
	// whether a captured body was cut (the bodies themselves are masked)
	"request_body_truncated":  {},
	"response_body_truncated": {},
}

// isOwnKey reports whether key is one of the module's own output keys
// (compared exactly, case included).
func isOwnKey(key string) bool {
	if len(key) == 0 || len(key) > len("response_body_truncated") {
		return false
	}
	_, ok := ownKeys[key]
	return ok
}

// isScalar reports whether v is of a kind that holds one scalar value:
// the kinds an own key carries, passed on unchanged.
func isScalar(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindFloat64,
		slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}
