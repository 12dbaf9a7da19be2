package slogstack

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/slogstack/slogstack/sampling"
)

// maxQueueSize bounds LOG_QUEUE_SIZE: a larger queue is a typo, not a plan.
const maxQueueSize = 1 << 24

// ConfigFromEnv returns base with the LOG_* environment variables applied
// over it: a variable that is unset (or set to the empty string or blanks)
// leaves its field as base has it, except the two path lists, where a set
// but empty variable means no paths. Start from DefaultConfig for the
// recommended stack, or from a Config of your own to let the environment
// adjust it:
//
//	cfg, err := slogstack.ConfigFromEnv(slogstack.DefaultConfig())
//
// The variables:
//
//	LOG_PRESET                  development or production (any case):
//	                            development applies DevelopmentConfig's
//	                            changes over base before the other
//	                            variables, which then win over it;
//	                            production leaves base as it is
//	LOG_LEVEL                   debug, info, warn or error (any case; slog's
//	                            offsets such as info+2 too)
//	LOG_FORMAT                  json or text (any case): NewStack's encoding
//	LOG_ADD_SOURCE              true/false: add file:line to each record
//	LOG_STACKTRACE              off, or the lowest level (debug, info, warn,
//	                            error) whose records get a stack trace
//	LOG_CORRELATION             true/false: correlation_id, trace_id, span_id
//	LOG_SAMPLING                true/false: the sampling layer
//	LOG_SAMPLING_RATE           0 to 1: fraction of requests sampled (0: none)
//	LOG_ALWAYS_SAMPLE_PATHS     comma-separated path prefixes always sampled
//	LOG_EXCLUDED_PATHS          comma-separated paths never sampled
//	LOG_FOLLOW_TRACE            true/false: a traceparent's sampled flag decides
//	LOG_REQUEST_BUFFER          true/false: buffer unsampled requests for
//	                            rescue (true gives each zero bound its
//	                            sampling.DefaultOptions value; false sets
//	                            SamplingOptions.MaxRequestRecords to 0; set
//	                            against the bounds below, an error)
//	LOG_REQUEST_BUFFER_RECORDS  integer, 0 or more: records buffered per
//	                            request (0: no buffering)
//	LOG_REQUEST_BUFFER_BYTES    size, at least 1KiB: bytes buffered per request
//	LOG_BUFFER_BYTES            size, at least the per-request size: bytes
//	                            buffered across all requests
//	LOG_AGGREGATION             true/false: fold repetitive system records
//	LOG_AGGREGATION_BURST       integer, 0 or more: records per group passed
//	                            per burst window (0: fold from the first)
//	LOG_AGGREGATION_WINDOW      duration (10s): the longest a summary covers
//	LOG_AGGREGATION_MAX_GROUPS  positive integer: groups tracked at once
//	LOG_REDACT                  true/false: mask secrets
//	LOG_ASYNC                   true/false: the async queue
//	LOG_QUEUE_SIZE              positive integer: records the queue holds
//	LOG_QUEUE_BYTES             size, at least 64KiB: bytes the queue holds
//	LOG_FORCE_KEY               secret, at least 16 bytes: the key that
//	                            forced-sampling tokens (X-Log-Force) are
//	                            verified with (HTTP.ForceKey); the value's
//	                            bytes as set; empty or unset: forcing off
//
// Booleans are those of strconv.ParseBool (true, false, 1, 0, t, f in any
// case). A size is a positive integer of bytes, optionally followed by KiB,
// MiB or GiB. A duration is a positive time.ParseDuration value. A size
// too small to hold what it bounds is rejected like a malformed one: see
// Config.Validate for the minimums.
//
// Each malformed value is reported with an error that names its variable.
// So is a set variable whose name starts with LOG_ (in any case), is not
// one of the above and is within two edits (a letter added, removed,
// changed, or two neighbours swapped) of one of them, or made of other
// forms of its words (LOG_SAMPLE_RATE, LOG_REDACTION):
//
//	LOG_SAMPLNG_RATE: unknown variable; did you mean LOG_SAMPLING_RATE?
//	LOG_SAMPLE_RATE: unknown variable; did you mean LOG_SAMPLING_RATE?
//
// Other LOG_* variables are left alone: other tools use the prefix too.
// The errors of all of them are joined. The Config returned with an error
// has every well-formed variable applied and the others as base has them,
// so a service may report the error and still start.
func ConfigFromEnv(base Config) (Config, error) {
	return configFrom(base, os.LookupEnv, os.Environ)
}

