package aggregation

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestAllocs checks that the handler allocates nothing of its own per
// record on its hot paths: a business event, a system record passed, a
// system record folded. The next handler only counts, so every allocation
// would be the handler's.
func TestAllocs(t *testing.T) {
	leakcheck.Check(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := countingHandler{new(atomic.Int64)}
	system := slog.NewRecord(now, slog.LevelDebug, poolMsg, 0)
	system.AddAttrs(systemAttrs...)
	business := slog.NewRecord(now, slog.LevelInfo, "request handled", 0)
	business.AddAttrs(businessAttrs...)

	tests := []struct {
		name  string
		burst int
		r     slog.Record
		want  float64
	}{
		{"not matched", defaultBurst, business, 0},
		{"matched, passed", math.MaxInt, system, 0},
		{"matched, folded", defaultBurst, system, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(next, defaultsWith(func(o *Options) { o.Burst, o.MaxCount = tt.burst, 1<<30 }))
			defer closeOrFail(t, h)
			hw := h.WithAttrs([]slog.Attr{slog.String("service", "api")}).WithGroup("g")
			for range 10 {
				_ = hw.Handle(ctx, tt.r)
			}
			if got := testing.AllocsPerRun(1000, func() { _ = hw.Handle(ctx, tt.r) }); got > tt.want {
				t.Errorf("%v allocations per record, want at most %v", got, tt.want)
			}
		})
	}
}

// countingHandler counts records and allocates nothing.
type countingHandler struct{ n *atomic.Int64 }

func (c countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c countingHandler) Handle(context.Context, slog.Record) error {
	c.n.Add(1)
	return nil
}
func (c countingHandler) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c countingHandler) WithGroup(string) slog.Handler      { return c }
