package logtest

import (
	"context"
	"log/slog"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// Nop is a handler that is enabled at every level and does nothing (unlike
// slog.DiscardHandler, which is enabled at none, so records reach it).
type Nop struct{}

func (Nop) Enabled(context.Context, slog.Level) bool  { return true }
func (Nop) Handle(context.Context, slog.Record) error { return nil }
func (n Nop) WithAttrs([]slog.Attr) slog.Handler      { return n }
func (n Nop) WithGroup(string) slog.Handler           { return n }

// ScopeSink stands in for sampling.Handler in tests: it passes to Next the
// records of a scope only while the scope is sampled (or kept), and every
// record without a scope.
type ScopeSink struct{ Next slog.Handler }

func (k ScopeSink) Enabled(ctx context.Context, l slog.Level) bool { return k.Next.Enabled(ctx, l) }
func (k ScopeSink) Handle(ctx context.Context, r slog.Record) error {
	if s := reqscope.FromContext(ctx); s != nil && !s.Sampled() {
		return nil
	}
	return k.Next.Handle(ctx, r)
}
func (k ScopeSink) WithAttrs(as []slog.Attr) slog.Handler { return ScopeSink{k.Next.WithAttrs(as)} }
func (k ScopeSink) WithGroup(name string) slog.Handler    { return ScopeSink{k.Next.WithGroup(name)} }
