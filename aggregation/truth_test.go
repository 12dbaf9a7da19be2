package aggregation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
)

// recorder is a next handler that keeps every record it is given.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// occurrences is what the recorder saw: the times of the individual
// records and the summaries' counts and occurrences.
type occurrences struct {
	Individual  []time.Time
	First, Last []time.Time
	Counts      []int
}

func (r *recorder) occurrences(t *testing.T) occurrences {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var o occurrences
	for _, rec := range r.records {
		attrs := map[string]slog.Value{}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value
			return true
		})
		if _, ok := attrs[keyAggregated]; !ok {
			o.Individual = append(o.Individual, rec.Time)
			continue
		}
		first, err1 := time.Parse(occurrenceLayout, attrs[keyFirstOccurrence].String())
		last, err2 := time.Parse(occurrenceLayout, attrs[keyLastOccurrence].String())
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		o.First, o.Last = append(o.First, first), append(o.Last, last)
		o.Counts = append(o.Counts, int(attrs[keyCount].Int64()))
	}
	return o
}

// TestOccurrencesAnyOrder is a property test: records of one group whose
// times fit in one window, handed to the handler in a random order, give
// one summary whose _first_occurrence and _last_occurrence are the
// earliest and the latest time of the records it folded (those not written
// individually). It runs in a synctest bubble, whose clock stands still
// while the test does not wait: the flusher never runs.
func TestOccurrencesAnyOrder(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		base := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		for seed := range uint64(50) {
			rng := rand.New(rand.NewPCG(seed, 1))
			n := defaultBurst + 1 + rng.IntN(60)
			spread := time.Duration(1 + rng.Int64N(int64(defaultWindow)))
			times := make([]time.Time, n)
			for i := range times {
				times[i] = base.Add(time.Duration(rng.Int64N(int64(spread))))
			}
			var rec recorder
			h := NewHandler(&rec, defaultsWith(func(o *Options) { o.BurstWindow = defaultWindow }))
			for _, at := range times {
				if err := h.Handle(context.Background(), slog.NewRecord(at, slog.LevelDebug, poolMsg, 0)); err != nil {
					t.Fatal(err)
				}
			}
			closeOrFail(t, h)
			o := rec.occurrences(t)
			folded := slices.Clone(times)
			for _, at := range o.Individual {
				folded = slices.Delete(folded, slices.Index(folded, at), slices.Index(folded, at)+1)
			}
			want := occurrences{
				Individual: times[:defaultBurst],
				First:      []time.Time{slices.MinFunc(folded, time.Time.Compare)},
				Last:       []time.Time{slices.MaxFunc(folded, time.Time.Compare)},
				Counts:     []int{n - defaultBurst},
			}
			if diff := cmp.Diff(want, o); diff != "" {
				t.Fatalf("seed %d, %d records over %v (-want +got):\n%s", seed, n, spread, diff)
			}
		}
	})
}

// TestOccurrencesConcurrent is a property test: goroutines log one group
// with times spread over several windows, each in its own random order;
// every summary has _first_occurrence <= _last_occurrence, spans less than
// the window, lies within the records' times, and the records are
// conserved. The flusher stands still in the synctest bubble.
func TestOccurrencesConcurrent(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		base := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		const goroutines, perG = 8, 300
		window := 2 * time.Second
		for seed := range uint64(8) {
			var rec recorder
			h := NewHandler(&rec, defaultsWith(func(o *Options) { o.Window, o.MaxCount = window, 50 }))
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(seed, uint64(g)))
					for range perG {
						at := base.Add(time.Duration(rng.Int64N(int64(3 * window))))
						if err := h.Handle(context.Background(), slog.NewRecord(at, slog.LevelDebug, poolMsg, 0)); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			closeOrFail(t, h)
			o := rec.occurrences(t)
			total := len(o.Individual)
			for i := range o.First {
				total += o.Counts[i]
				if o.First[i].After(o.Last[i]) || o.Last[i].Sub(o.First[i]) >= window ||
					o.First[i].Before(base) || !o.Last[i].Before(base.Add(3*window)) {
					t.Errorf("seed %d: summary of %d records from %v to %v, window %v from %v",
						seed, o.Counts[i], o.First[i], o.Last[i], window, base)
				}
			}
			if total != goroutines*perG {
				t.Errorf("seed %d: %d individual + folded records, want %d", seed, total, goroutines*perG)
			}
		}
	})
}

// textPoint has exported fields only: held as a deep copy.
type textPoint struct {
	X, Y int
	Tags []string
	Meta map[string]any
}

// lockedValue holds unexported state: held as its encoding.
type lockedValue struct {
	mu    sync.Mutex
	Name  string
	count int
}

