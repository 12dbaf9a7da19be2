package slogstack

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/handler"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// Stack is a logging stack built from a Config: the wrappers that the
// Config switches on, in the order docs/architecture.md states, over a
// JSONHandler or a slog.TextHandler (NewStack) or the sink given to
// NewStackWithSink. Features that the Config switches off are left out,
// not bypassed.
//
// A Stack owns goroutines when aggregation or async is on: call Shutdown
// before the process exits. Its methods are safe for concurrent use.
type Stack struct {
	cfg     Config
	policy  *sampling.PolicyVar // the sampling policy in force, Config.SamplingPolicy at first
	decider sampling.Decider    // what scopes are opened with (Config.decider)
	level   *slog.LevelVar      // the level the stack filters with (Level)
	top     *stackHandler
	logger  *slog.Logger

	controlMu sync.Mutex // serialises ControlHandler's PUTs; never taken on the log path

	correlation *scope.Handler
	sampling    *sampling.Handler
	aggregation *aggregation.Handler
	redact      *redact.Handler
	asyncH      *async.Handler
	asyncW      *async.Writer

	httpMiddleware func(http.Handler) http.Handler
	httpStats      func() httpctx.Stats
	httpUsed       atomic.Bool

	layers []string // from the bottom up, as build assembled them (String)

	shutdownStarted atomic.Bool
	shutdownDone    chan struct{} // closed when the first Shutdown returns
	shutdownErr     error         // its result, set before shutdownDone closes
}

// NewStack builds the stack cfg describes over a handler writing to w: a
// handler.JSONHandler, or a slog.TextHandler when cfg.Format is
// FormatText, with cfg's Level, AddSource and ReplaceAttr. It returns an
// error, and builds nothing, when cfg does not validate (Config.Validate)
// or w is nil.
//
// With async on, each record is encoded on the caller's goroutine and its
// bytes queued for w (async.Writer); both handlers write a record with one
// Write call, which the queue takes as one entry. The background goroutine then only
// copies bytes, so it outpaces the callers and a healthy sink loses
// nothing, and the queue holds no reference to the caller's values. The
// queue's drop report is a line in the same format (cfg.Format), written
// without ReplaceAttr, unless cfg.AsyncOptions.ReportHandler is set.
func NewStack(w io.Writer, cfg Config) (*Stack, error) {
	if w == nil {
		return nil, errors.New("slogstack: NewStack: nil writer")
	}
	return build(cfg, func(s *Stack) slog.Handler {
		out := w
		s.layers = append(s.layers, "io.Writer")
		if cfg.Async {
			queue := cfg.AsyncOptions
			if cfg.Format == FormatText && queue.ReportHandler == nil {
				// The queue's drop report in the stream's format.
				queue.ReportHandler = func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }
			}
			s.asyncW = async.NewWriter(w, queue)
			out = s.asyncW
			s.layers = append(s.layers, "async.Writer")
		}
		opts := &slog.HandlerOptions{
			Level:       s.level,
			AddSource:   cfg.AddSource,
			ReplaceAttr: cfg.ReplaceAttr,
		}
		if cfg.Format == FormatText {
			s.layers = append(s.layers, "slog.TextHandler")
			return slog.NewTextHandler(out, opts)
		}
		s.layers = append(s.layers, "handler.JSONHandler")
		return handler.NewJSONHandler(out, opts)
	})
}

// NewStackWithSink builds the stack cfg describes in front of sink, any
// slog.Handler: the OpenTelemetry log bridge, a text handler, a fan-out.
// The sink encodes the records, so cfg.Format is ignored, and a
// cfg.ReplaceAttr or cfg.AddSource is an error (set them on the sink:
// ignored, they would change the output silently); cfg.Level applies,
// before any wrapper. With async on, records are queued for sink
// (async.Handler) and handed to it on the queue's goroutine, with the
// values of their context (the span) intact. It returns an error, and
// builds nothing, when cfg does not validate, sets ReplaceAttr or
// AddSource, or sink is nil.
func NewStackWithSink(sink slog.Handler, cfg Config) (*Stack, error) {
	if sink == nil {
		return nil, errors.New("slogstack: NewStackWithSink: nil sink")
	}
	if err := cfg.validateForSink(); err != nil {
		return nil, err
	}
	return build(cfg, func(s *Stack) slog.Handler {
		s.layers = append(s.layers, "sink")
		if cfg.Async {
			s.asyncH = async.NewHandler(sink, cfg.AsyncOptions)
			s.layers = append(s.layers, "async.Handler")
			return s.asyncH
		}
		return sink
	})
}

// build validates cfg (Config.Validate), makes the base with base and
// assembles the wrappers on it, bottom up, then the HTTP middleware.
func build(cfg Config, base func(*Stack) slog.Handler) (*Stack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.HTTP.ForceKey = slices.Clone(cfg.HTTP.ForceKey) // the caller's slice stays the caller's
	s := &Stack{cfg: cfg, policy: new(sampling.PolicyVar), shutdownDone: make(chan struct{})}
	s.policy.Store(cfg.SamplingPolicy)
	s.decider = cfg.decider(s.policy)
	s.level = levelVarOf(cfg.level())
	h := base(s)
	if cfg.Redact {
		s.redact = redact.NewHandler(h, cfg.RedactOptions)
		h = s.redact
		s.layers = append(s.layers, "redact.Handler")
	}
	if cfg.Aggregation {
		s.aggregation = aggregation.NewHandler(h, cfg.AggregationOptions)
		h = s.aggregation
		s.layers = append(s.layers, "aggregation.Handler")
	}
	if cfg.Correlation {
		s.correlation = scope.NewHandler(h, cfg.Scope)
		h = s.correlation
		s.layers = append(s.layers, "scope.Handler")
	}
	// Sampling sits on top: a record of a request that is not sampled stops
	// there (or waits in its request's buffer) before any other layer has
	// worked on it. A buffered record keeps its context, so the correlation
	// attributes are added when it is written.
	if cfg.Sampling {
		s.sampling = sampling.NewHandler(h, cfg.SamplingOptions)
		h = s.sampling
		s.layers = append(s.layers, "sampling.Handler")
	}
	s.top = &stackHandler{next: h, level: s.level, records: new(counter.Counter),
		stacktrace: stacktraceRule{on: cfg.Stacktrace, level: cfg.StacktraceLevel}}
	s.logger = slog.New(s.top)
	s.httpMiddleware, s.httpStats = buildMiddleware(s.httpOptions())
	return s, nil
}

// String describes the layers the stack is made of, from the top (the
// logger's handler) down to the output, in the order build assembled them,
// for example "sampling.Handler -> scope.Handler -> handler.JSONHandler ->
// io.Writer". docs/architecture.md explains the order.
func (s *Stack) String() string {
	var b strings.Builder
	for i := len(s.layers) - 1; i >= 0; i-- {
		b.WriteString(s.layers[i])
		if i > 0 {
			b.WriteString(" -> ")
		}
	}
	return b.String()
}

// Logger returns the stack's logger.
func (s *Stack) Logger() *slog.Logger { return s.logger }

// Handler returns the top of the stack, for callers that wrap it further
// or build their own loggers on it.
func (s *Stack) Handler() slog.Handler { return s.top }
