package aggregation

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// TestConservation is a property test: under random interleavings of many
// goroutines logging random messages, levels, correlation IDs and attribute
// values, dated by a clock that jumps forward and back (records reach the
// handler in any order of their times) while the flusher runs every
// millisecond of real time, with evictions, request ends, flushes and a Close at
// a random point, the individual lines plus the sum of _count equal the
// records logged, exactly, and Stats agree.
func TestConservation(t *testing.T) {
	rounds, goroutines, perG := 8, 16, 300
	if testing.Short() {
		rounds, perG = 4, 200
	}
	for round := range rounds {
		t.Run(fmt.Sprint("seed", round), func(t *testing.T) {
			leakcheck.Check(t)
			conservationRound(t, uint64(round), goroutines, perG)
		})
	}
}

func conservationRound(t *testing.T, seed uint64, goroutines, perG int) {
	rng := rand.New(rand.NewPCG(seed, 0))
	// skew moves the records' times away from the real clock the flusher
	// reads, forward and back.
	var skew atomic.Int64
	opts := Options{
		Match:         MatchPrefixes(defaultPrefixes()...),
		BurstWindow:   defaultBurstWindow,
		MaxValueBytes: defaultMaxValueBytes,
		MaxAttrBytes:  defaultMaxAttrBytes,
		FlushInterval: time.Millisecond,
		MaxGroups:     1 + rng.IntN(300),
		MaxCount:      2 + rng.IntN(30),
		Burst:         1 + rng.IntN(5),
		Window:        time.Duration(1+rng.IntN(10)) * time.Second,
	}
	nvalues := 1 + rng.IntN(3)
	var out logtest.Buffer
	h := NewHandler(out.JSONHandler(slog.LevelDebug), opts)
	root := slog.New(h)
	loggers := []*slog.Logger{
		root,
		root.With("service", "db"),
		root.WithGroup("pool").With("shard", 1),
		root.With(System()),
	}
	scopes := make([]*reqscope.Scope, 1+rng.IntN(4))
	ctxs := make([]context.Context, len(scopes)+1)
	ctxs[0] = context.Background()
	for i := range scopes {
		scopes[i] = reqscope.New(fmt.Sprintf("req-%d", i), trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctxs[i+1] = reqscope.NewContext(context.Background(), scopes[i])
	}
	messages := []string{poolMsg, "Health check completed", "Metric recorded", "order placed", "cache stats"}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

	total := goroutines * perG
	closeAt := int64(rng.IntN(total + total/4)) // sometimes never before the end
	var logged atomic.Int64
	var closeOnce sync.Once
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(g)+1))
			for range perG {
				tm := time.Now().Add(time.Duration(skew.Load()))
				if r.IntN(2) == 0 {
					// A hot group, to reach MaxCount and fold across goroutines.
					logAt(t, loggers[1], ctxs[0], tm, slog.LevelDebug, poolMsg, 0)
				} else {
					logAt(t, loggers[r.IntN(len(loggers))], ctxs[r.IntN(len(ctxs))], tm,
						levels[r.IntN(len(levels))], messages[r.IntN(len(messages))], r.IntN(nvalues))
				}
				n := logged.Add(1)
				switch p := r.IntN(1000); {
				case p < 4:
					skew.Add(int64(time.Duration(r.IntN(3000)) * time.Millisecond))
				case p < 5:
					skew.Add(-int64(time.Duration(r.IntN(2000)) * time.Millisecond))
				case p < 6:
					scopes[r.IntN(len(scopes))].End()
				case p < 7:
					_ = h.Flush(context.Background())
				}
				if n == closeAt {
					closeOnce.Do(func() { _ = h.Close(context.Background()) })
				}
			}
		}()
	}
	wg.Wait()
	closeOrFail(t, h)

	c := count(t, out.Lines(t))
	if got := c.individual + c.folded; got != total {
		t.Fatalf("conservation: %d individual + %d folded = %d, want %d logged (%d summaries)",
			c.individual, c.folded, got, total, c.summaries)
	}
	st := h.Stats()
	if st.Seen != uint64(total) || st.FoldedWritten != uint64(c.folded) || st.Folded != st.FoldedWritten ||
		st.Summaries.Total() != uint64(c.summaries) || st.PassedUnmatched+st.PassedMatched != uint64(c.individual) {
		t.Errorf("stats disagree with the output %+v: %+v", c, st)
	}
	if st.Groups != 0 || st.Bytes != 0 {
		t.Errorf("cache not empty after Close: %+v", st)
	}
	t.Logf("%d records: %d individual, %d summaries of %d; evicted %d, by cause %+v",
		total, c.individual, c.summaries, c.folded, st.GroupsEvicted, st.Summaries)
}

// logAt logs through l's handler a record dated tm, as l.Log would with
// the attributes v and k.
func logAt(t *testing.T, l *slog.Logger, ctx context.Context, tm time.Time, level slog.Level, msg string, v int) {
	r := slog.NewRecord(tm, level, msg, 0)
	r.AddAttrs(slog.Int("v", v), slog.String("k", "x"))
	if err := l.Handler().Handle(ctx, r); err != nil {
		t.Errorf("Handle: %v", err)
	}
}
