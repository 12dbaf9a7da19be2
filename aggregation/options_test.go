package aggregation

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// TestOptionsZero checks what each field of Options means at zero and
// below: Burst 0 is a real setting (fold from the first record), every
// other number takes the value DefaultOptions sets, and a negative number
// is treated as zero.
func TestOptionsZero(t *testing.T) {
	defaults := config{
		burst: defaultBurst, burstWindow: defaultBurstWindow, window: defaultWindow,
		maxCount: defaultMaxCount, maxGroups: defaultMaxGroups, flushInterval: defaultFlushInterval,
		maxValueBytes: defaultMaxValueBytes, maxAttrBytes: defaultMaxAttrBytes,
	}
	with := func(set func(c *config)) config {
		c := defaults
		set(&c)
		return c
	}
	tests := []struct {
		name string
		opts Options
		want config
	}{
		{"DefaultOptions", DefaultOptions(), with(func(c *config) { c.matchMessageOnly = true })},
		{"zero: burst 0, the rest defaults", Options{}, with(func(c *config) { c.burst = 0 })},
		{"negatives as zero", Options{
			Burst: -1, BurstWindow: -time.Second, Window: -time.Second, MaxCount: -1, MaxGroups: -1,
			FlushInterval: -time.Second, MaxValueBytes: -1, MaxAttrBytes: -1,
		}, with(func(c *config) { c.burst = 0 })},
		{"flush interval under 1ms counts as 1ms", Options{FlushInterval: time.Nanosecond},
			with(func(c *config) { c.burst, c.flushInterval = 0, time.Millisecond })},
		{"set values kept", Options{
			Burst: 1, BurstWindow: 2 * time.Second, Window: 3 * time.Second, MaxCount: 4, MaxGroups: 5,
			FlushInterval: 6 * time.Millisecond, MaxValueBytes: 7, MaxAttrBytes: 8,
		}, config{burst: 1, burstWindow: 2 * time.Second, window: 3 * time.Second, maxCount: 4, maxGroups: 5,
			flushInterval: 6 * time.Millisecond, maxValueBytes: 7, maxAttrBytes: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.opts.config()
			if (got.match == nil) != (tt.opts.Match == nil) {
				t.Errorf("match set = %v, want %v", got.match != nil, tt.opts.Match != nil)
			}
			got.match = nil
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadsMessageOnly checks which Matchers are known to read the
// message alone (a record need not be rebuilt with its tail for them):
// those MatchPrefixes returns, and no other.
func TestReadsMessageOnly(t *testing.T) {
	prefixes := MatchPrefixes("a", "b")
	tests := []struct {
		name string
		m    Matcher
		want bool
	}{
		{"nil", nil, false},
		{"MatchPrefixes", prefixes, true},
		{"MatchPrefixes without prefixes", MatchPrefixes(), true},
		{"the default", DefaultOptions().Match, true},
		{"a func of the caller", func(context.Context, slog.Record) bool { return true }, false},
		{"a func calling MatchPrefixes's", func(ctx context.Context, r slog.Record) bool { return prefixes(ctx, r) }, false},
	}
	for _, tt := range tests {
		if got := readsMessageOnly(tt.m); got != tt.want {
			t.Errorf("%s: readsMessageOnly = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestZeroOptionsBehaviour checks the zero Options end to end: only
// records carrying the System marker are system records, and they are
// folded from the first one; DefaultOptions selects the default prefixes
// and passes a burst first.
func TestZeroOptionsBehaviour(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		log  func(l *slog.Logger)
		want tally
	}{
		{"zero, marked", Options{}, func(l *slog.Logger) { l.Info("cache stats", System()) }, tally{summaries: 1, folded: 10}},
		{"zero, marked through With", Options{}, func(l *slog.Logger) { l.With(System()).Info("cache stats") }, tally{summaries: 1, folded: 10}},
		{"zero, default prefix is not selected", Options{}, func(l *slog.Logger) { l.Info(poolMsg) }, tally{individual: 10}},
		{"zero Burst with MatchPrefixes", Options{Match: MatchPrefixes("tick")}, func(l *slog.Logger) { l.Info("tick 1") }, tally{summaries: 1, folded: 10}},
		{"negative Burst as zero", Options{Burst: -3, Match: MatchPrefixes("tick")}, func(l *slog.Logger) { l.Info("tick 1") }, tally{summaries: 1, folded: 10}},
		{"MatchPrefixes with no prefixes selects by the marker only", Options{Match: MatchPrefixes()}, func(l *slog.Logger) { l.Info(poolMsg) }, tally{individual: 10}},
		{"DefaultOptions, default prefix", DefaultOptions(), func(l *slog.Logger) { l.Info(poolMsg) }, tally{individual: 5, summaries: 1, folded: 5}},
		{"DefaultOptions, business event", DefaultOptions(), func(l *slog.Logger) { l.Info("order placed") }, tally{individual: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var out logtest.Buffer
				h := NewHandler(out.JSONHandler(slog.LevelDebug), tt.opts)
				log := slog.New(h)
				for range 10 {
					tt.log(log)
				}
				closeOrFail(t, h)
				if got := count(t, out.Lines(t)); got != tt.want {
					t.Errorf("got %+v, want %+v\n%s", got, tt.want, out.String())
				}
			})
		})
	}
}

// TestNilNextPanics checks the message of the panic on a nil next handler.
func TestNilNextPanics(t *testing.T) {
	defer func() {
		if got, want := recover(), "aggregation: NewHandler: nil next handler"; got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}()
	NewHandler(nil, DefaultOptions())
}

// TestDefaultOptionsMatch checks the message prefixes DefaultOptions
// selects.
func TestDefaultOptionsMatch(t *testing.T) {
	m := DefaultOptions().Match
	for _, tt := range []struct {
		msg  string
		want bool
	}{
		{"Connection pool size", true}, {"Health check completed: ok", true}, {"Metric recorded", true},
		{"Metric", false}, {"order placed", false}, {"", false},
	} {
		if got := m(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, tt.msg, 0)); got != tt.want {
			t.Errorf("DefaultOptions().Match(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}
