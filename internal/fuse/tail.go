package fuse

import (
	"context"
	"log/slog"
)

// MaxTail is the most attributes a Tail holds.
const MaxTail = 3

// Tail is up to MaxTail attributes that follow a record's own attributes,
// at their level, as if added with slog.Record.AddAttrs. It is passed by
// value, so it stays on the caller's stack. The zero Tail is empty.
type Tail struct {
	attrs [MaxTail]slog.Attr
	n     int
}

// Add appends a. It panics when the tail already holds MaxTail attributes.
func (t *Tail) Add(a slog.Attr) {
	t.attrs[t.n] = a
	t.n++
}

// Len returns the number of attributes in the tail.
func (t *Tail) Len() int { return t.n }

// At returns the i-th attribute, 0 <= i < Len().
func (t *Tail) At(i int) slog.Attr { return t.attrs[:t.n][i] }

// Record returns r with the tail's attributes added, as the record an
// unfused layer would have passed on: a clone, so r's attribute storage is
// not shared with the result. An empty tail returns r itself.
func (t *Tail) Record(r slog.Record) slog.Record {
	if t.n == 0 {
		return r
	}
	r = r.Clone()
	r.AddAttrs(t.attrs[:t.n]...)
	return r
}

// Handler is a slog.Handler that can take a record together with a tail:
// HandleTail(ctx, r, t) must have exactly the effect of
// Handle(ctx, t.Record(r)).
type Handler interface {
	slog.Handler
	HandleTail(ctx context.Context, r slog.Record, t Tail) error
}

// Pass hands r and t to next: with HandleTail when next implements
// Handler, else as the rebuilt record (Tail.Record) with Handle.
func Pass(ctx context.Context, next slog.Handler, r slog.Record, t Tail) error {
	if t.n == 0 {
		return next.Handle(ctx, r)
	}
	if f, ok := next.(Handler); ok {
		return f.HandleTail(ctx, r, t)
	}
	return next.Handle(ctx, t.Record(r))
}
