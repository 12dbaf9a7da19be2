package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// stackStats are the logging stack's counters the report shows.
type stackStats struct {
	Logged       uint64 // records handed to the stack
	SampledOut   uint64 // records of requests not sampled, dropped
	Rescued      uint64 // records of requests not sampled, kept because of an error
	Folded       uint64 // records folded into aggregation summaries
	Summaries    uint64 // summary records the aggregation emitted
	AsyncDropped uint64 // records the async queue dropped
}

// logging is the service's logging stack.
type logging struct {
	logger     *slog.Logger
	middleware func(http.Handler) http.Handler
	stats      func() stackStats
	shutdown   func(context.Context) error
	callers    *histogram
}

func newLogging(w io.Writer) (*logging, error) {
	callers := &histogram{}
	var logged atomic.Uint64
	base := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	return &logging{
		logger:     slog.New(&timedHandler{next: base, hist: callers, logged: &logged}),
		middleware: func(h http.Handler) http.Handler { return h },
		stats:      func() stackStats { return stackStats{Logged: logged.Load()} },
		shutdown:   func(context.Context) error { return nil },
		callers:    callers,
	}, nil
}

// timedHandler measures the time each record spends in the stack below it
// (the caller's cost of a log call past slog.Logger itself).
type timedHandler struct {
	next   slog.Handler
	hist   *histogram
	logged *atomic.Uint64
}

func (h *timedHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *timedHandler) Handle(ctx context.Context, r slog.Record) error {
	start := time.Now()
	err := h.next.Handle(ctx, r)
	h.hist.Record(time.Since(start))
	h.logged.Add(1)
	return err
}

func (h *timedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &timedHandler{next: h.next.WithAttrs(as), hist: h.hist, logged: h.logged}
}

func (h *timedHandler) WithGroup(name string) slog.Handler {
	return &timedHandler{next: h.next.WithGroup(name), hist: h.hist, logged: h.logged}
}
