package slogstack

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// LogValue returns the effective configuration as one group, for logging
// it at start:
//
//	logger.Info("logging configured", "config", cfg)
//
// It holds, with snake_case keys: level (nil is INFO; a *slog.LevelVar
// gives its current level), format, add_source, replace_attr ("set", or
// left out when nil), stacktrace ("off" or the lowest level), then per
// feature either "off" or a group of its options as the wrapper uses
// them (a zero field that means a default shows the default):
//
//   - correlation: omit_trace;
//   - sampling: rate (above 1, which Validate rejects, shows 1),
//     always_sample_paths and excluded_paths (comma-separated, as LOG_*
//     variables take them), follow_trace, request_buffer ("off" or records, bytes, total_bytes),
//     unscoped ("pass", or "sample" with unscoped_rate);
//   - aggregation: match ("set" for a Matcher, such as the prefixes of
//     DefaultConfig, which a function cannot show; "marker only" for nil,
//     where only the aggregation.System marker selects records), burst,
//     burst_window, window, max_count, max_groups, flush_interval,
//     max_value_bytes, max_attr_bytes;
//   - redact: keys ("default" for redact.DefaultOptions' rules, else the
//     rules), safe_keys, value_patterns ("all", or "all but" the disabled
//     names), custom_patterns (how many; never a regular expression),
//     replacement, key_cache_size;
//   - async: capacity ("default" for the queue's own: 32768 records with
//     NewStack, 8192 with NewStackWithSink), reserved, max_bytes,
//     batch_size, batch_bytes, report_interval, stall_timeout, and
//     report_handler ("set") when one is set;
//   - http: access_log and access_message, body ("off" or request,
//     response, max_bytes, is_text, redact), recover, and force_key
//     ("set") when a forced-sampling key is set: the key itself is never
//     shown.
//
// Sizes are written as LOG_* variables take them (8MiB), durations as
// text (1s, 500ms), in JSON as in text. Nothing in it is a secret: hooks and matchers are only
// said to be set, never shown. A Config that does not validate still
// gives a value (a nil *slog.LevelVar as level shows "nil").
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("level", c.levelName()),
		slog.String("format", c.Format.String()),
		slog.Bool("add_source", c.AddSource),
	}
	if c.ReplaceAttr != nil {
		attrs = append(attrs, slog.String("replace_attr", "set"))
	}
	attrs = append(attrs,
		slog.Any("stacktrace", switchedOff(c.Stacktrace, func() slog.Value { return slog.StringValue(c.StacktraceLevel.String()) })),
		slog.Any("correlation", switchedOff(c.Correlation, func() slog.Value {
			return slog.GroupValue(slog.Bool("omit_trace", c.Scope.OmitTrace))
		})),
		slog.Any("sampling", switchedOff(c.Sampling, func() slog.Value { return samplingValue(c.SamplingPolicy, c.SamplingOptions) })),
		slog.Any("aggregation", switchedOff(c.Aggregation, func() slog.Value { return aggregationValue(c.AggregationOptions) })),
		slog.Any("redact", switchedOff(c.Redact, func() slog.Value { return redactValue(c.RedactOptions) })),
		slog.Any("async", switchedOff(c.Async, func() slog.Value { return asyncValue(c.AsyncOptions) })),
		slog.Any("http", httpValue(c.HTTP, c.Redact)),
	)
	return slog.GroupValue(attrs...)
}

// String returns LogValue on one line, as slog.TextHandler writes
// attributes (groups as dotted keys), without time, level or message:
//
//	level=INFO format=json add_source=false stacktrace=off correlation.omit_trace=false sampling.rate=0.1 ...
func (c Config) String() string {
	var b strings.Builder
	h := slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	r.AddAttrs(c.LogValue().Group()...)
	_ = h.Handle(context.Background(), r)
	return strings.TrimSuffix(b.String(), "\n")
}

// dropBuiltins removes the level and the message a handler writes for a
// record (the time of a zero one is left out by the handler itself),
// keeping the configuration's own "level", a string.
func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	if a.Key == slog.MessageKey || a.Key == slog.LevelKey && a.Value.Kind() == slog.KindAny {
		return slog.Attr{}
	}
	return a
}

// levelName returns the name of the level in effect, "nil" for a nil
// pointer (which Validate rejects).
func (c Config) levelName() string {
	if nilPointer(c.Level) {
		return "nil"
	}
	return c.level().Level().String()
}

// switchedOff returns "off", or the value on makes when the feature is on.
func switchedOff(on bool, value func() slog.Value) slog.Value {
	if !on {
		return slog.StringValue("off")
	}
	return value()
}