// envParser applies variables to a Config, collecting errors and the
// names of the variables it reads.
type envParser struct {
	lookup func(string) (string, bool)
	known  map[string]bool
	errs   []error
}

func (p *envParser) fail(name, value, want string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %q is not %s", name, value, want))
}

// raw returns the value of a variable as it is set, and records name as a
// known variable.
func (p *envParser) raw(name string) (string, bool) {
	p.known[name] = true
	return p.lookup(name)
}

// get returns the trimmed value of a variable that is set and not blank.
func (p *envParser) get(name string) (string, bool) {
	v, ok := p.raw(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (p *envParser) boolean(name string, dst *bool) {
	v, ok := p.get(name)
	if !ok {
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, v, "true or false")
		return
	}
	*dst = b
}

// integer parses a whole number from least to limit.
func (p *envParser) integer(name string, least, limit int, dst *int) {
	v, ok := p.get(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least || n > limit {
		p.fail(name, v, fmt.Sprintf("an integer from %d to %d", least, limit))
		return
	}
	*dst = n
}

// size parses a byte count: digits, optionally followed by KiB, MiB or
// GiB, of at least minimum bytes; holds says what the minimum is the size
// of.
func (p *envParser) size(name string, minimum int64, holds string, dst *int64) {
	v, ok := p.get(name)
	if !ok {
		return
	}
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if s, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = strings.TrimSpace(s), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt32/mult {
		p.fail(name, v, "a positive size in bytes below 2 GiB (for example 65536, 512KiB or 32MiB)")
		return
	}
	if n*mult < minimum {
		p.tooSmall(name, v, minimum, holds)
		return
	}
	*dst = n * mult
}

// tooSmall reports a size below the minimum the variable needs.
func (p *envParser) tooSmall(name, value string, minimum int64, holds string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %q is below the minimum %s: it must hold %s", name, value, formatSize(minimum), holds))
}

func (p *envParser) duration(name string, dst *time.Duration) {
	v, ok := p.get(name)
	if !ok {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, v, "a positive duration such as 10s or 1m")
		return
	}
	*dst = d
}

// paths parses a comma-separated list; a set but empty variable is an
// empty list.
func (p *envParser) paths(name string, dst *[]string) {
	v, ok := p.raw(name)
	if !ok {
		return
	}
	var list []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.ContainsFunc(part, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			p.fail(name, v, "a comma-separated list of paths without spaces or control characters")
			return
		}
		list = append(list, part)
	}
	*dst = list
}

// configFrom is ConfigFromEnv reading the environment through lookup and
// listing it through environ (in the form "key=value", as os.Environ).
func configFrom(base Config, lookup func(string) (string, bool), environ func() []string) (Config, error) {
	cfg := base
	p := &envParser{lookup: lookup, known: map[string]bool{}}
	p.apply(&cfg)
	p.errs = append(p.errs, misspelledVariables(environ(), p.known)...)
	return cfg, errors.Join(p.errs...)
}

// apply applies every variable to cfg. It reads each one whether or not
// it is set, so that afterwards p.known holds every known name.
func (p *envParser) apply(cfg *Config) {
	p.preset(cfg)
	p.general(cfg)
	p.sampling(cfg)
	p.aggregation(cfg)
	p.boolean("LOG_REDACT", &cfg.Redact)
	p.async(cfg)
	p.forceKey(cfg)
}

// forceKey applies LOG_FORCE_KEY: the bytes of its value, as set (not
// trimmed), become HTTP.ForceKey; set empty, it turns forced sampling off.
// A value of 1 to 15 bytes is an error that gives its length, never the
// value: the key is a secret.
func (p *envParser) forceKey(cfg *Config) {
	v, ok := p.raw("LOG_FORCE_KEY")
	if !ok {
		return
	}
	if len(v) > 0 && len(v) < minForceKeyBytes {
		p.errs = append(p.errs, fmt.Errorf("LOG_FORCE_KEY: the key has %d bytes; it must have at least %d (32 random bytes are best, for example the output of openssl rand -base64 32)", len(v), minForceKeyBytes))
		return
	}
	if v == "" {
		cfg.HTTP.ForceKey = nil
		return
	}
	cfg.HTTP.ForceKey = []byte(v)
}

