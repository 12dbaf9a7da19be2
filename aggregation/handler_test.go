package aggregation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

const poolMsg = "Connection pool size"

func TestBurstThenFold(t *testing.T) {
	tests := []struct {
		name        string
		records     int
		wantSingles int
		wantCounts  []float64
	}{
		{"below burst", 3, 3, nil},
		{"exactly burst", 5, 5, nil},
		{"one past burst", 6, 5, []float64{1}},
		{"many", 100, 5, []float64{95}},
		{"past max count", 5 + 2500, 5, []float64{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var out logtest.Buffer
				h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
				log := slog.New(h)
				for range tt.records {
					log.Debug(poolMsg, "size", 10)
				}
				closeOrFail(t, h)
				lines := out.Lines(t)
				c := count(t, lines)
				if c.individual != tt.wantSingles {
					t.Errorf("individual lines = %d, want %d", c.individual, tt.wantSingles)
				}
				var counts []float64
				for _, s := range summaries(lines) {
					counts = append(counts, s[keyCount].(float64))
				}
				if diff := cmp.Diff(tt.wantCounts, counts); diff != "" {
					t.Errorf("summary counts (-want +got):\n%s", diff)
				}
				if c.individual+c.folded != tt.records {
					t.Errorf("conservation: %d individual + %d folded != %d logged", c.individual, c.folded, tt.records)
				}
				st := h.Stats()
				if st.Seen != uint64(tt.records) || st.Folded != uint64(c.folded) || st.FoldedWritten != uint64(c.folded) {
					t.Errorf("stats = %+v, want seen %d folded %d", st, tt.records, c.folded)
				}
			})
		})
	}
}

func TestSummaryRecord(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h).With("service", "db").WithGroup("pool")
		start := time.Now()
		for i := range 8 {
			if i == 5 {
				time.Sleep(1500 * time.Microsecond)
			}
			log.Debug(poolMsg, "size", 10, slog.Group("limits", "max", 20))
		}
		time.Sleep(time.Millisecond)
		if err := h.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		lines := out.Lines(t)
		if len(lines) != 6 {
			t.Fatalf("got %d lines, want 6:\n%s", len(lines), out.String())
		}
		want := map[string]any{
			"level":   "DEBUG",
			"msg":     poolMsg,
			"service": "db",
			"pool": map[string]any{
				"size":             float64(10),
				"limits":           map[string]any{"max": float64(20)},
				keyAggregated:      true,
				keyCount:           float64(3),
				keyFirstOccurrence: start.Add(1500 * time.Microsecond).Format(occurrenceLayout),
				keyLastOccurrence:  start.Add(1500 * time.Microsecond).Format(occurrenceLayout),
				keyWindowSeconds:   float64(10),
			},
		}
		if diff := cmp.Diff(want, lines[5]); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		if got := want["pool"].(map[string]any)[keyFirstOccurrence].(string); !occurrenceFormat.MatchString(got) {
			t.Errorf("_first_occurrence = %v, want RFC 3339 with nine fractional digits", got)
		}
		for i := range 5 {
			if lines[i]["pool"].(map[string]any)[keyAggregated] != nil {
				t.Errorf("line %d is a summary, want an individual record", i)
			}
		}
		closeOrFail(t, h)
		if st := h.Stats(); st.Summaries.Flush != 1 || st.Summaries.Total() != 1 {
			t.Errorf("summaries by cause = %+v, want one flush", st.Summaries)
		}
	})
}