func samplingValue(p sampling.Policy, o sampling.Options) slog.Value {
	attrs := []slog.Attr{
		slog.Float64("rate", min(max(p.Rate, 0), 1)),
		slog.String("always_sample_paths", strings.Join(p.AlwaysSamplePaths, ",")),
		slog.String("excluded_paths", strings.Join(p.ExcludedPaths, ",")),
		slog.Bool("follow_trace", p.FollowTrace),
	}
	if o.MaxRequestRecords <= 0 || o.MaxRequestBytes <= 0 || o.MaxBufferedBytes <= 0 {
		attrs = append(attrs, slog.String("request_buffer", "off"))
	} else {
		attrs = append(attrs, slog.Group("request_buffer",
			slog.Int("records", o.MaxRequestRecords),
			slog.String("bytes", formatSize(int64(o.MaxRequestBytes))),
			slog.String("total_bytes", formatSize(o.MaxBufferedBytes))))
	}
	if !o.SampleUnscoped {
		return slog.GroupValue(append(attrs, slog.String("unscoped", "pass"))...)
	}
	return slog.GroupValue(append(attrs, slog.String("unscoped", "sample"),
		slog.Float64("unscoped_rate", min(max(o.UnscopedRate, 0), 1)))...)
}

func aggregationValue(o aggregation.Options) slog.Value {
	d := aggregation.DefaultOptions()
	return slog.GroupValue(
		slog.String("match", matcherName(o.Match)),
		slog.Int("burst", o.Burst),
		durationAttr("burst_window", positiveOr(o.BurstWindow, d.BurstWindow)),
		durationAttr("window", positiveOr(o.Window, d.Window)),
		slog.Int("max_count", positiveOr(o.MaxCount, d.MaxCount)),
		slog.Int("max_groups", positiveOr(o.MaxGroups, d.MaxGroups)),
		durationAttr("flush_interval", max(positiveOr(o.FlushInterval, d.FlushInterval), time.Millisecond)),
		slog.String("max_value_bytes", formatSize(int64(positiveOr(o.MaxValueBytes, d.MaxValueBytes)))),
		slog.String("max_attr_bytes", formatSize(int64(positiveOr(o.MaxAttrBytes, d.MaxAttrBytes)))),
	)
}

// matcherName says whether a Matcher is set, without calling it: a
// Matcher is a function, which cannot tell its rule (the prefixes of
// aggregation.MatchPrefixes) without being called.
func matcherName(m aggregation.Matcher) string {
	if m == nil {
		return "marker only"
	}
	return "set"
}

func redactValue(o redact.Options) slog.Value {
	keys := "default"
	if !slices.Equal(o.Keys, redact.DefaultOptions().Keys) {
		keys = strings.Join(o.Keys, ",")
	}
	patterns := "all"
	if len(o.DisablePatterns) > 0 {
		patterns = "all but " + strings.Join(o.DisablePatterns, ",")
	}
	return slog.GroupValue(
		slog.String("keys", keys),
		slog.String("safe_keys", strings.Join(o.SafeKeys, ",")),
		slog.String("value_patterns", patterns),
		slog.Int("custom_patterns", len(o.Patterns)),
		slog.String("replacement", o.Replacement),
		slog.Int("key_cache_size", max(o.KeyCacheSize, 0)),
	)
}

func asyncValue(o async.Options) slog.Value {
	d := async.DefaultOptions()
	capacity := slog.StringValue("default")
	if o.Capacity > 0 {
		capacity = slog.IntValue(min(o.Capacity, maxQueueSize))
	}
	attrs := []slog.Attr{
		{Key: "capacity", Value: capacity},
		slog.Int("reserved", o.Reserved),
		slog.String("max_bytes", formatSize(int64(positiveOr(o.MaxBytes, d.MaxBytes)))),
		slog.Int("batch_size", positiveOr(o.BatchSize, d.BatchSize)),
		slog.String("batch_bytes", formatSize(int64(positiveOr(o.BatchBytes, d.BatchBytes)))),
		durationAttr("report_interval", o.ReportInterval),
		durationAttr("stall_timeout", o.StallTimeout),
	}
	if o.ReportHandler != nil {
		attrs = append(attrs, slog.String("report_handler", "set"))
	}
	return slog.GroupValue(attrs...)
}

func httpValue(o httpctx.Options, stackRedacts bool) slog.Value {
	attrs := []slog.Attr{slog.Bool("access_log", o.AccessLog)}
	if o.AccessLog {
		attrs = append(attrs, slog.String("access_message", o.AccessMessage))
	}
	attrs = append(attrs,
		slog.Any("body", bodyValue(o.Body, stackRedacts)),
		slog.Bool("recover", o.Recover))
	if len(o.ForceKey) > 0 {
		attrs = append(attrs, slog.String("force_key", "set"))
	}
	return slog.GroupValue(attrs...)
}

func bodyValue(b httpctx.BodyOptions, stackRedacts bool) slog.Value {
	if !b.Request && !b.Response || b.MaxBytes <= 0 {
		return slog.StringValue("off")
	}
	isText := "default"
	if b.IsText != nil {
		isText = "custom"
	}
	redaction := "off"
	switch {
	case b.Redact != nil:
		redaction = "custom"
	case stackRedacts:
		redaction = "stack"
	}
	return slog.GroupValue(
		slog.Bool("request", b.Request),
		slog.Bool("response", b.Response),
		slog.String("max_bytes", formatSize(int64(b.MaxBytes))),
		slog.String("is_text", isText),
		slog.String("redact", redaction),
	)
}

// positiveOr returns v, or def when v is zero or negative.
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// durationAttr is a duration as its text ("1s", "500ms"), which reads the
// same in JSON and in text; slog's own duration is nanoseconds in JSON.
func durationAttr(key string, d time.Duration) slog.Attr {
	return slog.String(key, d.String())
}
