package httpctx_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/httpctx"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestHandlerKeepsAggregationMarkerUnderGroup: inside a request, a record
// logged under an open group reaches the aggregation handler with the same
// With/WithGroup history as outside one, so the system marker is seen
// whether it was bound with With (before or after the group) or passed on
// the call, and the records fold.
func TestHandlerKeepsAggregationMarkerUnderGroup(t *testing.T) {
	const logged = 20
	for _, tc := range []struct {
		name string
		log  func(l *slog.Logger, ctx context.Context)
	}{
		{"With after the group", func(l *slog.Logger, ctx context.Context) {
			l.WithGroup("pool").With(aggregation.System()).InfoContext(ctx, "stats", "open", 3)
		}},
		{"With before the group", func(l *slog.Logger, ctx context.Context) {
			l.With(aggregation.System()).WithGroup("pool").InfoContext(ctx, "stats", "open", 3)
		}},
		{"on the call, under the group", func(l *slog.Logger, ctx context.Context) {
			l.WithGroup("pool").InfoContext(ctx, "stats", aggregation.System(), slog.Int("open", 3))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sink logtest.Buffer
				agg := aggregation.NewHandler(sink.JSONHandler(slog.LevelDebug), aggregation.Options{Prefixes: []string{}})
				l := slog.New(httpctx.NewHandler(agg, httpctx.HandlerOptions{}))
				ctx, end := httpctx.Start(context.Background(), httpctx.StartOptions{CorrelationID: "req-9"})
				for range logged {
					tc.log(l, ctx)
				}
				end(nil) // the request's end writes its summaries
				if err := agg.Close(); err != nil {
					t.Fatal(err)
				}
				st := agg.Stats()
				if st.PassedMatched != aggregation.DefaultBurst || st.Folded != logged-aggregation.DefaultBurst {
					t.Fatalf("passed %d, folded %d; want %d and %d (stats %+v)", st.PassedMatched, st.Folded,
						aggregation.DefaultBurst, logged-aggregation.DefaultBurst, st)
				}
				lines := sink.Lines(t)
				if len(lines) != aggregation.DefaultBurst+1 {
					t.Fatalf("got %d lines, want %d", len(lines), aggregation.DefaultBurst+1)
				}
				for _, line := range lines {
					if line[httpctx.KeyCorrelationID] != "req-9" {
						t.Errorf("line without the top-level correlation_id: %v", line)
					}
				}
				// The summary's own keys may be at the top level or in the
				// group it was logged under: that is the aggregation's
				// layout, not this package's.
				summary := lines[len(lines)-1]
				if g, ok := summary["pool"].(map[string]any); ok && summary["_count"] == nil {
					summary = g
				}
				if got := summary["_count"]; got != float64(logged-aggregation.DefaultBurst) {
					t.Errorf("summary _count = %v, want %d", got, logged-aggregation.DefaultBurst)
				}
			})
		})
	}
}