// occurrenceFormat is RFC 3339 with nine fractional digits.
var occurrenceFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$`)

func TestBurstWindowResets(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		// Five records per second, spread out: never more than five within one
		// burst window, so nothing folds.
		for range 100 {
			log.Info("Health check completed", "status", "ok")
			time.Sleep(200 * time.Millisecond)
		}
		closeOrFail(t, h)
		c := count(t, out.Lines(t))
		if c.individual != 100 || c.summaries != 0 {
			t.Errorf("got %+v, want 100 individual lines and no summary", c)
		}
	})
}

// TestNeverFoldedTogether logs records that differ in exactly one thing and
// checks that each group folds on its own.
func TestNeverFoldedTogether(t *testing.T) {
	scopeA := reqscope.New("req-a", trace.SpanContext{}, reqscope.Decision{Sampled: true})
	scopeB := reqscope.New("req-b", trace.SpanContext{}, reqscope.Decision{Sampled: true})
	ctxA := reqscope.NewContext(context.Background(), scopeA)
	ctxB := reqscope.NewContext(context.Background(), scopeB)
	tm := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type logFn func(l *slog.Logger)
	tests := []struct {
		name string
		a, b logFn
	}{
		{"int value", func(l *slog.Logger) { l.Debug(poolMsg, "size", 10) }, func(l *slog.Logger) { l.Debug(poolMsg, "size", 11) }},
		{"int vs string", func(l *slog.Logger) { l.Debug(poolMsg, "size", 10) }, func(l *slog.Logger) { l.Debug(poolMsg, "size", "10") }},
		{"string value", func(l *slog.Logger) { l.Info("Metric recorded", "name", "a") }, func(l *slog.Logger) { l.Info("Metric recorded", "name", "b") }},
		{"key", func(l *slog.Logger) { l.Info("Metric recorded", "a", 1) }, func(l *slog.Logger) { l.Info("Metric recorded", "b", 1) }},
		{"extra attribute", func(l *slog.Logger) { l.Info("Metric recorded", "a", 1) }, func(l *slog.Logger) { l.Info("Metric recorded", "a", 1, "b", 2) }},
		{"float", func(l *slog.Logger) { l.Info("Metric recorded", "v", 0.1) }, func(l *slog.Logger) { l.Info("Metric recorded", "v", 0.2) }},
		{"bool", func(l *slog.Logger) { l.Info("Metric recorded", "v", true) }, func(l *slog.Logger) { l.Info("Metric recorded", "v", false) }},
		{"error text", func(l *slog.Logger) { l.Warn(poolMsg, "err", errors.New("x")) }, func(l *slog.Logger) { l.Warn(poolMsg, "err", errors.New("y")) }},
		{"any value", func(l *slog.Logger) { l.Info("Metric recorded", "v", []int{1}) }, func(l *slog.Logger) { l.Info("Metric recorded", "v", []int{2}) }},
		{"time location", func(l *slog.Logger) { l.Info("Metric recorded", "t", tm) }, func(l *slog.Logger) { l.Info("Metric recorded", "t", tm.In(time.FixedZone("X", 3600))) }},
		{"nested group value", func(l *slog.Logger) { l.Info("Metric recorded", slog.Group("g", "v", 1)) }, func(l *slog.Logger) { l.Info("Metric recorded", slog.Group("g", "v", 2)) }},
		{"group structure", func(l *slog.Logger) { l.Info("Metric recorded", slog.Group("g", "v", 1)) }, func(l *slog.Logger) { l.Info("Metric recorded", "g", 1) }},
		{"level", func(l *slog.Logger) { l.Info(poolMsg) }, func(l *slog.Logger) { l.Warn(poolMsg) }},
		{"message", func(l *slog.Logger) { l.Info(poolMsg + " a") }, func(l *slog.Logger) { l.Info(poolMsg + " b") }},
		{"With value", func(l *slog.Logger) { l.With("db", "a").Info(poolMsg) }, func(l *slog.Logger) { l.With("db", "b").Info(poolMsg) }},
		{"With vs WithGroup order", func(l *slog.Logger) { l.With("db", "a").WithGroup("g").Info(poolMsg, "v", 1) }, func(l *slog.Logger) { l.WithGroup("g").With("db", "a").Info(poolMsg, "v", 1) }},
		{"WithGroup name", func(l *slog.Logger) { l.WithGroup("a").Info(poolMsg, "v", 1) }, func(l *slog.Logger) { l.WithGroup("b").Info(poolMsg, "v", 1) }},
		{"correlation ID from scope", func(l *slog.Logger) { l.InfoContext(ctxA, poolMsg) }, func(l *slog.Logger) { l.InfoContext(ctxB, poolMsg) }},
		{"correlation_id attribute", func(l *slog.Logger) { l.Info(poolMsg, "correlation_id", "a") }, func(l *slog.Logger) { l.Info(poolMsg, "correlation_id", "b") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var outA, outB, outMixed logtest.Buffer
				// The reference: each kind alone, written by a plain handler.
				tt.a(slog.New(outA.JSONHandler(slog.LevelDebug)))
				tt.b(slog.New(outB.JSONHandler(slog.LevelDebug)))
				h := NewHandler(outMixed.JSONHandler(slog.LevelDebug), DefaultOptions())
				log := slog.New(h)
				for range 20 {
					tt.a(log)
					tt.b(log)
				}
				closeOrFail(t, h)
				lines := outMixed.Lines(t)
				c := count(t, lines)
				if c.individual != 10 || c.summaries != 2 || c.folded != 30 {
					t.Fatalf("got %+v, want 10 individual lines and 2 summaries of 15 each\n%s", c, outMixed.String())
				}
				// Each summary, without its added keys, is exactly one of the
				// two kinds.
				refs := []string{strings.TrimSpace(outA.String()), strings.TrimSpace(outB.String())}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(outMixed.String()), "\n") {
					if strings.Contains(l, keyAggregated) {
						got = append(got, stripSummaryKeys(t, l))
					}
				}
				if diff := cmp.Diff(refs, got); diff != "" {
					t.Errorf("summaries, without the summary keys (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// stripSummaryKeys removes the keys a summary adds from a JSON line,
// wherever they are nested.
func stripSummaryKeys(t *testing.T, line string) string {
	t.Helper()
	for _, k := range []string{keyAggregated, keyCount, keyFirstOccurrence, keyLastOccurrence, keyWindowSeconds} {
		i := strings.Index(line, `,"`+k+`":`)
		if i < 0 {
			t.Fatalf("no %s in %s", k, line)
		}
		j := i + len(k) + 4
		if line[j] == '"' {
			j = j + 1 + strings.IndexByte(line[j+1:], '"') + 1
		} else {
			for j < len(line) && line[j] != ',' && line[j] != '}' {
				j++
			}
		}
		line = line[:i] + line[j:]
	}
	return line
}

func TestUntouched(t *testing.T) {
	// Business events and records at ERROR or above pass exactly as a plain
	// handler writes them, every one, however many.
	tests := []struct {
		name string
		log  func(l *slog.Logger, i int)
	}{
		{"business event", func(l *slog.Logger, i int) { l.Info("request handled", "status", 200, "i", i%2) }},
		{"business event, same record", func(l *slog.Logger, _ int) { l.Info("order placed", "amount", 10) }},
		{"system message at ERROR", func(l *slog.Logger, _ int) { l.Error(poolMsg, "size", 0) }},
		{"marked record at ERROR", func(l *slog.Logger, _ int) { l.Error("db down", System()) }},
		{"system message above ERROR", func(l *slog.Logger, _ int) { l.Log(context.Background(), slog.LevelError+4, "Metric recorded") }},
		{"prefix in the middle", func(l *slog.Logger, _ int) { l.Info("x Connection pool size") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			synctest.Test(t, func(t *testing.T) {
				var want, got logtest.Buffer
				ref := slog.New(want.JSONHandler(slog.LevelDebug))
				h := NewHandler(got.JSONHandler(slog.LevelDebug), DefaultOptions())
				log := slog.New(h)
				for i := range 200 {
					tt.log(ref, i)
					tt.log(log, i)
				}
				closeOrFail(t, h)
				if diff := cmp.Diff(want.String(), got.String()); diff != "" {
					t.Errorf("output (-plain +aggregation):\n%s", diff)
				}
				if st := h.Stats(); st.PassedUnmatched != 200 || st.Folded != 0 {
					t.Errorf("stats = %+v, want 200 passed unmatched", st)
				}
			})
		})
	}
}

func TestMatching(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		log  func(l *slog.Logger)
		fold bool
	}{
		{"default prefix", DefaultOptions(), func(l *slog.Logger) { l.Info("Metric recorded: rps", "v", 1) }, true},
		{"marker on record", DefaultOptions(), func(l *slog.Logger) { l.Info("cache stats", System(), "hits", 1) }, true},
		{"marker through With", DefaultOptions(), func(l *slog.Logger) { l.With(System()).Info("cache stats") }, true},
		{"marker through With in a group", DefaultOptions(), func(l *slog.Logger) { l.WithGroup("g").With(System()).Info("cache stats") }, true},
		{"marker through With before WithGroup", DefaultOptions(), func(l *slog.Logger) { l.With(System()).WithGroup("g").Info("cache stats", "n", 1) }, true},
		{"marker on record under WithGroup", DefaultOptions(), func(l *slog.Logger) { l.WithGroup("g").Info("cache stats", System()) }, true},
		{"marker on record under two WithGroups and With", DefaultOptions(), func(l *slog.Logger) {
			l.WithGroup("a").With("k", 1).WithGroup("b").Info("cache stats", System())
		}, true},
		{"marker only, through With under WithGroup", markerOnly(), func(l *slog.Logger) { l.WithGroup("g").With(System()).Info("cache stats") }, true},
		{"marker only, on record under WithGroup", markerOnly(), func(l *slog.Logger) { l.WithGroup("g").Info("cache stats", System()) }, true},
		{"marker in an inlined group", markerOnly(), func(l *slog.Logger) { l.Info("cache stats", slog.Group("", System())) }, true},
		{"marker in an inlined group through With", markerOnly(), func(l *slog.Logger) { l.With(slog.Group("", System())).Info("cache stats") }, true},
		{"marker as a LogValuer", markerOnly(), func(l *slog.Logger) { l.Info("cache stats", slog.Any(markerKey, markerValuer{})) }, true},
		{"marker nested in a group value", DefaultOptions(), func(l *slog.Logger) { l.Info("cache stats", slog.Group("g", System())) }, false},
		{"marker nested in a group value through With", DefaultOptions(), func(l *slog.Logger) { l.With(slog.Group("g", System())).Info("cache stats") }, false},
		{"marker with another value", DefaultOptions(), func(l *slog.Logger) { l.Info("cache stats", markerKey, "business") }, false},
		{"custom prefixes", defaultsWith(func(o *Options) { o.Match = MatchPrefixes("tick") }), func(l *slog.Logger) { l.Info("tick 1") }, true},
		{"custom prefixes replace defaults", defaultsWith(func(o *Options) { o.Match = MatchPrefixes("tick") }), func(l *slog.Logger) { l.Info(poolMsg) }, false},
		{"no prefixes, marker only", markerOnly(), func(l *slog.Logger) { l.Info(poolMsg) }, false},
		{"no prefixes, marker still selects", markerOnly(), func(l *slog.Logger) { l.Info(poolMsg, System()) }, true},
		{"custom matcher", defaultsWith(func(o *Options) {
			o.Match = func(_ context.Context, r slog.Record) bool { return r.Level == slog.LevelDebug }
		}), func(l *slog.Logger) { l.Debug("anything") }, true},
		{"custom matcher declines", defaultsWith(func(o *Options) { o.Match = func(context.Context, slog.Record) bool { return false } }), func(l *slog.Logger) { l.Info(poolMsg) }, false},
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
				c := count(t, out.Lines(t))
				want := tally{individual: 10}
				if tt.fold {
					want = tally{individual: 5, summaries: 1, folded: 5}
				}
				if c != want {
					t.Errorf("got %+v, want %+v\n%s", c, want, out.String())
				}
			})
		})
	}
}

// markerValuer resolves to the System marker's value.
type markerValuer struct{}

func (markerValuer) LogValue() slog.Value { return slog.StringValue(markerValue) }

func TestBurstThenSilence(t *testing.T) {
	// Driven tick by tick: the summary is written by the flusher, with no
	// further record, on the last tick before its window ends.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		out := new(logtest.Buffer)
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		defer closeOrFail(t, h)
		log := slog.New(h)
		for range 50 {
			log.Debug(poolMsg, "size", 3)
		}
		if c := count(t, out.Lines(t)); c.summaries != 0 {
			t.Fatalf("summary written before the window ended: %+v", c)
		}
		step := defaultFlushInterval
		elapsed := time.Duration(0)
		for elapsed < 2*defaultWindow {
			elapsed += step
			if !tick(t, h) {
				t.Fatal("no flusher running while a summary is open")
			}
			if c := count(t, out.Lines(t)); c.summaries > 0 {
				break
			}
		}
		c := count(t, out.Lines(t))
		if c.summaries != 1 || c.folded != 45 || c.individual != 5 {
			t.Fatalf("got %+v, want 5 individual and one summary of 45", c)
		}
		if elapsed <= defaultWindow-step || elapsed > defaultWindow {
			t.Errorf("summary written after %v, want within (%v, %v]", elapsed, defaultWindow-step, defaultWindow)
		}
		if st := h.Stats(); st.Summaries.Window != 1 {
			t.Errorf("summaries = %+v, want one by window", st.Summaries)
		}
	})
}

func TestBurstThenSilenceRealFlusher(t *testing.T) {
	// The same with the real ticker: the flusher goroutine writes the
	// summary on its own.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), defaultsWith(func(o *Options) { o.FlushInterval = 5 * time.Millisecond }))
		defer closeOrFail(t, h)
		log := slog.New(h)
		for range 50 {
			log.Debug(poolMsg, "size", 3)
		}
		time.Sleep(defaultWindow)
		synctest.Wait()
		if c := count(t, out.Lines(t)); c.folded != 45 {
			t.Errorf("got %+v, want one summary of 45", c)
		}
	})
}

func TestNeverQuiet(t *testing.T) {
	// A group logged 100 times a second for a minute yields a summary every
	// window, never one open-ended summary.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		out := new(logtest.Buffer)
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		const seconds = 60
		for range seconds * 100 {
			log.Debug(poolMsg, "size", 7)
			time.Sleep(10 * time.Millisecond)
		}
		closeOrFail(t, h)
		lines := out.Lines(t)
		sums := summaries(lines)
		if len(sums) < seconds/10 {
			t.Fatalf("got %d summaries in %d s, want at least %d", len(sums), seconds, seconds/10)
		}
		for _, s := range sums[:len(sums)-1] {
			first, _ := time.Parse(occurrenceLayout, s[keyFirstOccurrence].(string))
			last, _ := time.Parse(occurrenceLayout, s[keyLastOccurrence].(string))
			if span := last.Sub(first); span >= defaultWindow || span < defaultWindow-time.Second {
				t.Errorf("summary spans %v, want just under the %v window", span, defaultWindow)
			}
		}
		if c := count(t, lines); c.individual+c.folded != seconds*100 {
			t.Errorf("conservation: %+v, want %d records", c, seconds*100)
		}
	})
}

func TestEviction(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), defaultsWith(func(o *Options) { o.MaxGroups = 3 }))
		log := slog.New(h)
		for g := range 4 {
			for range 8 {
				log.Debug(poolMsg, "size", g)
			}
		}
		lines := out.Lines(t)
		sums := summaries(lines)
		if len(sums) != 1 || sums[0]["size"] != float64(0) || sums[0][keyCount] != float64(3) {
			t.Fatalf("want the least recently used group 0 evicted with a summary of 3, got %v", sums)
		}
		st := h.Stats()
		if st.GroupsEvicted != 1 || st.Groups != 3 || st.Summaries.Evicted != 1 {
			t.Errorf("stats = %+v", st)
		}
		closeOrFail(t, h)
		if c := count(t, out.Lines(t)); c.individual+c.folded != 32 {
			t.Errorf("conservation: %+v", c)
		}
	})
}

func TestRequestEnd(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		scope := reqscope.New("req-1", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctx := reqscope.NewContext(context.Background(), scope)
		for range 9 {
			log.DebugContext(ctx, poolMsg, "size", 1)
		}
		log.Debug(poolMsg, "size", 1) // no scope: another group
		if st := h.Stats(); st.Groups != 2 {
			t.Fatalf("groups = %d, want 2", st.Groups)
		}
		scope.End()
		sums := summaries(out.Lines(t))
		if len(sums) != 1 || sums[0][keyCount] != float64(4) {
			t.Fatalf("want one summary of 4 at request end, got %v", sums)
		}
		st := h.Stats()
		if st.Summaries.RequestEnd != 1 || st.Groups != 1 {
			t.Errorf("stats = %+v, want one request-end summary and the scope's group freed", st)
		}
		// Records logged with the ended scope's context still count.
		for range 9 {
			log.DebugContext(ctx, poolMsg, "size", 1)
		}
		closeOrFail(t, h)
		if c := count(t, out.Lines(t)); c.individual+c.folded != 19 {
			t.Errorf("conservation: %+v, want 19", c)
		}
	})
}

func TestCloseAndAfter(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		for range 20 {
			log.Debug(poolMsg)
		}
		closeOrFail(t, h)
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("second Close: %v", err)
		}
		for range 20 {
			log.Debug(poolMsg)
		}
		if err := h.Flush(context.Background()); err != nil {
			t.Errorf("Flush after Close: %v", err)
		}
		c := count(t, out.Lines(t))
		if c != (tally{individual: 25, summaries: 1, folded: 15}) {
			t.Errorf("got %+v, want the summary at Close and every later record individually", c)
		}
		if st := h.Stats(); st.Groups != 0 || st.Bytes != 0 {
			t.Errorf("cache not empty after Close: %+v", st)
		}
	})
}

func TestFlusherExitsWhenIdle(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(discardJSON(), DefaultOptions())
		log := slog.New(h)
		log.Debug(poolMsg)
		if !h.sh.flusher.running.Load() {
			t.Fatal("no flusher running while the cache holds a group")
		}
		time.Sleep(defaultWindow)
		synctest.Wait()
		if st := h.Stats(); st.Groups != 0 || st.GroupsExpired != 1 {
			t.Fatalf("idle group not dropped: %+v", st)
		}
		if h.sh.flusher.running.Load() {
			t.Fatal("flusher still running with an empty cache")
		}
		// A new group starts it again.
		log.Debug(poolMsg)
		if !tick(t, h) {
			t.Fatal("flusher not restarted by a new group")
		}
		closeOrFail(t, h)
	})
}

func TestSummaryRechecksEnabled(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		var level slog.LevelVar
		level.Set(slog.LevelDebug)
		h := NewHandler(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: &level}), DefaultOptions())
		log := slog.New(h)
		for range 10 {
			log.Debug(poolMsg)
		}
		level.Set(slog.LevelInfo)
		closeOrFail(t, h)
		st := h.Stats()
		if c := count(t, out.Lines(t)); c.summaries != 0 || st.SummariesDisabled != 1 || st.FoldedDisabled != 5 {
			t.Errorf("summary written at a disabled level or not counted: %+v, %+v", c, st)
		}
	})
}

// failingHandler fails or panics on summaries.
type failingHandler struct {
	slog.Handler
	panics bool
}

func (f failingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.NumAttrs() > 0 {
		if f.panics {
			panic("sink broke")
		}
		return errors.New("sink broke")
	}
	return f.Handler.Handle(ctx, r)
}

func TestSummaryErrors(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(failingHandler{Handler: out.JSONHandler(slog.LevelDebug)}, DefaultOptions())
		log := slog.New(h)
		for range 10 {
			log.Debug(poolMsg)
		}
		if err := h.Close(context.Background()); err == nil || !strings.Contains(err.Error(), "sink broke") {
			t.Errorf("Close = %v, want the sink's error", err)
		}
		// A panic writing a summary in the background is survived and counted.
		h2 := NewHandler(failingHandler{Handler: out.JSONHandler(slog.LevelDebug), panics: true}, DefaultOptions())
		log2 := slog.New(h2)
		for range 10 {
			log2.Debug(poolMsg)
		}
		if !h2.sh.flusher.running.Load() {
			t.Fatal("no flusher running while a summary is open")
		}
		time.Sleep(defaultWindow)
		synctest.Wait()
		closeOrFail(t, h2)
		if st := h2.Stats(); st.SummaryErrors != 1 || st.Summaries.Window != 1 {
			t.Errorf("stats = %+v, want one window summary failed", st)
		}
	})
}

func TestTruncation(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		long := strings.Repeat("é", 5000)   // 10,000 bytes
		ctl := strings.Repeat("\x01", 3000) // escapes to 18,000 bytes of JSON
		var attrs []any
		for i := range 200 {
			attrs = append(attrs, fmt.Sprintf("k%03d", i), strings.Repeat("v", 200))
		}
		args := append([]any{"long", long, "ctl", ctl, "obj", map[string]string{"a": long}}, attrs...)
		for range 10 {
			log.Debug(poolMsg+strings.Repeat("!", 3000), args...)
		}
		closeOrFail(t, h)
		var summary string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.Contains(l, keyAggregated) {
				summary = l
			}
		}
		if summary == "" {
			t.Fatal("no summary")
		}
		if len(summary) >= 16<<10 {
			t.Errorf("summary line is %d bytes, want under 16 KiB", len(summary))
		}
		for _, want := range []string{`"` + keyTruncated + `":true`, `"` + keyCount + `":5`, "é…", `"long":"` + strings.Repeat("é", 512) + `…"`} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary lacks %q", want)
			}
		}
	})
}

func TestHeldValuesAreFrozen(t *testing.T) {
	// Mutating a value after the call does not change the summary, and the
	// summary renders values as the plain handler would have.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out, ref logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		type point struct{ X, Y int }
		m := map[string]int{"a": 1}
		p := &point{1, 2}
		for range 6 {
			log.Debug(poolMsg, "m", m, "p", p, "html", "<&>", "err", errors.New("boom"))
		}
		slog.New(ref.JSONHandler(slog.LevelDebug)).Debug(poolMsg, "m", map[string]int{"a": 1}, "p", &point{1, 2}, "html", "<&>", "err", errors.New("boom"))
		m["a"] = 2
		p.X = 9
		closeOrFail(t, h)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		got := stripSummaryKeys(t, lines[len(lines)-1])
		if diff := cmp.Diff(strings.TrimSpace(ref.String()), got); diff != "" {
			t.Errorf("summary (-plain +summary):\n%s", diff)
		}
	})
}

type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("valuer broke") }

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("json broke") }
func (panicJSON) String() string               { return "pj" }

type nilError struct{ p *int }

func (e *nilError) Error() string { return fmt.Sprint(*e.p) }

func TestBadValuesNeverPanic(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), DefaultOptions())
		log := slog.New(h)
		for range 10 {
			log.Debug(poolMsg, "v", panicValuer{}, "j", panicJSON{}, "e", &nilError{}, "nil", nil)
		}
		closeOrFail(t, h)
		if c := strings.Count(out.String(), "\n"); c != 6 {
			t.Errorf("got %d lines, want 6:\n%s", c, out.String())
		}
	})
}

func TestLongScopeStaysBounded(t *testing.T) {
	// A scope that lives long (a job) and logs many groups that are evicted
	// keeps a bounded list of its groups; its end still writes every open
	// summary of its own.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), defaultsWith(func(o *Options) { o.MaxGroups = 10 }))
		defer func() { _ = h.Close(context.Background()) }()
		log := slog.New(h)
		scope := reqscope.New("job-1", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctx := reqscope.NewContext(context.Background(), scope)
		const groups = 2000
		for g := range groups {
			for range 7 {
				log.DebugContext(ctx, poolMsg, "size", g)
			}
		}
		v, ok := scope.Lookup(h.sh)
		if !ok {
			t.Fatal("handler not attached to the scope")
		}
		sg := v.(*scopeGroups)
		sg.mu.Lock()
		n := len(sg.groups)
		sg.mu.Unlock()
		if n > 2*10+minCompact {
			t.Errorf("scope lists %d groups with at most 10 alive, want it bounded", n)
		}
		scope.End()
		st := h.Stats()
		if st.Summaries.RequestEnd != 10 || st.Summaries.Evicted != groups-10 || st.Groups != 0 {
			t.Errorf("stats = %+v, want 10 summaries at scope end, the rest evicted, no group left", st)
		}
		closeOrFail(t, h)
		if c := count(t, out.Lines(t)); c.individual+c.folded != 7*groups {
			t.Errorf("conservation: %+v", c)
		}
	})
}

// ctxHandler adds the correlation ID of the scope in the context, the way a
// request-aware handler after aggregation does, and fails on a cancelled
// context.
type ctxHandler struct{ slog.Handler }

func (c ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s := reqscope.FromContext(ctx); s != nil {
		r = r.Clone()
		r.AddAttrs(slog.String("correlation_id", s.CorrelationID()))
	}
	return c.Handler.Handle(ctx, r)
}

func TestSummaryKeepsContext(t *testing.T) {
	// The summary is handed the first folded record's context, without its
	// cancellation: handlers after aggregation see the request's values
	// even after the request's context is cancelled.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(ctxHandler{out.JSONHandler(slog.LevelDebug)}, DefaultOptions())
		log := slog.New(h)
		scope := reqscope.New("req-42", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctx, cancel := context.WithCancel(reqscope.NewContext(context.Background(), scope))
		for range 8 {
			log.DebugContext(ctx, poolMsg, "size", 4)
		}
		cancel()
		scope.End()
		closeOrFail(t, h)
		lines := out.Lines(t)
		if len(lines) != 6 {
			t.Fatalf("got %d lines, want 6:\n%s", len(lines), out.String())
		}
		want := map[string]any{"level": "DEBUG", "msg": poolMsg, "size": float64(4), "correlation_id": "req-42",
			keyAggregated: true, keyCount: float64(3)}
		got := lines[5]
		delete(got, keyFirstOccurrence)
		delete(got, keyLastOccurrence)
		delete(got, keyWindowSeconds)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
}

func TestPointerContentsDiffer(t *testing.T) {
	// Two records whose values differ only behind a nested pointer (which
	// %+v prints as an address) are still different groups.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		type inner struct{ N int }
		type outer struct{ In *inner }
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		log := slog.New(h)
		v := &outer{In: &inner{N: 1}}
		for range 6 {
			log.Info("Metric recorded", "v", v)
		}
		v.In.N = 2
		for range 6 {
			log.Info("Metric recorded", "v", v)
		}
		closeOrFail(t, h)
		var counts []float64
		for _, s := range summaries(out.Lines(t)) {
			counts = append(counts, s[keyCount].(float64))
		}
		if diff := cmp.Diff([]float64{1, 1}, counts); diff != "" {
			t.Errorf("summary counts (-want +got):\n%s\n%s", diff, out.String())
		}
	})
}

func TestRecordTimes(t *testing.T) {
	// Without Options.Now, records are dated by their own time: the
	// occurrences are the records' times, and a record dated far in the
	// future does not hold its summary open.
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		var out logtest.Buffer
		h := NewHandler(out.JSONHandler(slog.LevelDebug), DefaultOptions())
		defer closeOrFail(t, h)
		ctx := context.Background()
		base := time.Now().Add(time.Hour)
		for i := range 8 {
			r := slog.NewRecord(base.Add(time.Duration(i)*time.Millisecond), slog.LevelDebug, poolMsg, 0)
			if err := h.Handle(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if !tick(t, h) {
			t.Fatal("no flusher running")
		}
		sums := summaries(out.Lines(t))
		if len(sums) != 1 {
			t.Fatalf("future-dated summary held open: %d summaries\n%s", len(sums), out.String())
		}
		want := map[string]any{
			keyFirstOccurrence: base.Add(5 * time.Millisecond).Format(occurrenceLayout),
			keyLastOccurrence:  base.Add(7 * time.Millisecond).Format(occurrenceLayout),
			keyCount:           float64(3),
		}
		got := map[string]any{}
		for k := range want {
			got[k] = sums[0][k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
}
