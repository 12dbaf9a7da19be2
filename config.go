package slogstack

import (
	"log/slog"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// Config is the single place for the knobs of a logging stack built by
// NewStack and NewStackWithSink.
//
// The zero Config switches every feature off: NewStack then builds a logger
// whose output is byte for byte that of slog.NewJSONHandler(w, nil), and
// setting Level, AddSource or ReplaceAttr changes it exactly as the same
// slog.HandlerOptions change slog's. DefaultConfig returns the recommended
// production stack, with every feature on and each wrapper at its
// DefaultOptions; DevelopmentConfig the same for a developer's machine
// (text, debug, every request); ConfigFromEnv applies LOG_* variables
// over a Config. String and LogValue show the effective configuration,
// for logging it at start.
//
// Each feature is a switch (Correlation, Sampling, Aggregation, Redact,
// Async) and the options of the wrapper it turns on. The options fields are
// used as they are: zero means what the wrapper's documentation says of
// zero (a sampling rate of 0 samples nothing), not "the default", so start
// from DefaultConfig and change fields. Options of a feature that is off
// are ignored. The order in which the features stack is stated in
// docs/architecture.md.
type Config struct {
	// Level is the minimum level of the records written; records below it
	// are refused before any wrapper sees them. Nil means slog.LevelInfo,
	// as in slog.HandlerOptions. A *slog.LevelVar changes the level of a
	// running stack, and Stack.Level returns that same var; a Leveler of
	// another kind is read once, when the stack is built (change that
	// stack's level with Stack.Level().Set).
	Level slog.Leveler

	// Format is the encoding NewStack writes: FormatJSON (the zero value)
	// through handler.JSONHandler, or FormatText through
	// slog.NewTextHandler, both with Level, AddSource and ReplaceAttr. It
	// is ignored by NewStackWithSink (the sink encodes). Validate rejects
	// any other value.
	Format Format

	// AddSource adds the "source" attribute (file, line, function) to
	// records written by NewStack's handler, as
	// slog.HandlerOptions.AddSource. NewStackWithSink refuses it (set it
	// on the sink, which encodes the records).
	AddSource bool

	// ReplaceAttr rewrites attributes in NewStack's handler, as
	// slog.HandlerOptions.ReplaceAttr. NewStackWithSink refuses it (set it
	// on the sink, which encodes the records).
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Stacktrace adds a "stacktrace" attribute (zap's key) to every record
	// at or above StacktraceLevel that Level lets through: the stack of the
	// goroutine that logged it, captured on that goroutine by the stack's
	// top handler before any wrapper, starting at the logging call (the
	// record's PC; when that is 0 or not on the stack, at the first frame
	// outside log/slog and the stack), at most 64 frames, each written as
	// "function\n\tfile:line", the frames separated by "\n". The
	// attribute is the record's like any other: inside the groups opened
	// with WithGroup, and through sampling, aggregation and redaction. The
	// caller's record is not modified. The records the library logs itself
	// (access, panic and completion records) get none: their stack would
	// show only the library's frames. Off, it costs one comparison and no
	// allocation per record. It works with NewStack and NewStackWithSink
	// alike.
	Stacktrace bool

	// StacktraceLevel is the lowest level that gets a stack trace when
	// Stacktrace is on. DefaultConfig sets slog.LevelError (errors only,
	// as zap's production AddStacktrace); its zero value is slog.LevelInfo.
	StacktraceLevel slog.Level

	// Correlation adds correlation_id (and trace_id and span_id when the
	// context carries a valid OpenTelemetry span) from the request scope in
	// the record's context, as opened by Stack.Middleware or scope.Start,
	// to every record (scope.Handler), so that every layer below sees them.
	Correlation bool

	// Scope configures the correlation handler: Scope.OmitTrace leaves
	// trace_id and span_id out, for a sink that takes them from the context
	// itself, such as the OpenTelemetry log bridge.
	Scope scope.HandlerOptions

	// Sampling keeps or drops the records of whole requests
	// (sampling.Handler), by the decision that SamplingPolicy makes once
	// per request when its scope opens (Stack.Middleware,
	// Stack.ScopeOptions); records at ERROR and above always pass and
	// rescue their request's earlier records.
	Sampling bool

	// SamplingPolicy is the rate, the always-sampled and excluded paths and
	// whether an incoming trace's sampled flag decides. It is used as is:
	// a Rate of 0 samples no request (errors still rescue theirs), nil
	// ExcludedPaths excludes none. DefaultConfig sets
	// sampling.DefaultPolicy(). The stack keeps its own copy of the path
	// lists. With Sampling off the stack samples every request
	// (X-Log-Sampled is always true) and the policy is ignored.
	SamplingPolicy sampling.Policy

	// SamplingOptions bounds the per-request buffer that lets an error
	// rescue a request's earlier records (a zero bound buffers nothing),
	// and decides what happens to records logged without a request scope.
	// DefaultConfig sets sampling.DefaultOptions().
	SamplingOptions sampling.Options

	// Aggregation folds repetitive system records (connection pool sizes,
	// health checks, metrics: see aggregation.Options.Match) into summary
	// records. Business records are never folded.
	Aggregation bool

	// AggregationOptions selects the system records and sets the burst,
	// window and cache bounds. DefaultConfig sets
	// aggregation.DefaultOptions().
	AggregationOptions aggregation.Options

	// Redact masks secrets by key (password, token, authorization, ...) and
	// by value (bearer tokens, JWTs, card numbers, cloud keys, ...) before
	// anything leaves the process, and in the bodies that Stack.Middleware
	// logs.
	Redact bool

	// RedactOptions is the whole rule set: key rules, safe keys, value
	// patterns, the replacement text. DefaultConfig sets
	// redact.DefaultOptions(); the zero value has no key rules and masks
	// with the empty string.
	RedactOptions redact.Options

	// Async hands records to a bounded queue drained by one background
	// goroutine, so callers never wait on a stalled output. When the queue
	// is full, callers wait for a sink that is making progress, and the
	// oldest records are dropped, counted and reported only once the sink
	// has stalled for AsyncOptions.StallTimeout. With NewStack the JSON is
	// encoded on the caller's goroutine and the bytes are queued
	// (async.Writer); with NewStackWithSink the records are queued for the
	// sink (async.Handler).
	Async bool

	// AsyncOptions sizes the queue (Capacity, Reserved, MaxBytes) and the
	// batches, and sets how long a sink may stall before records are
	// dropped (StallTimeout). DefaultConfig sets async.DefaultOptions().
	AsyncOptions async.Options

	// HTTP configures Stack.Middleware: the access record, body capture,
	// panic recovery, and forced sampling (ForceKey, LOG_FORCE_KEY: the key
	// X-Log-Force tokens are verified with, also used by ScopeOptions; at
	// least 16 bytes, or empty for off). Its Logger and Policy must be left
	// unset (Validate rejects them): the middleware logs through the
	// stack's logger and decides with the stack's policy. When Redact is on and Body.Redact
	// is nil, bodies are masked by the stack's redaction rules.
	// DefaultConfig sets httpctx.DefaultOptions() without Logger and
	// Policy; the zero value writes no access record.
	HTTP httpctx.Options
}

// DefaultConfig returns the recommended production configuration: level
// INFO, correlation attributes, sampling (sampling.DefaultPolicy and
// sampling.DefaultOptions: 10% of requests, health checks excluded, errors
// rescue their request), aggregation, redaction and the async queue, each
// with its wrapper's DefaultOptions, and the HTTP middleware's
// httpctx.DefaultOptions (an access record per request, no bodies). Stack
// traces are off, with StacktraceLevel at ERROR for when they are turned on.
func DefaultConfig() Config {
	httpOpts := httpctx.DefaultOptions()
	httpOpts.Logger, httpOpts.Policy = nil, nil // the stack sets them
	return Config{
		Level:              slog.LevelInfo,
		StacktraceLevel:    slog.LevelError, // Stacktrace off; turned on, errors only
		Correlation:        true,
		Sampling:           true,
		SamplingPolicy:     sampling.DefaultPolicy(),
		SamplingOptions:    sampling.DefaultOptions(),
		Aggregation:        true,
		AggregationOptions: aggregation.DefaultOptions(),
		Redact:             true,
		RedactOptions:      redact.DefaultOptions(),
		Async:              true,
		AsyncOptions:       async.DefaultOptions(),
		HTTP:               httpOpts,
	}
}

// level returns the configured minimum level.
func (c Config) level() slog.Leveler {
	if c.Level == nil {
		return slog.LevelInfo
	}
	return c.Level
}

// decider returns what request scopes are opened with: v, which holds the
// configured policy, or, with sampling off, a policy that samples every
// request.
func (c Config) decider(v *sampling.PolicyVar) sampling.Decider {
	if !c.Sampling {
		return sampling.Policy{Rate: 1}
	}
	return v
}
