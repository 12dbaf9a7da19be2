package aggregation

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestFlushEndedContextKeepsSummaries checks that a Flush whose context
// has ended before it begins returns at once an error that wraps the
// context's error and names the summaries it left open, takes nothing out
// of the cache and drops nothing: the next Close writes the summary.
func TestFlushEndedContextKeepsSummaries(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() context.Context
		wantErr string
		wantIs  error
	}{
		{
			name: "cancelled",
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: "aggregation: Flush: context canceled before Flush began: 1 summary of 3 records left open",
			wantIs:  context.Canceled,
		},
		{
			name: "deadline passed",
			ctx: func() context.Context {
				ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
				cancel()
				return ctx
			},
			wantErr: "aggregation: Flush: context deadline exceeded before Flush began: 1 summary of 3 records left open",
			wantIs:  context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var out logtest.Buffer
				h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
				log := slog.New(h)
				for range defaultBurst + 3 {
					log.Debug(poolMsg, "size", 10)
				}
				start := time.Now()
				err := h.Flush(tt.ctx())
				if elapsed := time.Since(start); elapsed != 0 {
					t.Errorf("Flush returned after %v, want at once", elapsed)
				}
				if errString(err) != tt.wantErr || !errors.Is(err, tt.wantIs) {
					t.Errorf("Flush = %v, want %q wrapping %v", err, tt.wantErr, tt.wantIs)
				}
				afterFlush := Stats{Seen: 8, PassedMatched: 5, Folded: 3, Groups: 1}
				st := h.Stats()
				st.Bytes = 0
				if diff := cmp.Diff(afterFlush, st); diff != "" {
					t.Errorf("stats after Flush (-want +got):\n%s", diff)
				}
				if n := len(summaries(out.Lines(t))); n != 0 {
					t.Errorf("%d summaries written by a Flush with an ended context, want 0", n)
				}
				closeOrFail(t, h)
				want := []map[string]any{{
					"level": "DEBUG", "msg": poolMsg, "size": float64(10),
					keyAggregated: true, keyCount: float64(3),
					keyFirstOccurrence: start.Format(occurrenceLayout),
					keyLastOccurrence:  start.Format(occurrenceLayout),
					keyWindowSeconds:   float64(10),
				}}
				if diff := cmp.Diff(want, summaries(out.Lines(t))); diff != "" {
					t.Errorf("summaries after Close (-want +got):\n%s", diff)
				}
				wantStats := Stats{Seen: 8, PassedMatched: 5, Folded: 3, FoldedWritten: 3, Summaries: SummaryCounts{Flush: 1}}
				if diff := cmp.Diff(wantStats, h.Stats()); diff != "" {
					t.Errorf("stats after Close (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestFlushDeadlineNeverDrops checks a Flush whose context ends while the
// next handler holds its first summary: it returns at its deadline with
// an error naming every summary still to be written, drops nothing, and
// its writer goes on in the background. Released before Close, the writer
// writes every summary exactly once and exits by itself; a Close whose own
// deadline comes first drops and names the summaries not started, and
// only the one in the next handler is written.
func TestFlushDeadlineNeverDrops(t *testing.T) {
	const flushErr = "aggregation: Flush: context deadline exceeded: 3 summaries of 9 records still to be written, in the background (1 summary of 3 records in the next handler now)"
	tests := []struct {
		name string
		// closeDeadline: Close with a one-second deadline while the
		// sink still holds the summary; otherwise the sink is released
		// first and Close has a context that cannot end.
		closeDeadline bool
		wantCloseErr  string
		wantWritten   [2]int64 // summaries and folded records the sink accepted
		wantStats     Stats
	}{
		{
			name:        "released before Close",
			wantWritten: [2]int64{3, 9},
			wantStats:   Stats{Seen: 24, PassedMatched: 15, Folded: 9, FoldedWritten: 9, Summaries: SummaryCounts{Flush: 3}},
		},
		{
			name:          "Close deadline while still held",
			closeDeadline: true,
			wantCloseErr:  "aggregation: Close: context deadline exceeded: 2 summaries of 6 records not written; 1 summary of 3 records still being written by the next handler",
			wantWritten:   [2]int64{1, 3},
			wantStats: Stats{
				Seen: 24, PassedMatched: 15, Folded: 9, FoldedWritten: 3, FoldedDropped: 6,
				Summaries: SummaryCounts{Flush: 3}, SummariesDropped: 2,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &heldSink{release: make(chan struct{})}
				h := NewHandler(sink, DefaultOptions())
				log := slog.New(h)
				for g := range 3 {
					for range defaultBurst + 3 {
						log.Debug(poolMsg, "size", g)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				start := time.Now()
				err := h.Flush(ctx)
				if elapsed := time.Since(start); elapsed != time.Second {
					t.Errorf("Flush returned after %v, want at its deadline", elapsed)
				}
				if errString(err) != flushErr || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Flush = %v, want %q wrapping context.DeadlineExceeded", err, flushErr)
				}
				if st := h.Stats(); st.SummariesDropped != 0 || st.FoldedDropped != 0 {
					t.Errorf("Flush dropped %d summaries of %d records, want none", st.SummariesDropped, st.FoldedDropped)
				}

				var closeErr error
				if tt.closeDeadline {
					cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
					closeErr = h.Close(cctx)
					ccancel()
					close(sink.release)
				} else {
					close(sink.release)
					synctest.Wait()
					if n := batchWriters(); n != 0 {
						t.Errorf("%d summary writers left once the sink returned", n)
					}
					closeErr = h.Close(context.Background())
				}
				if errString(closeErr) != tt.wantCloseErr {
					t.Errorf("Close = %v, want %q", closeErr, tt.wantCloseErr)
				}
				synctest.Wait()
				if n := writers(); n != 0 {
					t.Errorf("%d goroutines of the handler left after Close and release", n)
				}
				if got := [2]int64{sink.summaries.Load(), sink.folded.Load()}; got != tt.wantWritten {
					t.Errorf("sink accepted %d summaries of %d records, want %d of %d", got[0], got[1], tt.wantWritten[0], tt.wantWritten[1])
				}
				if got := sink.startedSum.Load(); got != tt.wantWritten[0] {
					t.Errorf("sink was given %d summaries, want each written once: %d", got, tt.wantWritten[0])
				}
				st := h.Stats()
				if diff := cmp.Diff(tt.wantStats, st); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
				if !conserved(st) {
					t.Errorf("folded records not accounted for: %+v", st)
				}
			})
		})
	}
}

// batchWriters counts the goroutines writing a batch of summaries outside
// the flusher: those of Flush and Close.
func batchWriters() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "aggregation.(*shared).write") && !strings.Contains(g, "aggregation.(*flusher).run") {
			n++
		}
	}
	return n
}

