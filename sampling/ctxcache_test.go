package sampling

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// valueContext is a context of an incomparable type (it holds a slice):
// comparing two of them with == would panic.
type valueContext struct {
	context.Context
	tags []string
}

// TestContextCacheFindsEachRecordsScope logs, round after round, with many
// contexts of many scopes (more contexts than the cache has slots, more
// per scope than it keeps, layered values, incomparable context types),
// half of the scopes sampled: every record must follow its own scope's
// decision. Buffering is off, so a record of a scope not sampled is
// refused by Enabled and the written records name exactly the sampled
// scopes' contexts.
func TestContextCacheFindsEachRecordsScope(t *testing.T) {
	for _, opts := range []struct {
		name string
		o    Options
	}{{"buffering-off", Options{}}, {"buffering-on", DefaultOptions()}} {
		t.Run(opts.name, func(t *testing.T) {
			buf, next := newJSON(slog.LevelDebug)
			h := NewHandler(next, opts.o)
			l := slog.New(h)
			const scopes, ctxsPerScope, rounds = 150, 6, 3
			type logged struct {
				ctx  context.Context
				name string
			}
			var all []logged
			var ends []*reqscope.Scope
			for i := range scopes {
				d := notSampled
				if i%2 == 0 {
					d = sampledBy
				}
				s := reqscope.New(fmt.Sprint("cid", i), trace.SpanContext{}, d)
				ends = append(ends, s)
				ctx := reqscope.NewContext(context.Background(), s)
				for j := range ctxsPerScope {
					switch j % 3 {
					case 0:
						ctx = context.WithValue(ctx, layerKey(j), j)
					case 1:
						ctx = valueContext{Context: ctx, tags: []string{"x"}}
					default:
						ctx = context.WithoutCancel(ctx)
					}
					all = append(all, logged{ctx, fmt.Sprintf("s%d/c%d", i, j)})
				}
			}
			var want []string
			for range rounds {
				for _, c := range all {
					l.InfoContext(c.ctx, c.name)
					var i int
					fmt.Sscanf(c.name, "s%d/", &i)
					if i%2 == 0 {
						want = append(want, c.name)
					}
				}
			}
			var got []string
			for _, line := range buf.Lines(t) {
				got = append(got, line["msg"].(string))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("written records (-want +got):\n%s", diff)
			}
			for _, s := range ends {
				s.End()
			}
			st := h.Stats()
			if st.RequestsSampled.Total() != scopes/2 || st.RequestsNotSampled.Total() != scopes/2 {
				t.Fatalf("requests counted: sampled %d, not sampled %d; want %d each",
					st.RequestsSampled.Total(), st.RequestsNotSampled.Total(), scopes/2)
			}
		})
	}
}

// TestContextCacheReleasesEndedScopes checks that the context cache keeps
// no context of a scope that has ended, so an ended request (its context,
// its response writer) is not kept alive by the handler.
func TestContextCacheReleasesEndedScopes(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	l := slog.New(h)
	var ends []*reqscope.Scope
	for i := range 64 {
		ctx, s := open(notSampled)
		ends = append(ends, s)
		for j := range 3 {
			ctx = context.WithValue(ctx, layerKey(j), i)
			l.InfoContext(ctx, "buffered")
		}
	}
	if n := cachedContexts(&h.sh.ctxs); n == 0 {
		t.Fatal("no context was cached while the scopes were open")
	}
	for _, s := range ends {
		s.End()
	}
	if n := cachedContexts(&h.sh.ctxs); n != 0 {
		t.Fatalf("%d contexts of ended scopes are still cached", n)
	}
}

func cachedContexts(c *ctxCache) int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// TestDisabledNotSampledAllocatesNothing checks that Enabled allocates
// nothing for a record of a scope not sampled with buffering off, on a
// context seen before, with ten values layered on it.
func TestDisabledNotSampledAllocatesNothing(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, Options{})
	ctx, s := deepContext(notSampled)
	defer s.End()
	allocs := testing.AllocsPerRun(100, func() {
		if h.Enabled(ctx, slog.LevelInfo) {
			t.Fatal("enabled for a scope not sampled with buffering off")
		}
	})
	if allocs != 0 {
		t.Fatalf("Enabled allocates %v times per call", allocs)
	}
}

// callCounter counts its LogValue calls.
type callCounter struct{ n *int }

func (c callCounter) LogValue() slog.Value { *c.n++; return slog.IntValue(*c.n) }

// TestContextCacheAfterEnd checks that a context still cached after its
// scope ended (cached by a record racing the End) is handled as an ended
// scope: a record below ERROR is discarded and counted, without a
// snapshot (its LogValue is not called).
func TestContextCacheAfterEnd(t *testing.T) {
	buf, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, DefaultOptions())
	l := slog.New(h)
	ctx, s := open(notSampled)
	l.InfoContext(ctx, "buffered")
	_, st := h.sh.stateOf(ctx)
	s.End()
	// As a record's lookup racing the End finds it: still in the cache.
	h.sh.ctxs.slots[slotOf(wordsOf(&ctx))].Store(&ctxEntry{ctx: ctx, st: st})
	calls := 0
	l.InfoContext(ctx, "after end", "v", callCounter{&calls})
	if calls != 0 || buf.String() != "" {
		t.Fatalf("LogValue called %d times, written %q", calls, buf.String())
	}
	if got := h.Stats(); got.RecordsDiscarded != 1 || got.RecordsDropped != 1 {
		t.Fatalf("discarded %d, dropped %d; want 1 and 1", got.RecordsDiscarded, got.RecordsDropped)
	}
}
