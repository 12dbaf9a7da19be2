package sampling

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// collector is a next handler that records (request, worker, seq) of every
// record it is handed, plus the sampling annotations.
type collector struct {
	mu  sync.Mutex
	got map[string][]seen
	// panicNext makes the next Handle call record what it was handed,
	// marked panicked, and panic.
	panicNext bool
}

type seen struct {
	worker, seq int
	level       slog.Level
	reason      string
	lost        int  // _lost_records of a loss report
	panicked    bool // Handle panicked on it
}

func (c *collector) Enabled(context.Context, slog.Level) bool { return true }
func (c *collector) WithGroup(string) slog.Handler            { return c }
func (c *collector) WithAttrs(as []slog.Attr) slog.Handler {
	return &collectorView{c: c, with: as}
}
func (c *collector) Handle(ctx context.Context, r slog.Record) error {
	return (&collectorView{c: c}).Handle(ctx, r)
}

type collectorView struct {
	c    *collector
	with []slog.Attr
}

func (v *collectorView) Enabled(context.Context, slog.Level) bool { return true }
func (v *collectorView) WithGroup(string) slog.Handler            { return v }
func (v *collectorView) WithAttrs(as []slog.Attr) slog.Handler {
	return &collectorView{c: v.c, with: append(append([]slog.Attr(nil), v.with...), as...)}
}
func (v *collectorView) Handle(_ context.Context, r slog.Record) error {
	var req string
	s := seen{worker: -1, seq: -1, level: r.Level}
	visit := func(a slog.Attr) bool {
		switch a.Key {
		case "req":
			req = a.Value.String()
		case "worker":
			s.worker = int(a.Value.Int64())
		case "seq":
			s.seq = int(a.Value.Int64())
		case sampleReasonKey:
			s.reason = a.Value.String()
		case lostRecordsKey:
			s.lost = int(a.Value.Int64())
		}
		return true
	}
	for _, a := range v.with {
		visit(a)
	}
	r.Attrs(visit)
	v.c.mu.Lock()
	s.panicked, v.c.panicNext = v.c.panicNext, false
	v.c.got[req] = append(v.c.got[req], s)
	v.c.mu.Unlock()
	if s.panicked {
		panic("collector: told to panic")
	}
	return nil
}

// TestConcurrentRequestsAllOrNothing runs many requests at once, each
// logging from several goroutines; some err, some are kept by Keep (a 5xx
// or panic, racing with their own records), some are sampled, the rest end
// quietly. Every request's records are all written or none, each worker's
// in the order it logged them, and the counters balance.
func TestConcurrentRequestsAllOrNothing(t *testing.T) {
	leakcheck.Check(t)
	requests, workers, perWorker := 400, 3, 30
	if raceEnabled {
		requests = 150
	}
	c := &collector{got: map[string][]seen{}}
	h := NewHandler(c, DefaultOptions())
	l := slog.New(h)
	type plan struct {
		id      string
		sampled bool
		errAt   int // worker 0 logs an ERROR at this seq; -1 for none
		keep    bool
	}
	plans := make([]plan, requests)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range plans {
		p := plan{id: fmt.Sprint("req-", i), errAt: -1}
		switch rng.IntN(4) {
		case 0:
			p.sampled = true
		case 1:
			p.errAt = rng.IntN(perWorker)
		case 2:
			p.keep = true
		}
		plans[i] = p
	}
	var all sync.WaitGroup
	for _, p := range plans {
		all.Add(1)
		go func() {
			defer all.Done()
			d := notSampled
			if p.sampled {
				d = sampledBy
			}
			s := reqscope.New(p.id, trace.SpanContext{}, d)
			ctx := reqscope.NewContext(context.Background(), s)
			rl := l.With("req", p.id)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wl := rl.With("worker", w)
					for seq := 0; seq < perWorker; seq++ {
						level := slog.LevelInfo
						if w == 0 && seq == p.errAt {
							level = slog.LevelError
						}
						wl.Log(ctx, level, "work", "seq", seq)
						if w == 1 && seq == perWorker/2 && p.keep {
							s.Keep() // the 5xx or panic, mid-request
						}
					}
				}()
			}
			wg.Wait()
			s.End()
		}()
	}
	all.Wait()

	total := 0
	for _, p := range plans {
		got := c.got[p.id]
		total += len(got)
		written := p.sampled || p.errAt >= 0 || p.keep
		if !written {
			if len(got) != 0 {
				t.Fatalf("%s: dropped request wrote %d records", p.id, len(got))
			}
			continue
		}
		if len(got) != workers*perWorker {
			t.Fatalf("%s: %d of %d records written", p.id, len(got), workers*perWorker)
		}
		next := make([]int, workers)
		for _, s := range got {
			if s.seq != next[s.worker] {
				t.Fatalf("%s: worker %d record %d came when %d was due", p.id, s.worker, s.seq, next[s.worker])
			}
			next[s.worker]++
			want := reqscope.ReasonError
			if p.sampled {
				want = reqscope.ReasonRate
			}
			if s.reason != want {
				t.Fatalf("%s: reason %q, want %q", p.id, s.reason, want)
			}
		}
	}
	st := h.Stats()
	checkConservation(t, st)
	if st.RecordsPassed+st.RecordsRescued != uint64(total) {
		t.Fatalf("passed %d + rescued %d != written %d", st.RecordsPassed, st.RecordsRescued, total)
	}
	if st.RecordsPassed+st.RecordsBuffered != uint64(requests*workers*perWorker) {
		t.Fatalf("passed %d + buffered %d != logged %d", st.RecordsPassed, st.RecordsBuffered, requests*workers*perWorker)
	}
	if st.BufferedBytes != 0 || st.BufferedRecords != 0 {
		t.Fatalf("buffers left after every request ended: %+v", st)
	}
	if got := st.RequestsSampled.Total() + st.RequestsNotSampled.Total(); got != uint64(requests) {
		t.Fatalf("%d requests counted, want %d", got, requests)
	}
	if st.RequestsKept+st.RequestsDropped != st.RequestsNotSampled.Total() {
		t.Fatalf("kept %d + dropped %d != not sampled %d", st.RequestsKept, st.RequestsDropped, st.RequestsNotSampled.Total())
	}
}

// TestKeepRacesEnd: a Keep racing the End of its request writes all the
// buffered records or none (End won: the request ended not kept, and a
// later Keep only affects later records), never some, and the counters say
// which.
func TestKeepRacesEnd(t *testing.T) {
	leakcheck.Check(t)
	rounds := 2000
	if raceEnabled {
		rounds = 500
	}
	outcomes := map[int]int{}
	for i := 0; i < rounds; i++ {
		c := &collector{got: map[string][]seen{}}
		h := NewHandler(c, DefaultOptions())
		ctx, s := open(notSampled)
		l := slog.New(h).With("req", "r")
		for seq := 0; seq < 5; seq++ {
			l.InfoContext(ctx, "x", "worker", 0, "seq", seq)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.Keep() }()
		go func() { defer wg.Done(); s.End() }()
		wg.Wait()
		n := len(c.got["r"])
		outcomes[n]++
		st := h.Stats()
		switch {
		case n == 5 && st.RecordsRescued == 5 && st.RequestsKept == 1:
		case n == 0 && st.RecordsDropped == 5 && st.RequestsDropped == 1:
		default:
			t.Fatalf("round %d: %d of 5 records written, stats %+v", i, n, st)
		}
	}
	t.Logf("records written -> rounds: %v", outcomes)
}
