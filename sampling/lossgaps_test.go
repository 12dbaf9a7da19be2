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

// TestLossGapsExactUnderContention runs many requests at once against
// tight bounds (a few records per request, a global budget that the
// requests compete for), each logging in order from one goroutine and
// kept by a final ERROR or a Keep at a random point, or not kept. In every
// kept request's output, each WARN loss report stands exactly where its
// records were lost and counts them: reading the output in order, every
// record's seq is the previous one plus one plus the losses reported in
// between, and the last seq is the request's last. When all have ended,
// the buffers hold nothing and the counters balance.
func TestLossGapsExactUnderContention(t *testing.T) {
	leakcheck.Check(t)
	requests, perRequest := 300, 40
	if raceEnabled {
		requests = 100
	}
	c := &collector{got: map[string][]seen{}}
	o := DefaultOptions()
	o.MaxRequestRecords = 6
	o.MaxBufferedBytes = 40 * int64(entrySize)
	h := NewHandler(c, o)
	l := slog.New(h)
	type plan struct {
		id     string
		keepAt int // Keep before this seq; -1 for none
		err    bool
	}
	rng := rand.New(rand.NewPCG(3, 7))
	plans := make([]plan, requests)
	for i := range plans {
		p := plan{id: fmt.Sprint("req-", i), keepAt: -1}
		switch rng.IntN(3) {
		case 0:
			p.err = true
		case 1:
			p.keepAt = rng.IntN(perRequest)
		}
		plans[i] = p
	}
	// Every request waits halfway for all the others, so that all of them
	// hold buffered records at once and the global budget is reached
	// however the goroutines are scheduled.
	var all, halfway sync.WaitGroup
	halfway.Add(len(plans))
	for _, p := range plans {
		all.Go(func() {
			s := reqscope.New(p.id, trace.SpanContext{}, notSampled)
			ctx := reqscope.NewContext(context.Background(), s)
			rl := l.With("req", p.id)
			for seq := range perRequest {
				if seq == perRequest/2 {
					halfway.Done()
					halfway.Wait()
				}
				if seq == p.keepAt {
					s.Keep()
				}
				level := slog.LevelInfo
				if p.err && seq == perRequest-1 {
					level = slog.LevelError
				}
				rl.Log(ctx, level, "r", "worker", 0, "seq", seq)
			}
			s.End()
		})
	}
	all.Wait()
	for _, p := range plans {
		got := c.got[p.id]
		if p.keepAt < 0 && !p.err {
			if len(got) != 0 {
				t.Fatalf("%s not kept, %d records written", p.id, len(got))
			}
			continue
		}
		next := 0
		for i, s := range got {
			if s.lost > 0 {
				next += s.lost
				continue
			}
			if s.seq != next {
				t.Fatalf("%s: record %d has seq %d, want %d (output %+v)", p.id, i, s.seq, next, got)
			}
			next++
		}
		if next != perRequest {
			t.Fatalf("%s: output accounts for %d records, logged %d (output %+v)", p.id, next, perRequest, got)
		}
	}
	st := h.Stats()
	checkConservation(t, st)
	if st.BufferedRecords != 0 || st.BufferedBytes != 0 {
		t.Fatalf("ended requests hold %d records, %d bytes", st.BufferedRecords, st.BufferedBytes)
	}
	if st.RecordsLostGlobalBudget == 0 || st.RecordsLostRequestBound == 0 {
		t.Fatalf("the bounds were not reached: %+v", st)
	}
}
