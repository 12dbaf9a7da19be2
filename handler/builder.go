package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/async"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/redact"
	"github.com/slogstack/slogstack/sampling"
)

// New builds the logging stack cfg describes, writing JSON lines to w, and
// returns its logger and its shutdown function. It is NewStack for callers
// that need nothing but those two:
//
//	cfg, err := handler.ConfigFromEnv()
//	if err != nil { ... }
//	logger, shutdown, err := handler.New(os.Stdout, cfg)
//	if err != nil { ... }
//	defer shutdown(context.Background())
//
// The shutdown function writes the aggregation's open summaries, then
// drains the async queue, and returns; see Stack.Shutdown.
func New(w io.Writer, cfg Config) (*slog.Logger, func(context.Context) error, error) {
	s, err := NewStack(w, cfg)
	if err != nil {
		return nil, nil, err
	}
	return s.Logger(), s.Shutdown, nil
}

// Stack is a logging stack built from a Config: from the top,
// sampling.Handler, the correlation attributes (httpctx.Handler),
// aggregation.Handler, redact.Handler, the async queue, and the sink
// (JSONHandler, or the handler given to NewStackWithSink). Features that
// the Config switches off are left out, not bypassed.
//
// Its methods are safe for concurrent use.
type Stack struct {
	cfg    Config
	top    *stackHandler
	logger *slog.Logger

	correlation *httpctx.Handler
	sampling    *sampling.Handler
	aggregation *aggregation.Handler
	redact      *redact.Handler
	asyncH      *async.Handler
	asyncW      *async.Writer

	shutdownOnce sync.Once
	shutdownErr  error
}

// NewStack builds the stack cfg describes over a JSONHandler writing to w,
// with cfg's Level, AddSource and ReplaceAttr. With async on, the JSON is
// encoded on the caller's goroutine and its bytes queued for w
// (async.Writer). The background goroutine then only copies bytes, so it
// outpaces the callers and a healthy sink loses nothing (a queue of records
// that goroutine must encode overflows under callers at full speed), and
// the queue holds no reference to the caller's values.
//
// It publishes the stack's Stats with expvar (see Config.ExpvarName).
func NewStack(w io.Writer, cfg Config) (*Stack, error) {
	return newStack(w, cfg, false)
}

// newStack is NewStack; with queueRecords the async layer queues records
// above the JSON handler (async.Handler) instead of bytes below it, the
// alternative the benchmarks measure.
func newStack(w io.Writer, cfg Config, queueRecords bool) (*Stack, error) {
	if w == nil {
		return nil, errors.New("handler: NewStack: nil writer")
	}
	return build(cfg, func(s *Stack) slog.Handler {
		out := w
		if cfg.Async && !queueRecords {
			s.asyncW = async.NewWriter(w, cfg.AsyncOptions)
			out = s.asyncW
		}
		var h slog.Handler = NewJSONHandler(out, &slog.HandlerOptions{
			Level:       cfg.level(),
			AddSource:   cfg.AddSource,
			ReplaceAttr: cfg.ReplaceAttr,
		})
		if cfg.Async && queueRecords {
			s.asyncH = async.NewHandler(h, cfg.AsyncOptions)
			h = s.asyncH
		}
		return h
	})
}

// NewStackWithSink builds the stack cfg describes in front of sink, any
// slog.Handler: the OpenTelemetry log bridge, a text handler, a fan-out.
// cfg.AddSource and cfg.ReplaceAttr do not apply (configure the sink);
// cfg.Level does, before any wrapper. With async on, records are queued for
// sink (async.Handler) and handed to it on the queue's goroutine, with the
// values of their context (the span) intact.
func NewStackWithSink(sink slog.Handler, cfg Config) (*Stack, error) {
	if sink == nil {
		return nil, errors.New("handler: NewStackWithSink: nil sink")
	}
	return build(cfg, func(s *Stack) slog.Handler {
		if cfg.Async {
			s.asyncH = async.NewHandler(sink, cfg.AsyncOptions)
			return s.asyncH
		}
		return sink
	})
}

