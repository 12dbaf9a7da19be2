package aggregation

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// tailSink is a next handler that takes a tail: it writes through next a
// record it builds itself from the record's attributes followed by the
// tail's, counts the tails it was given, and panics on a record whose
// message is "boom".
type tailSink struct {
	next  slog.Handler
	tails *atomic.Int64
}

func (s tailSink) Enabled(ctx context.Context, l slog.Level) bool { return s.next.Enabled(ctx, l) }
func (s tailSink) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "boom" {
		panic("sink: boom")
	}
	return s.next.Handle(ctx, r)
}
func (s tailSink) WithAttrs(as []slog.Attr) slog.Handler {
	return tailSink{next: s.next.WithAttrs(as), tails: s.tails}
}
func (s tailSink) WithGroup(name string) slog.Handler {
	return tailSink{next: s.next.WithGroup(name), tails: s.tails}
}
func (s tailSink) HandleTail(ctx context.Context, r slog.Record, t fuse.Tail) error {
	s.tails.Add(1)
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
	for i := range t.Len() {
		out.AddAttrs(t.At(i))
	}
	return s.Handle(ctx, out)
}

// tailCounter is a next handler that takes a tail, counts the tails and
// does nothing else.
type tailCounter struct {
	logtest.Nop
	tails *atomic.Int64
}

func (c tailCounter) HandleTail(context.Context, slog.Record, fuse.Tail) error {
	c.tails.Add(1)
	return nil
}

// tailCase is one record of the differential test: the handler it is
// logged on (an index into the derived handlers), its context, the record
// and its tail.
type tailCase struct {
	logger int
	ctx    int
	r      slog.Record
	tail   fuse.Tail
}

// randomTailCases returns n random records: system and business
// messages at every level, the System marker in the record, in an inlined
// group or in the tail, correlation attributes in the tail, records for
// which the next handler panics.
func randomTailCases(rng *rand.Rand, n, loggers, ctxs int) []tailCase {
	msgs := []string{poolMsg, poolMsg + " db", "Health check completed", "request handled", "job done", "boom"}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 4}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out := make([]tailCase, n)
	for i := range out {
		r := slog.NewRecord(base.Add(time.Duration(i)*time.Millisecond), levels[rng.IntN(len(levels))], msgs[rng.IntN(len(msgs))], 0)
		for j := range rng.IntN(7) {
			switch rng.IntN(8) {
			case 0:
				r.AddAttrs(System())
			case 1:
				r.AddAttrs(slog.Group("", System()))
			case 2:
				r.AddAttrs(slog.Group("g", System())) // data, not a marker
			default:
				r.AddAttrs(slog.Int(fmt.Sprintf("k%d", j%3), rng.IntN(3)))
			}
		}
		var t fuse.Tail
		if rng.IntN(4) > 0 {
			t.Add(slog.String("correlation_id", fmt.Sprintf("c%d", rng.IntN(3))))
		}
		if rng.IntN(2) == 0 {
			t.Add(slog.String("trace_id", "0af7651916cd43dd8448eb211c80319c"))
			if rng.IntN(6) == 0 {
				t.Add(System())
			} else {
				t.Add(slog.String("span_id", "b7ad6b7169203331"))
			}
		}
		out[i] = tailCase{logger: rng.IntN(loggers), ctx: rng.IntN(ctxs), r: r, tail: t}
	}
	return out
}

// derived returns h and handlers derived from it: with the System marker
// bound, with a group open, with attributes under a group.
func derived(h *Handler) []*Handler {
	return []*Handler{
		h,
		h.WithAttrs([]slog.Attr{System()}).(*Handler),
		h.WithGroup("req").(*Handler),
		h.WithAttrs([]slog.Attr{slog.String("svc", "api")}).WithGroup("db").WithAttrs([]slog.Attr{slog.Int("shard", 2)}).(*Handler),
	}
}