// TestFlushWaitsForEarlierFlush checks a Flush made after an earlier
// Flush's deadline left its summaries to its writer, the sink still
// holding the first of them: with a context that cannot end it returns
// nil only once every summary, the earlier ones included, is written,
// each exactly once; with its own deadline it returns then with an error
// naming the earlier summaries. Either way the sink is given every
// summary in the order the Flush calls collected them: the second
// Flush's own only after the first's.
func TestFlushWaitsForEarlierFlush(t *testing.T) {
	tests := []struct {
		name      string
		newGroups int // groups logged between the two Flush calls
		deadline  bool
		wantErr   string
	}{
		{name: "retry without deadline, nothing new"},
		{name: "retry without deadline, new summaries", newGroups: 2},
		{
			name:     "retry with deadline, nothing new",
			deadline: true,
			wantErr:  "aggregation: Flush: context deadline exceeded: 3 summaries of 9 records still to be written, in the background (3 summaries of 9 records collected before this Flush began; 1 summary of 3 records in the next handler now)",
		},
		{
			name: "retry with deadline, new summaries", newGroups: 2, deadline: true,
			wantErr: "aggregation: Flush: context deadline exceeded: 5 summaries of 15 records still to be written, in the background (3 summaries of 9 records collected before this Flush began; 1 summary of 3 records in the next handler now)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				sink := &heldSink{release: make(chan struct{})}
				h := NewHandler(sink, DefaultOptions())
				log := slog.New(h)
				logGroups := func(from, to int) {
					for g := from; g < to; g++ {
						for range defaultBurst + 3 {
							log.Debug(poolMsg, "size", g)
						}
					}
				}
				logGroups(0, 3)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := h.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("first Flush = %v, want its deadline", err)
				}
				groups := 3 + tt.newGroups
				logGroups(3, groups)

				var err error
				if tt.deadline {
					ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
					defer cancel2()
					start := time.Now()
					err = h.Flush(ctx2)
					if elapsed := time.Since(start); elapsed != time.Second {
						t.Errorf("second Flush returned after %v, want at its deadline", elapsed)
					}
					if n := sink.summaries.Load(); n != 0 {
						t.Errorf("sink finished %d summaries while held, want 0", n)
					}
					close(sink.release)
					synctest.Wait()
				} else {
					flushed := make(chan error, 1)
					go func() { flushed <- h.Flush(context.Background()) }()
					synctest.Wait()
					select {
					case err = <-flushed:
						t.Errorf("second Flush returned %v while the sink held a summary", err)
						close(sink.release)
					default:
						close(sink.release)
						err = <-flushed
					}
					if n := sink.summaries.Load(); n != int64(groups) {
						t.Errorf("second Flush returned with %d of %d summaries written", n, groups)
					}
				}
				if errString(err) != tt.wantErr {
					t.Errorf("second Flush = %v, want %q", err, tt.wantErr)
				}
				if tt.wantErr != "" && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("second Flush = %v, want it to wrap context.DeadlineExceeded", err)
				}
				closeOrFail(t, h)

				var wantOrder []int64
				for g := range groups {
					wantOrder = append(wantOrder, int64(g))
				}
				if diff := cmp.Diff(wantOrder, sink.started()); diff != "" {
					t.Errorf("summaries given to the sink, by size (-want +got):\n%s", diff)
				}
				if got := [2]int64{sink.summaries.Load(), sink.folded.Load()}; got != [2]int64{int64(groups), int64(3 * groups)} {
					t.Errorf("sink wrote %d summaries of %d records, want %d of %d", got[0], got[1], groups, 3*groups)
				}
				n := uint64(groups)
				want := Stats{
					Seen: n * (defaultBurst + 3), PassedMatched: n * defaultBurst,
					Folded: 3 * n, FoldedWritten: 3 * n, Summaries: SummaryCounts{Flush: n},
				}
				if diff := cmp.Diff(want, h.Stats()); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
			})
		})
	}
}