// randomValue returns a random value of one of the kinds a caller logs,
// without pointers below the top (fmt prints those as addresses, which no
// copy can keep), and a function that mutates it in place.
func randomValue(rng *rand.Rand, depth int) (slog.Value, func()) {
	noop := func() {}
	str := func() string {
		alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "\n", "\t", "<", "&", "é", "世", "\u2028", "=", "{", "\x01"}
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	switch k := rng.IntN(16); {
	case k == 0:
		return slog.StringValue(str()), noop
	case k == 1:
		return slog.Int64Value(rng.Int64() - rng.Int64()), noop
	case k == 2:
		return slog.Float64Value(rng.NormFloat64() * 1e6), noop
	case k == 3:
		return slog.BoolValue(rng.IntN(2) == 0), noop
	case k == 4:
		return slog.TimeValue(time.Unix(rng.Int64N(1<<32), rng.Int64N(1e9)).In(time.FixedZone("z", 3600))), noop
	case k == 5:
		return slog.DurationValue(time.Duration(rng.Int64N(1e12))), noop
	case k == 6:
		m := map[string]any{}
		for i := range rng.IntN(5) {
			m[fmt.Sprint("k", i, str())] = rng.IntN(100)
		}
		m["s"] = []any{str(), 1.5, true, nil}
		return slog.AnyValue(m), func() { m["s"] = "changed"; m["new"] = 1 }
	case k == 7:
		s := []string{str(), str()}
		return slog.AnyValue(s), func() { s[0] = "changed" }
	case k == 8:
		p := &textPoint{X: rng.IntN(9), Y: -1, Tags: []string{str()}, Meta: map[string]any{"a": str()}}
		return slog.AnyValue(p), func() { p.X = 100; p.Tags[0] = "changed"; p.Meta["a"] = "changed" }
	case k == 9:
		raw := json.RawMessage(fmt.Sprintf(`{"a":%q,"n":[1,2]}`, str()))
		return slog.AnyValue(raw), func() { raw[2] = 'X' }
	case k == 10:
		b := []byte(str())
		return slog.AnyValue(b), func() {
			if len(b) > 0 {
				b[0] = 'X'
			}
		}
	case k == 11:
		return slog.AnyValue(errors.New(str())), noop
	case k == 12:
		v := &lockedValue{Name: str(), count: 3}
		v.mu.Lock()
		return slog.AnyValue(v), func() { v.Name = "changed" }
	case k == 13:
		return slog.AnyValue(netip.MustParseAddr("192.0.2.1")), noop // a TextMarshaler
	case k == 14 && depth < 2:
		var attrs []slog.Attr
		var mutators []func()
		for i := range 1 + rng.IntN(3) {
			v, mut := randomValue(rng, depth+1)
			attrs = append(attrs, slog.Attr{Key: fmt.Sprint("g", i), Value: v})
			mutators = append(mutators, mut)
		}
		return slog.GroupValue(attrs...), func() {
			for _, m := range mutators {
				m()
			}
		}
	default:
		return slog.AnyValue([2]int{rng.IntN(5), 7}), noop
	}
}

// TestSummaryRendersAsLogged is a property test: for random values of
// every kind, logged Burst+1 times and then mutated in place, the summary
// written through slog.JSONHandler and through slog.TextHandler shows the
// attributes exactly as the individual lines did at the call.
func TestSummaryRendersAsLogged(t *testing.T) {
	leakcheck.Check(t)
	sinks := []struct {
		name string
		new  func(*logtest.Buffer) slog.Handler
	}{
		{"json", func(b *logtest.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		}},
		{"text", func(b *logtest.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		}},
	}
	for _, sink := range sinks {
		t.Run(sink.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for seed := range uint64(300) {
					rng := rand.New(rand.NewPCG(seed, 2))
					var attrs []slog.Attr
					var mutators []func()
					for i := range 1 + rng.IntN(6) {
						v, mut := randomValue(rng, 0)
						attrs = append(attrs, slog.Attr{Key: fmt.Sprint("a", i), Value: v})
						mutators = append(mutators, mut)
					}
					var out logtest.Buffer
					h := NewHandler(sink.new(&out), DefaultOptions())
					log := slog.New(h).With("bound", 1).WithGroup("req")
					for range defaultBurst + 1 {
						log.LogAttrs(context.Background(), slog.LevelDebug, poolMsg, attrs...)
					}
					for _, m := range mutators {
						m()
					}
					closeOrFail(t, h)
					lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
					if len(lines) != defaultBurst+1 {
						t.Fatalf("seed %d: %d lines, want %d:\n%s", seed, len(lines), defaultBurst+1, out.String())
					}
					individual, summary := lines[0], lines[defaultBurst]
					if diff := cmp.Diff(withoutTime(t, individual), withoutTime(t, withoutSummaryKeys(t, summary))); diff != "" {
						t.Fatalf("seed %d: summary differs from the line logged (-line +summary):\n%s", seed, diff)
					}
				}
			})
		})
	}

}

// withoutSummaryKeys removes the keys a summary adds from a JSON or text
// line.
func withoutSummaryKeys(t *testing.T, line string) string {
	t.Helper()
	if strings.HasPrefix(line, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		f := summaryFields(m)
		if f == nil {
			t.Fatalf("not a summary: %s", line)
		}
		for _, k := range []string{keyAggregated, keyCount, keyFirstOccurrence, keyLastOccurrence, keyWindowSeconds} {
			delete(f, k)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	i := strings.Index(line, " req."+keyAggregated+"=true")
	if i < 0 {
		t.Fatalf("not a summary: %s", line)
	}
	return line[:i]
}

// withoutTime removes the time from a JSON line (normalising it) or a text
// line.
func withoutTime(t *testing.T, line string) string {
	t.Helper()
	if strings.HasPrefix(line, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "time")
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	_, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(line, "time=") {
		t.Fatalf("no time in %q", line)
	}
	return rest
}
