package otelmetrics

import (
	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/redact"
	"go.opentelemetry.io/otel/attribute"
)

// redactPoint is a point reading a counter of Stats.Redact.
func redactPoint(set attribute.Set, field func(*redact.Stats) uint64) point {
	return layerPoint(func(s *slogstack.Stats) *redact.Stats { return s.Redact }, set,
		func(r *redact.Stats) int64 { return u(field(r)) })
}

// redactRules are the rules of slogstack.redact.masks: the key rule and
// the value patterns of redact.PatternCounts, with their rule attribute.
var redactRules = []struct {
	rule  string
	field func(*redact.Stats) uint64
}{
	{"key", func(r *redact.Stats) uint64 { return r.KeyMasked }},
	{"bearer", func(r *redact.Stats) uint64 { return r.Patterns.Bearer }},
	{"basic", func(r *redact.Stats) uint64 { return r.Patterns.Basic }},
	{"jwt", func(r *redact.Stats) uint64 { return r.Patterns.JWT }},
	{"card", func(r *redact.Stats) uint64 { return r.Patterns.Card }},
	{"aws_access_key", func(r *redact.Stats) uint64 { return r.Patterns.AWSAccessKey }},
	{"gcp_api_key", func(r *redact.Stats) uint64 { return r.Patterns.GCPAPIKey }},
	{"github_token", func(r *redact.Stats) uint64 { return r.Patterns.GitHubToken }},
	{"slack_token", func(r *redact.Stats) uint64 { return r.Patterns.SlackToken }},
	{"stripe_key", func(r *redact.Stats) uint64 { return r.Patterns.StripeKey }},
	{"private_key", func(r *redact.Stats) uint64 { return r.Patterns.PrivateKey }},
	{"url_password", func(r *redact.Stats) uint64 { return r.Patterns.URLPassword }},
	{"key_value", func(r *redact.Stats) uint64 { return r.Patterns.KeyValue }},
	{"custom", func(r *redact.Stats) uint64 { return r.Patterns.Custom }},
}

// redactInstruments are the instruments of Stats.Redact.
func redactInstruments() []instrument {
	none := attribute.NewSet()
	masks := make([]point, 0, len(redactRules))
	for _, r := range redactRules {
		masks = append(masks, redactPoint(attrs("rule", r.rule), r.field))
	}
	return []instrument{
		{name: "slogstack.redact.records", unit: "{record}", kind: counter,
			description: "Records the redaction handler handled.",
			points:      []point{redactPoint(none, func(r *redact.Stats) uint64 { return r.Records })}},
		{name: "slogstack.redact.changed_records", unit: "{record}", kind: counter,
			description: "Records in which something was masked.",
			points:      []point{redactPoint(none, func(r *redact.Stats) uint64 { return r.RecordsChanged })}},
		{name: "slogstack.redact.masks", unit: "{mask}", kind: counter,
			description: "Values masked, by the rule that masked them: rule=key for a value masked whole for its key, else the value pattern.",
			points:      masks},
		{name: "slogstack.redact.key_cache.lookups", unit: "{lookup}", kind: counter,
			description: "Lookups of the key-verdict cache, by result (hit, miss).",
			points: []point{
				redactPoint(attrs("result", "hit"), func(r *redact.Stats) uint64 { return r.KeyCacheHits }),
				redactPoint(attrs("result", "miss"), func(r *redact.Stats) uint64 { return r.KeyCacheMisses }),
			}},
	}
}
