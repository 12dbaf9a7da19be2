package scope_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"

	"github.com/slogstack/slogstack/aggregation"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
	"github.com/slogstack/slogstack/scope"
)

// TestHandlerKeepsAggregationMarkerUnderGroup: inside a request, a record
// logged under an open group reaches the aggregation handler with the same
// With/WithGroup history as outside one, so the system marker is seen
// whether it was bound with With (before or after the group) or passed on
// the call, and the records fold.
func TestHandlerKeepsAggregationMarkerUnderGroup(t *testing.T) {
	const logged, burst = 20, 5
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
				agg := aggregation.NewHandler(sink.JSONHandler(slog.LevelDebug), aggregation.Options{Burst: burst})
				l := slog.New(scope.NewHandler(agg, scope.HandlerOptions{}))
				ctx, end := scope.Start(context.Background(), scope.Options{CorrelationID: "req-9", Policy: sampling.Policy{Rate: 1}})
				for range logged {
					tc.log(l, ctx)
				}
				end(nil) // the request's end writes its summaries
				if err := agg.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				st := agg.Stats()
				if st.PassedMatched != burst || st.Folded != logged-burst {
					t.Fatalf("passed %d, folded %d; want %d and %d (stats %+v)", st.PassedMatched, st.Folded,
						burst, logged-burst, st)
				}
				lines := sink.Lines(t)
				if len(lines) != burst+1 {
					t.Fatalf("got %d lines, want %d", len(lines), burst+1)
				}
				for _, line := range lines {
					if line["correlation_id"] != "req-9" {
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
				if got := summary["_count"]; got != float64(logged-burst) {
					t.Errorf("summary _count = %v, want %d", got, logged-burst)
				}
			})
		})
	}
}
