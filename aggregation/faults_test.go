package aggregation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/reqscope"
	"go.opentelemetry.io/otel/trace"
)

// sinkFault is what a faulty sink does with one record.
type sinkFault int

const (
	faultNone  sinkFault = iota
	faultError           // return an error
	faultPanic           // panic
	faultStall           // wait for a ticket, then accept
)

// faultySink fails, panics or stalls on records at random, and counts
// what it accepted and what it failed, individual records and the records
// of summaries (their _count) apart.
type faultySink struct {
	seed    uint64
	calls   atomic.Uint64
	tickets chan struct{}

	mu                                 sync.Mutex
	acceptedIndividual, acceptedFolded int
	failedIndividual, failedFolded     int
}

func (f *faultySink) Enabled(context.Context, slog.Level) bool { return true }
func (f *faultySink) WithAttrs([]slog.Attr) slog.Handler       { return f }
func (f *faultySink) WithGroup(string) slog.Handler            { return f }

func (f *faultySink) Handle(_ context.Context, r slog.Record) error {
	folded := 0
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == keyCount {
			folded = int(a.Value.Int64())
		}
		return true
	})
	rng := rand.New(rand.NewPCG(f.seed, f.calls.Add(1)))
	fault := sinkFault(rng.IntN(8))
	if fault == faultStall {
		<-f.tickets
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := fault != faultError && fault != faultPanic
	switch {
	case folded > 0 && ok:
		f.acceptedFolded += folded
	case folded > 0:
		f.failedFolded += folded
	case ok:
		f.acceptedIndividual++
	default:
		f.failedIndividual++
	}
	switch fault {
	case faultError:
		return errors.New("sink failed")
	case faultPanic:
		panic("sink panicked")
	}
	return nil
}

// TestFaultySinkConservation is a property test: with a next handler that
// fails, panics or stalls at random points (while records pass, while
// summaries are written by the caller, the flusher, a request's end, Flush
// and Close), every record logged is accepted by the sink or counted as
// failed exactly once: failed individual records are the errors Handle
// returned, failed summaries are Stats.FoldedFailed, and nothing hangs or
// leaks.
func TestFaultySinkConservation(t *testing.T) {
	rounds := 6
	if testing.Short() {
		rounds = 3
	}
	for seed := range uint64(rounds) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			leakcheck.Check(t)
			faultyRound(t, seed)
		})
	}
}

func faultyRound(t *testing.T, seed uint64) {
	const goroutines, perG = 8, 300
	rng := rand.New(rand.NewPCG(seed, 0))
	sink := &faultySink{seed: seed, tickets: make(chan struct{})}
	stopTickets := make(chan struct{})
	ticketsDone := make(chan struct{})
	go func() {
		defer close(ticketsDone)
		for {
			select {
			case sink.tickets <- struct{}{}:
			case <-stopTickets:
				return
			}
		}
	}()
	defer func() { close(stopTickets); <-ticketsDone }()

	// skew moves the records' times away from the real clock the flusher
	// reads.
	var skew atomic.Int64
	h := NewHandler(sink, Options{
		Match:         MatchPrefixes(defaultPrefixes()...),
		FlushInterval: time.Millisecond,
		MaxGroups:     1 + rng.IntN(50),
		MaxCount:      2 + rng.IntN(20),
		Burst:         1 + rng.IntN(3),
	})
	scopes := make([]*reqscope.Scope, 3)
	ctxs := []context.Context{context.Background()}
	for i := range scopes {
		scopes[i] = reqscope.New(fmt.Sprint("req-", i), trace.SpanContext{}, reqscope.Decision{Sampled: true})
		ctxs = append(ctxs, reqscope.NewContext(context.Background(), scopes[i]))
	}
	messages := []string{poolMsg, "Metric recorded", "order placed"}
	closeAt := int64(rng.IntN(goroutines * perG))
	var logged, handleErrors atomic.Int64
	var closeOnce sync.Once
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(g)+1))
			for range perG {
				rec := slog.NewRecord(time.Now().Add(time.Duration(skew.Load())), slog.LevelDebug, messages[r.IntN(len(messages))], 0)
				rec.AddAttrs(slog.Int("v", r.IntN(4)))
				if err := h.Handle(ctxs[r.IntN(len(ctxs))], rec); err != nil {
					handleErrors.Add(1)
				}
				n := logged.Add(1)
				switch p := r.IntN(200); {
				case p < 2:
					skew.Add(int64(time.Duration(r.IntN(5000)) * time.Millisecond))
				case p < 3:
					scopes[r.IntN(len(scopes))].End()
				case p < 4:
					_ = h.Flush(context.Background())
				case p < 5:
					// A Flush that gives up at once or soon: what it
					// leaves unwritten is written in the background.
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(200))*time.Microsecond)
					_ = h.Flush(ctx)
					cancel()
				}
				if n == closeAt {
					closeOnce.Do(func() { _ = h.Close(context.Background()) })
				}
			}
		})
	}
	wg.Wait()
	_ = h.Close(context.Background())

	st := h.Stats()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	total := sink.acceptedIndividual + sink.acceptedFolded + sink.failedIndividual + sink.failedFolded + int(st.FoldedDropped)
	if total != goroutines*perG {
		t.Errorf("sink saw %d records (accepted %d + %d folded, failed %d + %d folded), %d dropped by Close, want %d logged",
			total, sink.acceptedIndividual, sink.acceptedFolded, sink.failedIndividual, sink.failedFolded, st.FoldedDropped, goroutines*perG)
	}
	if got := int(handleErrors.Load()); got != sink.failedIndividual {
		t.Errorf("Handle returned %d errors, the sink failed %d individual records", got, sink.failedIndividual)
	}
	if int(st.FoldedFailed) != sink.failedFolded || int(st.FoldedWritten) != sink.acceptedFolded ||
		st.Folded != st.FoldedWritten+st.FoldedFailed+st.FoldedDisabled+st.FoldedDropped || st.Seen != uint64(goroutines*perG) {
		t.Errorf("stats disagree with the sink (failed %d, accepted %d folded records): %+v",
			sink.failedFolded, sink.acceptedFolded, st)
	}
	if st.Groups != 0 || st.Bytes != 0 {
		t.Errorf("cache not empty after Close: %+v", st)
	}
	t.Logf("%d records: sink accepted %d + %d folded, failed %d + %d folded, %d dropped; %d panics recovered",
		goroutines*perG, sink.acceptedIndividual, sink.acceptedFolded, sink.failedIndividual, sink.failedFolded, st.FoldedDropped, st.HandlePanics)
}

