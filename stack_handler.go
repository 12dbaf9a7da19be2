package slogstack

import (
	"context"
	"log/slog"
	"sync/atomic"
)

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