// preset applies LOG_PRESET, before every other variable: development
// (any case) applies DevelopmentConfig's changes over cfg, production
// leaves cfg as it is.
func (p *envParser) preset(cfg *Config) {
	v, ok := p.get("LOG_PRESET")
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "development":
		applyDevelopment(cfg)
	case "production":
	default:
		p.fail("LOG_PRESET", v, "production or development")
	}
}

// general applies the variables of the output handler and the correlation
// handler.
func (p *envParser) general(cfg *Config) {
	if v, ok := p.get("LOG_LEVEL"); ok {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			p.fail("LOG_LEVEL", v, "one of debug, info, warn, error")
		} else {
			cfg.Level = l
		}
	}
	p.format(&cfg.Format)
	p.boolean("LOG_ADD_SOURCE", &cfg.AddSource)
	p.stacktrace(cfg)
	p.boolean("LOG_CORRELATION", &cfg.Correlation)
}

// stacktrace applies LOG_STACKTRACE: off (any case) turns stack traces
// off; a level (as LOG_LEVEL takes it) turns them on from that level.
func (p *envParser) stacktrace(cfg *Config) {
	v, ok := p.get("LOG_STACKTRACE")
	if !ok {
		return
	}
	if strings.EqualFold(v, "off") {
		cfg.Stacktrace = false
		return
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail("LOG_STACKTRACE", v, "off or one of debug, info, warn, error")
		return
	}
	cfg.Stacktrace, cfg.StacktraceLevel = true, l
}

// format applies LOG_FORMAT: json or text, in any case.
func (p *envParser) format(dst *Format) {
	v, ok := p.get("LOG_FORMAT")
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "json":
		*dst = FormatJSON
	case "text":
		*dst = FormatText
	default:
		p.fail("LOG_FORMAT", v, "json or text")
	}
}

// sampling applies the variables of the sampling policy and buffer.
func (p *envParser) sampling(cfg *Config) {
	p.boolean("LOG_SAMPLING", &cfg.Sampling)
	if v, ok := p.get("LOG_SAMPLING_RATE"); ok {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r >= 0 && r <= 1) { // also rejects NaN
			p.fail("LOG_SAMPLING_RATE", v, "a number from 0 to 1")
		} else {
			cfg.SamplingPolicy.Rate = r
		}
	}
	p.paths("LOG_ALWAYS_SAMPLE_PATHS", &cfg.SamplingPolicy.AlwaysSamplePaths)
	p.paths("LOG_EXCLUDED_PATHS", &cfg.SamplingPolicy.ExcludedPaths)
	p.boolean("LOG_FOLLOW_TRACE", &cfg.SamplingPolicy.FollowTrace)
	p.bufferSwitch(&cfg.SamplingOptions)
	p.integer("LOG_REQUEST_BUFFER_RECORDS", 0, math.MaxInt32, &cfg.SamplingOptions.MaxRequestRecords)
	p.bufferSizes(&cfg.SamplingOptions)
	p.bufferConflict(cfg.SamplingOptions)
}

// bufferConflict reports LOG_REQUEST_BUFFER set against the bounds set with
// it: false with a bound that buffers (LOG_REQUEST_BUFFER_RECORDS above 0,
// or a byte size), or true with LOG_REQUEST_BUFFER_RECORDS=0. Either way
// one of the two would be silently ignored.
func (p *envParser) bufferConflict(o sampling.Options) {
	v, ok := p.get("LOG_REQUEST_BUFFER")
	on, err := strconv.ParseBool(v)
	if !ok || err != nil {
		return
	}
	for _, name := range []string{"LOG_REQUEST_BUFFER_RECORDS", "LOG_REQUEST_BUFFER_BYTES", "LOG_BUFFER_BYTES"} {
		w, set := p.get(name)
		if !set {
			continue
		}
		buffers := name != "LOG_REQUEST_BUFFER_RECORDS" || o.MaxRequestRecords > 0
		if on != buffers {
			p.errs = append(p.errs, fmt.Errorf("LOG_REQUEST_BUFFER=%s contradicts %s=%s: set one of them", v, name, w))
		}
	}
}

