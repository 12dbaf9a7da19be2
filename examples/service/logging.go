package main

import (
	"context"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack"
	"github.com/slogstack/slogstack/otlpsink"
)

// stackStats are the logging stack's counters the report shows.
type stackStats struct {
	Logged       uint64 // records handed to the stack
	SampledOut   uint64 // records of requests not sampled, dropped
	Rescued      uint64 // records of requests not sampled, written because of an error
	Folded       uint64 // records folded into aggregation summaries
	Summaries    uint64 // summary records the aggregation wrote
	AsyncDropped uint64 // records the async queue dropped
	DropReports  uint64 // in-band records reporting the queue's drops
	InFlight     uint64 // records the sink is still taking (a shutdown that gave up at its deadline left the call running)
}

// logging is the service's logging stack: the one slogstack.NewStack
// builds from the LOG_* environment over the service's defaults, and a
// timer around it that measures what each of the service's own log calls
// costs its caller. The access and panic records of the stack's HTTP
// middleware are logged through the stack's own logger, so the timer does
// not see them.
type logging struct {
	cfg     slogstack.Config
	stack   *slogstack.Stack
	logger  *slog.Logger // the stack's logger behind the timer
	callers *histogram

	// Where the records go: a log output whose lines are counted, or the
	// OTLP pipeline (-otlp-endpoint).
	output *logOutput
	lines  *lineCounter
	otlp   *otlpPipeline // nil without -otlp-endpoint
}

// baseConfig is the service's configuration before the environment:
// slogstack.DefaultConfig, logging from DEBUG on (the service logs its
// database pool at DEBUG, which gives the aggregation work to do), every
// payment sampled, and panics in handlers answered with 500 instead of
// re-raised. LOG_LEVEL and LOG_ALWAYS_SAMPLE_PATHS override the first two.
func baseConfig() slogstack.Config {
	cfg := slogstack.DefaultConfig()
	cfg.Level = slog.LevelDebug
	cfg.SamplingPolicy.AlwaysSamplePaths = []string{"/api/v1/payments"}
	cfg.HTTP.Recover = true
	return cfg
}

// loggingConfigFor is loggingConfig for the service's flags: with
// -otlp-endpoint the stack leaves the trace_id and span_id attributes out
// (Scope.OmitTrace), since an OTLP log record carries the trace and span
// IDs of its context in fields of its own.
func loggingConfigFor(o options) (slogstack.Config, error) {
	base := baseConfig()
	if o.otlpEndpoint != "" {
		base.Scope.OmitTrace = true
	}
	return slogstack.ConfigFromEnv(base)
}

// loggingConfig is the environment applied over baseConfig
// (slogstack.ConfigFromEnv): an error names every bad or misspelled LOG_*
// variable.
func loggingConfig() (slogstack.Config, error) {
	return slogstack.ConfigFromEnv(baseConfig())
}

// newLogging builds the stack from the environment applied over
// baseConfig and publishes its counters as the expvar "slogstack".
func newLogging(w io.Writer) (*logging, error) {
	cfg, err := loggingConfig()
	if err != nil {
		return nil, err
	}
	return newLoggingWith(w, cfg)
}

// newLoggingWith builds the stack of cfg writing to w and publishes its
// counters as the expvar "slogstack".
func newLoggingWith(w io.Writer, cfg slogstack.Config) (*logging, error) {
	stack, err := slogstack.NewStack(w, cfg)
	if err != nil {
		return nil, err
	}
	publishStats(stack, nil)
	callers := &histogram{}
	return &logging{
		cfg:     cfg,
		stack:   stack,
		logger:  slog.New(&timedHandler{next: stack.Handler(), hist: callers}),
		callers: callers,
	}, nil
}

// published is the stack whose counters the expvar "slogstack" shows,
// and the OTLP pipeline whose counters "otlp_export" shows (nil without
// -otlp-endpoint).
var published struct {
	once   sync.Once
	stack  atomic.Pointer[slogstack.Stack]
	export atomic.Pointer[otlpsink.Stack]
}

// publishStats shows the stack's counters at /debug/vars. A service
// that builds one stack does it in one line:
//
//	expvar.Publish("slogstack", expvar.Func(func() any { return stack.Stats() }))
//
// expvar panics on a name published twice, and the tests run the service
// several times in one process, so the name is published once and shows
// the stack built last. With -otlp-endpoint, export is the pipeline
// behind it, and "otlp_export" shows its otlpsink.ExportStats (null
// without one): an operator sees a Collector outage there as it happens
// (Pending growing, FailedExports and LastError), not only in the report
// at exit.
func publishStats(stack *slogstack.Stack, export *otlpsink.Stack) {
	published.stack.Store(stack)
	published.export.Store(export)
	published.once.Do(func() {
		expvar.Publish("slogstack", expvar.Func(func() any { return published.stack.Load().Stats() }))
		expvar.Publish("otlp_export", expvar.Func(func() any {
			if p := published.export.Load(); p != nil {
				return p.ExportStats()
			}
			return nil
		}))
	})
}

