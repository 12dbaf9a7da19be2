package scope

import (
	"context"
	"log/slog"
	"testing"

	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/sampling"
)

// BenchmarkStartEnd measures opening and ending one scope: alone
// ("alone"), and with one record at INFO asked for through a sampling
// handler with buffering off for a scope that is not sampled ("unsampled-
// nobuf": the handler's per-scope state is created, cached and released),
// or written through one for a sampled scope ("sampled").
func BenchmarkStartEnd(b *testing.B) {
	nobuf := slog.New(sampling.NewHandler(logtest.Nop{}, sampling.Options{}))
	buf := slog.New(sampling.NewHandler(logtest.Nop{}, sampling.DefaultOptions()))
	for _, c := range []struct {
		name   string
		rate   float64
		logger *slog.Logger
	}{
		{"alone", 1, nil},
		{"unsampled-nobuf", 0, nobuf},
		{"sampled", 1, buf},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := Options{Name: "/api/orders", CorrelationID: "0af7651916cd43dd8448eb211c80319c", Policy: sampling.Policy{Rate: c.rate}}
			loop(b, func() {
				ctx, end := Start(context.Background(), opts)
				if c.logger != nil {
					c.logger.InfoContext(ctx, "m")
				}
				end(nil)
			})
		})
	}
}
