package aggregation

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestPanickingMatcherWrappingMatchPrefixes checks that a Matcher of the
// user's that calls a MatchPrefixes Matcher, and panics, is guarded like
// any other, through Handle and through HandleTail: the record is passed
// on as not matched and the panic is counted in HandlePanics.
func TestPanickingMatcherWrappingMatchPrefixes(t *testing.T) {
	for _, viaTail := range []bool{false, true} {
		name := map[bool]string{false: "Handle", true: "HandleTail"}[viaTail]
		t.Run(name, func(t *testing.T) {
			var out logtest.Buffer
			prefixes := MatchPrefixes(poolMsg)
			o := DefaultOptions()
			o.Match = func(ctx context.Context, r slog.Record) bool {
				if r.Message == "boom" {
					panic("matcher bug")
				}
				return prefixes(ctx, r)
			}
			h := NewHandler(out.JSONHandler(slog.LevelDebug), o)
			r := slog.NewRecord(time.Now(), slog.LevelInfo, "boom", 0)
			var err error
			if viaTail {
				var tl fuse.Tail
				tl.Add(slog.String("k", "v"))
				err = h.HandleTail(context.Background(), r, tl)
			} else {
				r.AddAttrs(slog.String("k", "v"))
				err = h.Handle(context.Background(), r)
			}
			if err != nil {
				t.Fatalf("%s returned %v, want nil (the record passed as not matched)", name, err)
			}
			closeOrFail(t, h)
			if got := h.Stats(); got.HandlePanics != 1 || got.PassedUnmatched != 1 {
				t.Errorf("HandlePanics = %d, PassedUnmatched = %d; want 1 and 1", got.HandlePanics, got.PassedUnmatched)
			}
			if lines := out.Lines(t); len(lines) != 1 || lines[0]["msg"] != "boom" || lines[0]["k"] != "v" {
				t.Errorf("lines = %v, want the record boom with k=v", lines)
			}
		})
	}
}
