package handler

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

// ConfigFromEnv returns DefaultConfig with the LOG_* environment variables
// applied. Every variable is optional; an unset or empty one keeps the
// default, except the two path lists, where an empty value means an empty
// list.
//
//	LOG_LEVEL                   debug, info, warn or error (any case; slog's
//	                            offsets such as info+2 too)
//	LOG_ADD_SOURCE              true/false: add file:line to each record
//	LOG_CORRELATION             true/false: correlation_id, trace_id, span_id
//	LOG_SAMPLING                true/false: the sampling layer
//	LOG_SAMPLING_RATE           0 to 1: fraction of requests sampled
//	LOG_ALWAYS_SAMPLE_PATHS     comma-separated path prefixes always sampled
//	LOG_EXCLUDED_PATHS          comma-separated paths never sampled
//	                            (unset: /health,/healthz,/livez,/readyz)
//	LOG_FOLLOW_TRACE            true/false: a traceparent's sampled flag decides
//	LOG_REQUEST_BUFFER          true/false: buffer unsampled requests for rescue
//	LOG_REQUEST_BUFFER_RECORDS  positive integer: records buffered per request
//	LOG_REQUEST_BUFFER_BYTES    size, at least 1KiB: bytes buffered per request
//	LOG_BUFFER_BYTES            size, at least the per-request size: bytes
//	                            buffered across all requests
//	LOG_AGGREGATION             true/false: fold repetitive system records
//	LOG_AGGREGATION_BURST       positive integer: records per group passed per second
//	LOG_AGGREGATION_WINDOW      duration (10s): the longest a summary covers
//	LOG_AGGREGATION_MAX_GROUPS  positive integer: groups tracked at once
//	LOG_REDACT                  true/false: mask secrets
//	LOG_ASYNC                   true/false: the async queue
//	LOG_QUEUE_SIZE              positive integer: records the queue holds
//	LOG_QUEUE_BYTES             size, at least 64KiB: bytes the queue holds
//	LOG_EXPVAR                  expvar name for the stats, "-" for none
//
// Booleans are those of strconv.ParseBool (true, false, 1, 0, t, f in any
// case). A size is a positive integer of bytes, optionally followed by KiB,
// MiB or GiB. A duration is a positive time.ParseDuration value. A size
// too small to hold what it bounds is rejected like a malformed one: see
// Config.Validate for the minimums.
//
// Each malformed value is reported with an error that names its variable;
// the errors of all of them are joined. The Config returned with an error
// has every well-formed variable applied and the others at their defaults,
// so a service may report the error and still start.
func ConfigFromEnv() (Config, error) {
	return configFrom(os.LookupEnv)
}

// envParser applies variables to a Config, collecting errors.
type envParser struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (p *envParser) fail(name, value, want string) {
	p.errs = append(p.errs, fmt.Errorf("%s: %q is not %s", name, value, want))
}

