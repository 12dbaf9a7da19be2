package benchmarks

import (
	"context"
	"log/slog"
)

// FloorHandler is enabled at every level and does nothing with a record.
// Logging through it measures slog.Logger's own cost (building the Record,
// the caller's PC, the time): the floor under any slog handler.
type FloorHandler struct{}

// Enabled reports true for every level.
func (FloorHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle discards r.
func (FloorHandler) Handle(context.Context, slog.Record) error { return nil }

// WithAttrs returns the handler unchanged.
func (h FloorHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns the handler unchanged.
func (h FloorHandler) WithGroup(string) slog.Handler { return h }
