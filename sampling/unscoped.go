package sampling

import (
	"context"
	"log/slog"
	"math/rand/v2"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// correlationIDKey is the attribute that keys the sampling of records
// logged without a scope (Options.SampleUnscoped).
const correlationIDKey = "correlation_id"

// reasonRecord is the _sample_reason of a record without a request scope
// that Options.SampleUnscoped sampled at random, on its own (it carried no
// correlation_id to key the decision).
const reasonRecord = "record"

// handleUnscoped handles a record whose context carries no request scope.
func (h *Handler) handleUnscoped(ctx context.Context, r slog.Record) error {
	c := &h.sh.stats
	if !h.sh.cfg.sampleUnscoped {
		c.unscopedPassed.Add(1)
		return h.writePlain(ctx, r)
	}
	rate := h.sh.cfg.unscopedRate
	reason := reqscope.ReasonError
	if r.Level < slog.LevelError {
		keep := false
		if id, ok := h.unscopedKey(r); ok {
			keep, reason = Decide(id, rate), reqscope.ReasonRate
		} else {
			keep, reason = below(rand.Uint64(), rate), reasonRecord
		}
		if !keep {
			c.unscopedDropped.Add(1)
			return nil
		}
	}
	c.unscopedPassed.Add(1)
	return h.write(ctx, rate, reason, r)
}

// writePlain hands r to the next handler unchanged, recovering a panic as
// write does.
func (h *Handler) writePlain(ctx context.Context, r slog.Record) (err error) {
	defer h.sh.recoverAsError(&err)
	return h.next.Handle(ctx, r)
}

// unscopedKey returns the record's top-level string correlation_id: the
// last one logged on the record (when no group is open), else the one added
// with WithAttrs.
func (h *Handler) unscopedKey(r slog.Record) (string, bool) {
	id, ok := h.corrID, h.hasCorrID
	if h.groups == 0 {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == correlationIDKey && a.Value.Kind() == slog.KindString {
				id, ok = a.Value.String(), true
			}
			return true
		})
	}
	return id, ok
}