// get returns the trimmed value of a variable that is set and not empty.
func (p *envParser) get(name string) (string, bool) {
	v, ok := p.lookup(name)
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

func (p *envParser) positive(name string, limit int, dst *int) {
	v, ok := p.get(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > limit {
		p.fail(name, v, fmt.Sprintf("an integer from 1 to %d", limit))
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
// empty, non-nil list.
func (p *envParser) paths(name string, dst *[]string) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	list := []string{}
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

func configFrom(lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	p := &envParser{lookup: lookup}

	if v, ok := p.get("LOG_LEVEL"); ok {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			p.fail("LOG_LEVEL", v, "one of debug, info, warn, error")
		} else {
			cfg.Level = l
		}
	}
	p.boolean("LOG_ADD_SOURCE", &cfg.AddSource)
	p.boolean("LOG_CORRELATION", &cfg.Correlation)

	p.boolean("LOG_SAMPLING", &cfg.Sampling)
	if v, ok := p.get("LOG_SAMPLING_RATE"); ok {
		r, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil || !(r >= 0 && r <= 1): // also rejects NaN
			p.fail("LOG_SAMPLING_RATE", v, "a number from 0 to 1")
		case r == 0:
			cfg.SamplingPolicy.Rate = -1 // sampling.Policy reads 0 as its default rate
		default:
			cfg.SamplingPolicy.Rate = r
		}
	}
	p.paths("LOG_ALWAYS_SAMPLE_PATHS", &cfg.SamplingPolicy.AlwaysSamplePaths)
	p.paths("LOG_EXCLUDED_PATHS", &cfg.SamplingPolicy.ExcludedPaths)
	p.boolean("LOG_FOLLOW_TRACE", &cfg.SamplingPolicy.FollowTrace)
	buffering := !cfg.SamplingOptions.DisableBuffering
	p.boolean("LOG_REQUEST_BUFFER", &buffering)
	cfg.SamplingOptions.DisableBuffering = !buffering
	p.positive("LOG_REQUEST_BUFFER_RECORDS", math.MaxInt32, &cfg.SamplingOptions.MaxRequestRecords)
	p.bufferSizes(&cfg.SamplingOptions)

	p.boolean("LOG_AGGREGATION", &cfg.Aggregation)
	p.positive("LOG_AGGREGATION_BURST", math.MaxInt32, &cfg.AggregationOptions.Burst)
	p.duration("LOG_AGGREGATION_WINDOW", &cfg.AggregationOptions.Window)
	p.positive("LOG_AGGREGATION_MAX_GROUPS", 1<<20, &cfg.AggregationOptions.MaxGroups)

	p.boolean("LOG_REDACT", &cfg.Redact)

	p.boolean("LOG_ASYNC", &cfg.Async)
	p.positive("LOG_QUEUE_SIZE", maxQueueSize, &cfg.AsyncOptions.Capacity)
	var queueBytes int64
	p.size("LOG_QUEUE_BYTES", minQueueBytes, "one block of the queue", &queueBytes)
	if queueBytes > 0 {
		cfg.AsyncOptions.MaxBytes = int(queueBytes)
	}

	if v, ok := p.get("LOG_EXPVAR"); ok {
		cfg.ExpvarName = v
	}
	return cfg, errors.Join(p.errs...)
}

// bufferSizes applies LOG_REQUEST_BUFFER_BYTES and LOG_BUFFER_BYTES: a
// request's buffer must hold a record, and the buffer of all requests must
// hold the buffer of one. When LOG_BUFFER_BYTES is not applied (unset or
// rejected) and the per-request size exceeds the default total, the
// per-request variable is the one rejected.
func (p *envParser) bufferSizes(o *sampling.Options) {
	var reqBytes, totalBytes int64
	p.size("LOG_REQUEST_BUFFER_BYTES", minRequestBufferBytes, "one record", &reqBytes)
	effectiveReq := reqBytes
	if effectiveReq == 0 {
		effectiveReq = sampling.DefaultMaxRequestBytes
	}
	p.size("LOG_BUFFER_BYTES", effectiveReq, "the buffer of one request (LOG_REQUEST_BUFFER_BYTES)", &totalBytes)
	if totalBytes == 0 && reqBytes > sampling.DefaultMaxBufferedBytes {
		v, _ := p.get("LOG_REQUEST_BUFFER_BYTES")
		p.errs = append(p.errs, fmt.Errorf("LOG_REQUEST_BUFFER_BYTES: %q is above the maximum %s: the buffer of all requests (LOG_BUFFER_BYTES) must hold it; raise LOG_BUFFER_BYTES too",
			v, formatSize(sampling.DefaultMaxBufferedBytes)))
		reqBytes = 0
	}
	if reqBytes > 0 {
		o.MaxRequestBytes = int(reqBytes)
	}
	if totalBytes > 0 {
		o.MaxBufferedBytes = totalBytes
	}
}