// bufferSwitch applies LOG_REQUEST_BUFFER: false turns buffering off (no
// records buffered per request), true turns it on, each bound that is zero
// taking its sampling.DefaultOptions value.
func (p *envParser) bufferSwitch(o *sampling.Options) {
	v, ok := p.get("LOG_REQUEST_BUFFER")
	if !ok {
		return
	}
	on, err := strconv.ParseBool(v)
	switch {
	case err != nil:
		p.fail("LOG_REQUEST_BUFFER", v, "true or false")
	case !on:
		o.MaxRequestRecords = 0
	default:
		d := sampling.DefaultOptions()
		if o.MaxRequestRecords <= 0 {
			o.MaxRequestRecords = d.MaxRequestRecords
		}
		if o.MaxRequestBytes <= 0 {
			o.MaxRequestBytes = d.MaxRequestBytes
		}
		if o.MaxBufferedBytes <= 0 {
			o.MaxBufferedBytes = d.MaxBufferedBytes
		}
	}
}

// aggregation applies the variables of the aggregation handler.
func (p *envParser) aggregation(cfg *Config) {
	p.boolean("LOG_AGGREGATION", &cfg.Aggregation)
	p.integer("LOG_AGGREGATION_BURST", 0, math.MaxInt32, &cfg.AggregationOptions.Burst)
	p.duration("LOG_AGGREGATION_WINDOW", &cfg.AggregationOptions.Window)
	p.integer("LOG_AGGREGATION_MAX_GROUPS", 1, 1<<20, &cfg.AggregationOptions.MaxGroups)
}

// async applies the variables of the async queue.
func (p *envParser) async(cfg *Config) {
	p.boolean("LOG_ASYNC", &cfg.Async)
	p.integer("LOG_QUEUE_SIZE", 1, maxQueueSize, &cfg.AsyncOptions.Capacity)
	var queueBytes int64
	p.size("LOG_QUEUE_BYTES", minQueueBytes, "one block of the queue", &queueBytes)
	if queueBytes > 0 {
		cfg.AsyncOptions.MaxBytes = int(queueBytes)
	}
}

// bufferSizes applies LOG_REQUEST_BUFFER_BYTES and LOG_BUFFER_BYTES: a
// request's buffer must hold a record, and the buffer of all requests must
// hold the buffer of one. When LOG_BUFFER_BYTES is not applied (unset or
// rejected) and the per-request size exceeds the buffer of all requests
// as o has it, the per-request variable is the one rejected.
func (p *envParser) bufferSizes(o *sampling.Options) {
	var reqBytes, totalBytes int64
	p.size("LOG_REQUEST_BUFFER_BYTES", minRequestBufferBytes, "one record", &reqBytes)
	effectiveReq := reqBytes
	if effectiveReq == 0 {
		effectiveReq = max(int64(o.MaxRequestBytes), minRequestBufferBytes)
	}
	p.size("LOG_BUFFER_BYTES", effectiveReq, "the buffer of one request (LOG_REQUEST_BUFFER_BYTES)", &totalBytes)
	if totalBytes == 0 && o.MaxBufferedBytes > 0 && reqBytes > o.MaxBufferedBytes {
		v, _ := p.get("LOG_REQUEST_BUFFER_BYTES")
		p.errs = append(p.errs, fmt.Errorf("LOG_REQUEST_BUFFER_BYTES: %q is above the maximum %s: the buffer of all requests (LOG_BUFFER_BYTES) must hold it; raise LOG_BUFFER_BYTES too",
			v, formatSize(o.MaxBufferedBytes)))
		reqBytes = 0
	}
	if reqBytes > 0 {
		o.MaxRequestBytes = int(reqBytes)
	}
	if totalBytes > 0 {
		o.MaxBufferedBytes = totalBytes
	}
}
