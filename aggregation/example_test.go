package aggregation_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	slogmulti "github.com/samber/slog-multi"
	"github.com/slogstack/slogstack/aggregation"
)

// stableJSON writes JSON without the record's time, so that the examples'
// output does not change from run to run.
func stableJSON() slog.Handler {
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
}

// fixedClock returns a clock stuck at one instant.
func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 28, 10, 0, 0, 250_000_000, time.UTC)
	return func() time.Time { return t }
}

// A flood of identical pool-size records: the first five pass, the rest
// are folded into one summary, written here by Close.
func Example() {
	h := aggregation.NewHandler(stableJSON(), aggregation.Options{Now: fixedClock()})
	logger := slog.New(h)

	for range 100 {
		logger.Debug("Connection pool size", "size", 10)
	}
	logger.Info("request handled", "status", 200) // a business event: never folded

	if err := h.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"INFO","msg":"request handled","status":200}
	// {"level":"DEBUG","msg":"Connection pool size","size":10,"_aggregated":true,"_count":95,"_first_occurrence":"2026-11-28T10:00:00.250000000Z","_last_occurrence":"2026-11-28T10:00:00.250000000Z","_window_seconds":10}
}

// Any record can be marked as a system record with the System attribute,
// on the call or once with Logger.With.
func ExampleSystem() {
	h := aggregation.NewHandler(stableJSON(), aggregation.Options{Now: fixedClock(), Burst: 1})
	cacheLog := slog.New(h).With(aggregation.System())

	for range 3 {
		cacheLog.Info("cache stats", "hits", 7)
	}
	_ = h.Close()
	// Output:
	// {"level":"INFO","msg":"cache stats","log.kind":"system","hits":7}
	// {"level":"INFO","msg":"cache stats","log.kind":"system","hits":7,"_aggregated":true,"_count":2,"_first_occurrence":"2026-11-28T10:00:00.250000000Z","_last_occurrence":"2026-11-28T10:00:00.250000000Z","_window_seconds":10}
}

// With slog-multi, the middleware composes with other handlers; keep the
// Handler it creates to flush and close it.
func ExampleNewMiddleware() {
	var agg *aggregation.Handler
	middleware := aggregation.NewMiddleware(aggregation.Options{Now: fixedClock()})
	logger := slog.New(slogmulti.Pipe(func(next slog.Handler) slog.Handler {
		h := middleware(next)
		agg = h.(*aggregation.Handler)
		return h
	}).Handler(stableJSON()))

	for range 7 {
		logger.Info("Health check completed", "status", "ok")
	}
	_ = agg.Flush()
	st := agg.Stats()
	fmt.Println("seen", st.Seen, "passed", st.PassedMatched, "folded", st.Folded)
	_ = agg.Close()
	// Output:
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok","_aggregated":true,"_count":2,"_first_occurrence":"2026-11-28T10:00:00.250000000Z","_last_occurrence":"2026-11-28T10:00:00.250000000Z","_window_seconds":10}
	// seen 7 passed 5 folded 2
}

// Options.Match replaces the message prefixes with any rule.
func ExampleOptions_match() {
	h := aggregation.NewHandler(stableJSON(), aggregation.Options{
		Now:   fixedClock(),
		Burst: 2,
		Match: func(_ context.Context, r slog.Record) bool { return r.Level <= slog.LevelDebug },
	})
	logger := slog.New(h)
	for range 4 {
		logger.Debug("tick")
	}
	_ = h.Close()
	fmt.Printf("%+v\n", h.Stats().Summaries)
	// Output:
	// {"level":"DEBUG","msg":"tick"}
	// {"level":"DEBUG","msg":"tick"}
	// {"level":"DEBUG","msg":"tick","_aggregated":true,"_count":2,"_first_occurrence":"2026-11-28T10:00:00.250000000Z","_last_occurrence":"2026-11-28T10:00:00.250000000Z","_window_seconds":10}
	// {Window:0 MaxCount:0 RequestEnd:0 Evicted:0 Flush:1}
}
