package slogstack

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/counter"
)

// stackHandler is the top of a Stack: it refuses records below the
// configured level before any wrapper spends time on them, counts the
// records handed to the stack, and adds the stack trace that
// Config.Stacktrace asks for, on the caller's goroutine.
type stackHandler struct {
	next       slog.Handler
	level      slog.Leveler     // Stack.Level (a *slog.LevelVar): one atomic load per call
	records    *counter.Counter // sharded: parallel callers do not share its cache line
	stacktrace stacktraceRule
}

func (h *stackHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.next.Enabled(ctx, l)
}

func (h *stackHandler) Handle(ctx context.Context, r slog.Record) error {
	h.records.Add(1)
	if h.stacktrace.on { // off, the record is passed on as it came, uncopied
		r = h.stacktrace.withStacktrace(r, h.level)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs and WithGroup pass every call on, even an empty one, so that
// the sink sees exactly the calls it would see on its own.
func (h *stackHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &stackHandler{next: h.next.WithAttrs(as), level: h.level, records: h.records, stacktrace: h.stacktrace}
}

func (h *stackHandler) WithGroup(name string) slog.Handler {
	return &stackHandler{next: h.next.WithGroup(name), level: h.level, records: h.records, stacktrace: h.stacktrace}
}
