package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/httpctx"
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
}

// logging is the service's logging stack: the one handler.NewStack builds
// from the LOG_* environment, its HTTP middleware, and a timer around it
// that measures what each log call costs its caller.
type logging struct {
	cfg        handler.Config
	stack      *handler.Stack
	logger     *slog.Logger
	middleware func(http.Handler) http.Handler
	callers    *histogram
}

// newLogging builds the stack from the environment (handler.ConfigFromEnv).
// The service logs its database pool at DEBUG, so unless LOG_LEVEL says
// otherwise it logs from DEBUG on, giving the aggregation work to do.
func newLogging(w io.Writer) (*logging, error) {
	cfg, err := handler.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	if os.Getenv("LOG_LEVEL") == "" {
		cfg.Level = slog.LevelDebug
	}
	if len(cfg.SamplingPolicy.AlwaysSamplePaths) == 0 && os.Getenv("LOG_ALWAYS_SAMPLE_PATHS") == "" {
		// Every payment is worth its log lines.
		cfg.SamplingPolicy.AlwaysSamplePaths = []string{"/api/v1/payments"}
	}
	stack, err := handler.NewStack(w, cfg)
	if err != nil {
		return nil, err
	}
	callers := &histogram{}
	logger := slog.New(&timedHandler{next: stack.Handler(), hist: callers})
	opts := stack.HTTPOptions()
	opts.Logger = logger // access records and httpctx.Logger(ctx) go through the timer too
	opts.Recover = true
	return &logging{
		cfg:        cfg,
		stack:      stack,
		logger:     logger,
		middleware: httpctx.Middleware(opts),
		callers:    callers,
	}, nil
}

// shutdown writes the aggregation's open summaries, then drains the async
// queue.
func (l *logging) shutdown(ctx context.Context) error { return l.stack.Shutdown(ctx) }

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
	}
	return out
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
		p := l.stack.HTTPOptions().Policy
		s := fmt.Sprintf("sampling %g%%", 100*p.EffectiveRate())
		if len(p.AlwaysSamplePaths) > 0 {
			s += " (always " + strings.Join(p.AlwaysSamplePaths, ",") + ")"
		}
		if p.FollowTrace {
			s += " following traces"
		}
		if c.SamplingOptions.DisableBuffering {
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