// build validates cfg (Config.Validate), makes the base with base and assembles the wrappers
// on it, bottom up.
func build(cfg Config, base func(*Stack) slog.Handler) (*Stack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The stack keeps its own copy of the path lists: a caller changing
	// its slices later must not change the policy of a running stack.
	cfg.SamplingPolicy.AlwaysSamplePaths = slices.Clone(cfg.SamplingPolicy.AlwaysSamplePaths)
	cfg.SamplingPolicy.ExcludedPaths = slices.Clone(cfg.SamplingPolicy.ExcludedPaths) // nil stays nil: the defaults
	s := &Stack{cfg: cfg}
	name := cfg.expvarName()
	if name != "" {
		if err := checkExpvar(name); err != nil {
			return nil, err
		}
	}
	h := base(s)
	if cfg.Redact {
		s.redact = redact.NewHandler(h, cfg.RedactOptions)
		h = s.redact
	}
	if cfg.Aggregation {
		s.aggregation = aggregation.NewHandler(h, cfg.AggregationOptions)
		h = s.aggregation
	}
	if cfg.Correlation {
		s.correlation = httpctx.NewHandler(h, httpctx.HandlerOptions{OmitTrace: cfg.OmitTraceAttrs})
		h = s.correlation
	}
	// Sampling sits on top: a record of a request that is not sampled stops
	// there (or waits in its request's buffer) before any other layer has
	// worked on it. A buffered record keeps its context, so the correlation
	// attributes are added when it is written.
	if cfg.Sampling {
		s.sampling = sampling.NewHandler(h, cfg.SamplingOptions)
		h = s.sampling
	}
	s.top = &stackHandler{next: h, level: cfg.level(), records: new(atomic.Uint64)}
	s.logger = slog.New(s.top)
	if name != "" {
		publishExpvar(name, s)
	}
	return s, nil
}

// Logger returns the stack's logger.
func (s *Stack) Logger() *slog.Logger { return s.logger }

// Handler returns the top of the stack, for callers that wrap it further
// or build their own loggers on it.
func (s *Stack) Handler() slog.Handler { return s.top }

// HTTPOptions returns the httpctx.Options that match the stack: its logger
// (for access records and for httpctx.Logger(ctx)), its sampling policy (a
// policy that samples every request when sampling is off) and, when the
// stack redacts, its redaction as the body hook (Body.Redact), so that a
// body is masked by the stack's rules as soon as body logging is turned
// on. Change other fields (access log, bodies, panic recovery) before use:
//
//	opts := stack.HTTPOptions()
//	opts.Recover = true
//	opts.Body.Request, opts.Body.Response = true, true // redacted by the stack
//	srv := &http.Server{Handler: httpctx.Middleware(opts)(mux)}
//
// A Body.Redact hook of the caller's own replaces the one set here and
// runs first; the stack's redaction still applies after it, since the
// access record, body included, passes the stack's redaction layer on its
// way out like every record of the stack's logger.
func (s *Stack) HTTPOptions() httpctx.Options {
	opts := httpctx.Options{Logger: s.logger, Policy: s.cfg.policy()}
	if s.redact != nil {
		opts.Body.Redact = s.redact.Redactor().RedactBody
	}
	return opts
}

// StartOptions returns the httpctx.StartOptions that open a scope for work
// that is not an HTTP request (a job, a queue consumer) with the stack's
// logger and sampling policy; name is matched against the policy's paths.
func (s *Stack) StartOptions(name string) httpctx.StartOptions {
	return httpctx.StartOptions{Name: name, Logger: s.logger, Policy: s.cfg.policy()}
}

// Shutdown flushes and closes the stack, once: the aggregation's open
// summaries are written first, then the async queue is drained into the
// sink. It returns when that is done, or when ctx is done, with an error
// saying what could not be written (a dead sink). Later calls return the
// first call's result at once. Records logged after Shutdown are still
// written, synchronously.
func (s *Stack) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Stack) shutdown(ctx context.Context) error {
	var errs []error
	if s.aggregation != nil {
		// Close writes the open summaries through the layers below; with a
		// synchronous sink that may block on the writer, so wait for it no
		// longer than ctx allows.
		done := make(chan error, 1)
		go func() { done <- s.aggregation.Close() }()
		select {
		case err := <-done:
			if err != nil {
				errs = append(errs, fmt.Errorf("aggregation: %w", err))
			}
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("aggregation: summaries not written: %w", ctx.Err()))
		}
	}
	if s.asyncH != nil {
		if err := s.asyncH.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("async: %w", err))
		}
	}
	if s.asyncW != nil {
		if err := s.asyncW.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("async: %w", err))
		}
	}
	return errors.Join(errs...)
}

// stackHandler is the top of a Stack: it refuses records below the
// configured level before any wrapper spends time on them, and counts the
// records handed to the stack.
type stackHandler struct {
	next    slog.Handler
	level   slog.Leveler
	records *atomic.Uint64
}

func (h *stackHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.next.Enabled(ctx, l)
}

func (h *stackHandler) Handle(ctx context.Context, r slog.Record) error {
	h.records.Add(1)
	return h.next.Handle(ctx, r)
}

// WithAttrs and WithGroup pass every call on, even an empty one, so that
// the sink sees exactly the calls it would see on its own.
func (h *stackHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &stackHandler{next: h.next.WithAttrs(as), level: h.level, records: h.records}
}

func (h *stackHandler) WithGroup(name string) slog.Handler {
	return &stackHandler{next: h.next.WithGroup(name), level: h.level, records: h.records}
}
