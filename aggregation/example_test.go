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

// stableJSON writes JSON without the record's time and without the
// summaries' _first_occurrence and _last_occurrence (times such as
// "2026-11-28T10:00:00.250000000Z"), so that the examples' output does not
// change from run to run.
func stableJSON() slog.Handler {
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case len(groups) == 0 && a.Key == slog.TimeKey,
				a.Key == "_first_occurrence", a.Key == "_last_occurrence":
				return slog.Attr{}
			}
			return a
		},
	})
}

// A flood of identical pool-size records: the first five pass, the rest
// are folded into one summary, written here by Close.
func Example() {
	h := aggregation.NewHandler(stableJSON(), aggregation.DefaultOptions())
	logger := slog.New(h)

	for range 100 {
		logger.Debug("Connection pool size", "size", 10)
	}
	logger.Info("request handled", "status", 200) // a business event: never folded

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"DEBUG","msg":"Connection pool size","size":10}
	// {"level":"INFO","msg":"request handled","status":200}
	// {"level":"DEBUG","msg":"Connection pool size","size":10,"_aggregated":true,"_count":95,"_window_seconds":10}
}

// Any record can be marked as a system record with the System attribute,
// on the call or once with Logger.With.
func ExampleSystem() {
	opts := aggregation.DefaultOptions()
	opts.Burst = 1
	h := aggregation.NewHandler(stableJSON(), opts)
	cacheLog := slog.New(h).With(aggregation.System())

	for range 3 {
		cacheLog.Info("cache stats", "hits", 7)
	}
	_ = h.Close(context.Background())
	// Output:
	// {"level":"INFO","msg":"cache stats","log.kind":"system","hits":7}
	// {"level":"INFO","msg":"cache stats","log.kind":"system","hits":7,"_aggregated":true,"_count":2,"_window_seconds":10}
}

// With slog-multi, a closure builds the Handler and keeps it, to flush and
// close it.
func Example_pipe() {
	var agg *aggregation.Handler
	logger := slog.New(slogmulti.Pipe(func(next slog.Handler) slog.Handler {
		agg = aggregation.NewHandler(next, aggregation.DefaultOptions())
		return agg
	}).Handler(stableJSON()))

	for range 7 {
		logger.Info("Health check completed", "status", "ok")
	}
	_ = agg.Flush(context.Background())
	st := agg.Stats()
	fmt.Println("seen", st.Seen, "passed", st.PassedMatched, "folded", st.Folded)
	_ = agg.Close(context.Background())
	// Output:
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok"}
	// {"level":"INFO","msg":"Health check completed","status":"ok","_aggregated":true,"_count":2,"_window_seconds":10}
	// seen 7 passed 5 folded 2
}

// Options.Match replaces the message prefixes with any rule.
func ExampleOptions_match() {
	opts := aggregation.DefaultOptions()
	opts.Burst = 2
	opts.Match = func(_ context.Context, r slog.Record) bool { return r.Level <= slog.LevelDebug }
	h := aggregation.NewHandler(stableJSON(), opts)
	logger := slog.New(h)
	for range 4 {
		logger.Debug("tick")
	}
	_ = h.Close(context.Background())
	fmt.Printf("%+v\n", h.Stats().Summaries)
	// Output:
	// {"level":"DEBUG","msg":"tick"}
	// {"level":"DEBUG","msg":"tick"}
	// {"level":"DEBUG","msg":"tick","_aggregated":true,"_count":2,"_window_seconds":10}
	// {Window:0 MaxCount:0 RequestEnd:0 Evicted:0 Flush:1}
}
