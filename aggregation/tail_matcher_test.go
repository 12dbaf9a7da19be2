package aggregation

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/logtest"
)

// seenBy returns a Matcher that appends to seen the record it is given
// (message, level and every attribute) and selects records whose message
// starts with "Connection" or that carry an attribute "k0" of 1; and a
// Matcher that wraps a MatchPrefixes Matcher, recording too.
func seenBy(seen *[]string) (reads, wrapsPrefixes Matcher) {
	describe := func(r slog.Record) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %q", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s", a)
			return true
		})
		return b.String()
	}
	reads = func(_ context.Context, r slog.Record) bool {
		*seen = append(*seen, describe(r))
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == "k0" && a.Value.String() == "1"
			return !found
		})
		return found || strings.HasPrefix(r.Message, "Connection")
	}
	prefixes := MatchPrefixes(poolMsg)
	wrapsPrefixes = func(ctx context.Context, r slog.Record) bool {
		*seen = append(*seen, describe(r))
		return prefixes(ctx, r)
	}
	return reads, wrapsPrefixes
}

// TestHandleTailMatcherSeesTheRecord checks, for random records and
// tails, that a Matcher of the user's (one that reads the attributes,
// and one that wraps MatchPrefixes's) is called on HandleTail(ctx, r, t)
// exactly as on Handle(ctx, t.Record(r)): as many times, in the same
// order, with records of the same level, message and attributes, the
// tail's included.
func TestHandleTailMatcherSeesTheRecord(t *testing.T) {
	for _, kind := range []string{"reads attributes", "wraps MatchPrefixes"} {
		for seed := range uint64(20) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 11))
				var fusedSeen, plainSeen []string
				fusedReads, fusedWraps := seenBy(&fusedSeen)
				plainReads, plainWraps := seenBy(&plainSeen)
				fusedMatch, plainMatch := fusedReads, plainReads
				if kind == "wraps MatchPrefixes" {
					fusedMatch, plainMatch = fusedWraps, plainWraps
				}
				var tails atomic.Int64
				var out logtest.Buffer
				fusedH := NewHandler(tailSink{next: out.JSONHandler(slog.LevelDebug), tails: &tails}, defaultsWith(func(o *Options) { o.Match = fusedMatch }))
				plainH := NewHandler(tailSink{next: out.JSONHandler(slog.LevelDebug), tails: &tails}, defaultsWith(func(o *Options) { o.Match = plainMatch }))
				defer func() { _, _ = fusedH.Close(context.Background()), plainH.Close(context.Background()) }()
				fusedLs, plainLs := derived(fusedH), derived(plainH)
				for _, c := range randomTailCases(rng, 100, len(fusedLs), 1) {
					_ = fusedLs[c.logger].HandleTail(context.Background(), c.r, c.tail)
					_ = plainLs[c.logger].Handle(context.Background(), c.tail.Record(c.r))
				}
				if len(plainSeen) == 0 {
					t.Fatalf("%s, seed %d: the Matcher was never called", kind, seed)
				}
				if diff := cmp.Diff(plainSeen, fusedSeen); diff != "" {
					t.Fatalf("%s, seed %d: records the Matcher saw (-Handle +HandleTail):\n%s", kind, seed, diff)
				}
			})
		}
	}
}