// TestHandleTailSameAsHandle checks, for random records and tails and
// every kind of Matcher, that HandleTail(ctx, r, t) has exactly the effect
// of Handle(ctx, t.Record(r)): the same bytes written (records passed,
// folded and summarised, in the same order), the same errors returned
// (a panic of the next handler included), the same Stats; and that a
// record that is not a candidate reaches the next handler with its tail.
func TestHandleTailSameAsHandle(t *testing.T) {
	matchers := []struct {
		name  string
		match Matcher
	}{
		{"prefixes", MatchPrefixes(poolMsg, "Health check")},
		{"marker only", nil},
		{"reads attributes", func(_ context.Context, r slog.Record) bool {
			found := false
			r.Attrs(func(a slog.Attr) bool {
				found = a.Key == "correlation_id" && a.Value.String() == "c1"
				return !found
			})
			return found || strings.HasPrefix(r.Message, "job")
		}},
	}
	for _, m := range matchers {
		var folded, summaries, panics uint64
		for seed := range uint64(40) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				opts := defaultsWith(func(o *Options) {
					o.Match, o.Burst, o.MaxCount, o.MaxGroups = m.match, rng.IntN(3), 2+rng.IntN(4), 2+rng.IntN(8)
				})
				var fusedOut, plainOut logtest.Buffer
				var fusedTails, plainTails atomic.Int64
				fusedH := NewHandler(tailSink{next: fusedOut.JSONHandler(slog.LevelDebug), tails: &fusedTails}, opts)
				plainH := NewHandler(tailSink{next: plainOut.JSONHandler(slog.LevelDebug), tails: &plainTails}, opts)
				defer func() { _, _ = fusedH.Close(context.Background()), plainH.Close(context.Background()) }()
				fusedLs, plainLs := derived(fusedH), derived(plainH)
				var scopes []*reqscope.Scope
				ctxs := []context.Context{context.Background()}
				for i := range 3 {
					s := reqscope.New(fmt.Sprintf("s%d", i), trace.SpanContext{}, reqscope.Decision{Sampled: true})
					scopes = append(scopes, s)
					ctxs = append(ctxs, reqscope.NewContext(context.Background(), s))
				}
				cases := randomTailCases(rng, 200, len(fusedLs), len(ctxs))
				wantTails := 0
				for i, c := range cases {
					ctx := ctxs[c.ctx]
					gotErr := fusedLs[c.logger].HandleTail(ctx, c.r, c.tail)
					wantErr := plainLs[c.logger].Handle(ctx, c.tail.Record(c.r))
					if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
						t.Fatalf("%s, seed %d, record %d: HandleTail returned %v, Handle %v", m.name, seed, i, gotErr, wantErr)
					}
					if c.r.Level >= slog.LevelError && c.tail.Len() > 0 {
						wantTails++
					}
					if i == 100 {
						scopes[0].End()
						scopes[1].End()
					}
				}
				fusedClose, plainClose := fusedH.Close(context.Background()), plainH.Close(context.Background())
				if fmt.Sprint(fusedClose) != fmt.Sprint(plainClose) {
					t.Fatalf("%s, seed %d: Close returned %v after HandleTail, %v after Handle", m.name, seed, fusedClose, plainClose)
				}
				if diff := cmp.Diff(plainOut.String(), fusedOut.String()); diff != "" {
					t.Fatalf("%s, seed %d: output differs (-Handle +HandleTail):\n%s", m.name, seed, diff)
				}
				if diff := cmp.Diff(plainH.Stats(), fusedH.Stats()); diff != "" {
					t.Fatalf("%s, seed %d: stats differ (-Handle +HandleTail):\n%s", m.name, seed, diff)
				}
				st := plainH.Stats()
				folded, summaries, panics = folded+st.Folded, summaries+st.Summaries.Total(), panics+st.HandlePanics
				if plainTails.Load() != 0 {
					t.Fatalf("%s, seed %d: Handle passed %d tails", m.name, seed, plainTails.Load())
				}
				if got := fusedTails.Load(); got < int64(wantTails) {
					t.Fatalf("%s, seed %d: %d tails passed on, want at least the %d of records at ERROR", m.name, seed, got, wantTails)
				}
			})
		}
		if folded == 0 || summaries == 0 || panics == 0 {
			t.Errorf("%s: the records made %d folded, %d summaries, %d panics; want some of each", m.name, folded, summaries, panics)
		}
	}
}

// TestHandleTailBusinessNoRebuild checks that a business record with a
// tail, under the default Matcher or none, reaches a next handler that
// takes a tail without being rebuilt: no allocation.
func TestHandleTailBusinessNoRebuild(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
	for i := range 5 {
		r.AddAttrs(slog.Int(fmt.Sprintf("a%d", i), i))
	}
	var tail fuse.Tail
	tail.Add(slog.String("correlation_id", "c"))
	tail.Add(slog.String("trace_id", "t"))
	tail.Add(slog.String("span_id", "s"))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts Options
	}{{"DefaultOptions", DefaultOptions()}, {"marker only", markerOnly()}} {
		var tails atomic.Int64
		h := NewHandler(tailCounter{tails: &tails}, tc.opts)
		if n := testing.AllocsPerRun(1000, func() { _ = h.HandleTail(ctx, r, tail) }); n != 0 {
			t.Errorf("%s: HandleTail allocates %v times, want 0", tc.name, n)
		}
		if tails.Load() == 0 {
			t.Errorf("%s: the next handler was given no tail", tc.name)
		}
		closeOrFail(t, h)
	}
}

// TestStatsExactParallel handles a known mix of records from many
// goroutines at once, with and without tails, and checks the counters
// exactly and the conservation law Seen = PassedUnmatched + PassedMatched
// + Folded.
func TestStatsExactParallel(t *testing.T) {
	h := NewHandler(logtest.Nop{}, defaultsWith(func(o *Options) { o.Burst = 0 }))
	defer closeOrFail(t, h)
	var tail fuse.Tail
	tail.Add(slog.String("correlation_id", "c"))
	const goroutines, per = 16, 300
	var wg sync.WaitGroup
	var errs atomic.Int64
	for range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for range per {
				business := slog.NewRecord(time.Now(), slog.LevelInfo, "request handled", 0)
				failure := slog.NewRecord(time.Now(), slog.LevelError, poolMsg, 0)
				system := slog.NewRecord(time.Now(), slog.LevelInfo, poolMsg, 0)
				for _, err := range []error{
					h.Handle(ctx, business), h.HandleTail(ctx, business, tail),
					h.Handle(ctx, failure), h.HandleTail(ctx, failure, tail),
					h.Handle(ctx, system), h.HandleTail(ctx, system, tail),
				} {
					if err != nil {
						errs.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if errs.Load() != 0 {
		t.Fatalf("%d errors", errs.Load())
	}
	n := uint64(goroutines * per)
	st := h.Stats()
	got := []uint64{st.Seen, st.PassedUnmatched, st.PassedMatched + st.Folded}
	if diff := cmp.Diff([]uint64{6 * n, 4 * n, 2 * n}, got); diff != "" {
		t.Errorf("Seen, PassedUnmatched, PassedMatched+Folded (-want +got):\n%s", diff)
	}
}