// shutdown writes the aggregation's open summaries, then drains the async
// queue and, with -otlp-endpoint, the batch processor and the exporter.
//
// A shutdown that gives up at ctx's deadline can leave the async queue's
// call into the sink running (the record it was handing on when the
// deadline came: with -otlp-endpoint, one waiting for room in the batch
// processor, which the pipeline's shutdown then lets go). That record is
// neither written nor lost until the call returns, so shutdown waits for
// it, at most sinkGrace beyond ctx, for the report to count it once
// where it went; a call still running then is the report's "still being
// written" row.
func (l *logging) shutdown(ctx context.Context) error {
	var err error
	if l.otlp != nil {
		err = l.otlp.shutdown(ctx)
	} else {
		err = l.stack.Shutdown(ctx)
	}
	l.awaitSink(sinkGrace)
	return err
}

// sinkGrace is how long shutdown waits, after the stack's shutdown
// returned, for a call into the sink it left running.
const sinkGrace = time.Second

// awaitSink waits until the async queue has no record in a call into the
// sink, or grace has passed.
func (l *logging) awaitSink(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for l.stats().InFlight > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// written is the number of records that reached the sink: lines of the
// log output, or records handed to the OTLP pipeline.
func (l *logging) written() uint64 {
	if l.otlp != nil {
		return l.otlp.stats().Handed
	}
	if l.lines == nil {
		return 0
	}
	return l.lines.lines.Load()
}

// exportStats are the OTLP pipeline's counters; nil without -otlp-endpoint.
func (l *logging) exportStats() *exportStats {
	if l.otlp == nil {
		return nil
	}
	st := l.otlp.stats()
	return &st
}

// describeOutput names where the records went, for the report.
func (l *logging) describeOutput() string {
	if l.otlp != nil {
		return l.otlp.describe()
	}
	if l.output == nil {
		return "none"
	}
	return l.output.describe()
}

func (l *logging) stats() stackStats {
	st := l.stack.Stats()
	out := stackStats{Logged: st.Records}
	if s := st.Sampling; s != nil {
		out.SampledOut = s.RecordsDropped + s.RecordsDiscarded + s.RecordsLostRequestBound + s.RecordsLostGlobalBudget
		out.Rescued = s.RecordsRescued
	}
	if a := st.Aggregation; a != nil {
		out.Folded = a.Folded
		out.Summaries = a.Summaries.Total() - a.SummariesDisabled
	}
	if a := st.Async; a != nil {
		out.AsyncDropped = a.Dropped + a.Lost
		out.DropReports = a.Reports
		out.InFlight = uint64(a.InFlight)
	}
	return out
}

// sampleRate is the fraction of new requests whose records the stack
// writes: the policy's Rate (1 or more samples all), or 1 with sampling off.
func (l *logging) sampleRate() float64 {
	if !l.cfg.Sampling {
		return 1
	}
	return min(max(l.cfg.SamplingPolicy.Rate, 0), 1)
}

// describe summarises the stack's configuration for the report.
func (l *logging) describe() string {
	c := l.cfg
	var parts []string
	parts = append(parts, "level "+c.Level.Level().String())
	if c.Correlation {
		parts = append(parts, "correlation")
	}
	if c.Sampling {
		p := c.SamplingPolicy
		s := fmt.Sprintf("sampling %g%%", 100*l.sampleRate())
		if len(p.AlwaysSamplePaths) > 0 {
			s += " (always " + strings.Join(p.AlwaysSamplePaths, ",") + ")"
		}
		if p.FollowTrace {
			s += " following traces"
		}
		if c.SamplingOptions.MaxRequestRecords == 0 {
			s += " without rescue buffers"
		}
		parts = append(parts, s)
	}
	if c.Aggregation {
		parts = append(parts, "aggregation")
	}
	if c.Redact {
		parts = append(parts, "redaction")
	}
	if c.Async {
		parts = append(parts, "async queue")
	}
	return strings.Join(parts, ", ")
}

// timedHandler measures the time each record spends in the stack below it:
// the caller's cost of a log call beyond slog.Logger's own.
type timedHandler struct {
	next slog.Handler
	hist *histogram
}

func (h *timedHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *timedHandler) Handle(ctx context.Context, r slog.Record) error {
	start := time.Now()
	err := h.next.Handle(ctx, r)
	h.hist.Record(time.Since(start))
	return err
}

func (h *timedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &timedHandler{next: h.next.WithAttrs(as), hist: h.hist}
}

func (h *timedHandler) WithGroup(name string) slog.Handler {
	return &timedHandler{next: h.next.WithGroup(name), hist: h.hist}
}