// gatedSink blocks on summaries until its gate opens, and passes every
// other record at once.
type gatedSink struct {
	gate    chan struct{}
	records atomic.Int64
	folded  atomic.Int64
}

func (s *gatedSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *gatedSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *gatedSink) WithGroup(string) slog.Handler            { return s }
func (s *gatedSink) Handle(_ context.Context, r slog.Record) error {
	summary := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == keyCount {
			summary = true
			s.folded.Add(a.Value.Int64())
		}
		return true
	})
	if summary {
		<-s.gate
		return nil
	}
	s.records.Add(1)
	return nil
}

// TestStalledSinkHoldsNoLock checks that while the next handler is stalled
// writing a summary (by the flusher, a request's end, or Close), records of
// the same group and of others, other requests' ends and Stats go on, and
// that once the sink resumes, Close returns with every record written.
func TestStalledSinkHoldsNoLock(t *testing.T) {
	leakcheck.Check(t)
	synctest.Test(t, func(t *testing.T) {
		sink := &gatedSink{gate: make(chan struct{})}
		h := NewHandler(sink, DefaultOptions())
		log := slog.New(h)
		scope := reqscope.New("req-1", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		other := reqscope.New("req-2", trace.SpanContext{}, reqscope.Decision{Sampled: true})
		reqCtx := reqscope.NewContext(context.Background(), scope)
		otherCtx := reqscope.NewContext(context.Background(), other)
		logged := 0
		logN := func(ctx context.Context, msg string, n int) {
			for range n {
				log.DebugContext(ctx, msg)
				logged++
			}
		}
		logN(context.Background(), poolMsg, defaultBurst+3)

		// The flusher stalls writing the first group's summary.
		time.Sleep(defaultWindow)
		synctest.Wait()
		// The request's end stalls writing its summary, in its goroutine.
		logN(reqCtx, poolMsg, defaultBurst+3)
		ended := make(chan struct{})
		go func() { scope.End(); close(ended) }()
		synctest.Wait()
		// Close stalls too, waiting for the flusher.
		closed := make(chan error, 1)
		go func() { closed <- h.Close(context.Background()) }()
		synctest.Wait()
		select {
		case <-ended:
			t.Fatal("the request's end wrote its summary through a stalled sink")
		case <-closed:
			t.Fatal("Close returned while the flusher was writing to a stalled sink")
		default:
		}

		// Meanwhile records pass, other requests end, Stats answer.
		logN(context.Background(), poolMsg, 3)
		logN(otherCtx, "order placed", 3)
		other.End()
		_ = h.Stats()

		close(sink.gate)
		synctest.Wait()
		<-ended
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if got := sink.records.Load() + sink.folded.Load(); got != int64(logged) {
			t.Errorf("sink got %d records + %d folded, want %d logged", sink.records.Load(), sink.folded.Load(), logged)
		}
	})
}
