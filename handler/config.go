package handler

import (
	"log/slog"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// DefaultExpvarName is the name under which New publishes the stack's Stats
// with expvar when Config.ExpvarName is empty.
const DefaultExpvarName = "slogstack"

// NoExpvar as Config.ExpvarName keeps the stack's Stats out of expvar.
const NoExpvar = "-"

// Config is the single place for the knobs of a logging stack built by New,
// NewStack and NewStackWithSink.
//
// The zero Config switches every feature off: New then returns a logger
// whose output is byte for byte that of slog.NewJSONHandler(w, nil), and
// setting Level, AddSource or ReplaceAttr changes it exactly as the same
// slog.HandlerOptions change slog's. DefaultConfig returns the recommended
// production stack, with every feature on; ConfigFromEnv starts from it.
//
// Each feature is a switch (Correlation, Sampling, Aggregation, Redact,
// Async) and the options of the wrapper it turns on. The zero value of each
// options field gives that wrapper's documented defaults, and options of a
// feature that is off are ignored.
type Config struct {
	// Level is the minimum level of the records written; records below it
	// are refused before any wrapper sees them. Nil means slog.LevelInfo.
	// A *slog.LevelVar changes the level of a running stack.
	Level slog.Leveler

	// AddSource adds the "source" attribute (file, line, function) to
	// records written by the JSON handler, as slog.HandlerOptions.AddSource.
	// It is ignored by NewStackWithSink (configure the sink instead).
	AddSource bool

	// ReplaceAttr rewrites attributes in the JSON handler, as
	// slog.HandlerOptions.ReplaceAttr. It is ignored by NewStackWithSink.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Correlation adds correlation_id (and trace_id and span_id when the
	// context carries a valid OpenTelemetry span) from the record's
	// context, as set by httpctx.Middleware or httpctx.Start, to every
	// record. It is the top of the stack, so every wrapper below sees the
	// attributes.
	Correlation bool

	// OmitTraceAttrs leaves trace_id and span_id out of the correlation
	// attributes, for a sink that takes them from the context itself, such
	// as the OpenTelemetry log bridge.
	OmitTraceAttrs bool

	// Sampling keeps or drops the records of whole requests (the
	// sampling.Handler), by the decision that SamplingPolicy makes once per
	// request in httpctx.Middleware or httpctx.Start; records at ERROR and
	// above always pass and rescue their request's earlier records.
	Sampling bool

	// SamplingPolicy is the rate, the always-sampled and excluded paths and
	// whether an incoming trace's sampled flag decides. Its zero value
	// samples 10% of requests and excludes sampling.DefaultExcludedPaths.
	// It reaches the request scopes through Stack.HTTPOptions and
	// Stack.StartOptions. With Sampling off the stack samples every request
	// (X-Log-Sampled is always true) and the policy is ignored.
	SamplingPolicy sampling.Policy

	// SamplingOptions bounds the per-request buffer that lets an error
	// rescue a request's earlier records, or turns it off
	// (DisableBuffering), and decides what happens to records logged
	// without a request scope.
	SamplingOptions sampling.Options

	// Aggregation folds repetitive system records (connection pool sizes,
	// health checks, metrics: see aggregation.Options.Match) into summary
	// records. Business records are never folded.
	Aggregation bool

	// AggregationOptions sets the burst, window and cache bounds.
	AggregationOptions aggregation.Options

	// Redact masks secrets by key (password, token, authorization, ...) and
	// by value (bearer tokens, JWTs, card numbers, cloud keys, ...) before
	// anything leaves the process.
	Redact bool

	// RedactOptions adds or removes key rules and value patterns.
	RedactOptions redact.Options

	// Async hands records to a bounded queue drained by one background
	// goroutine, so callers never wait on a stalled output. When the queue
	// is full, callers wait for a sink that is making progress, and the
	// oldest records are dropped, counted and reported in-band only once
	// the sink has stalled for AsyncOptions.StallTimeout.
	// With New and NewStack the JSON is encoded on the caller's goroutine
	// and the bytes are queued (async.Writer); with NewStackWithSink the
	// records are queued for the sink (async.Handler).
	Async bool

	// AsyncOptions sizes the queue (Capacity, MaxBytes) and the batches,
	// and sets how long a sink may stall before records are dropped
	// (StallTimeout). DefaultConfig sets async.DefaultOptions().
	AsyncOptions async.Options

	// ExpvarName is the expvar name under which the stack's Stats are
	// published. Empty means DefaultExpvarName; NoExpvar publishes nothing.
	// A later stack built with the same name takes the name over.
	ExpvarName string
}

// DefaultConfig returns the recommended production configuration: level
// INFO, correlation attributes, sampling (10% of requests, health checks
// excluded, errors rescue their request), aggregation, redaction and the
// async queue, each with its wrapper's defaults, Stats published as
// "slogstack".
func DefaultConfig() Config {
	return Config{
		Level:       slog.LevelInfo,
		Correlation: true,
		Sampling:    true,
		Aggregation: true,
		Redact:      true,
		Async:       true,

		AsyncOptions: async.DefaultOptions(),
	}
}

// level returns the configured minimum level.
func (c Config) level() slog.Leveler {
	if c.Level == nil {
		return slog.LevelInfo
	}
	return c.Level
}

// policy returns the sampling policy request scopes are opened with: the
// configured one, or, with sampling off, one that samples every request.
func (c Config) policy() sampling.Policy {
	if !c.Sampling {
		return sampling.Policy{Rate: 1, ExcludedPaths: []string{}}
	}
	return c.SamplingPolicy
}

// expvarName returns the expvar name to publish under, or "" for none.
func (c Config) expvarName() string {
	switch c.ExpvarName {
	case "":
		return DefaultExpvarName
	case NoExpvar:
		return ""
	}
	return c.ExpvarName
}
