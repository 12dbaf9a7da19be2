package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// recordingSink remembers, per producer, the sequence numbers it received,
// and the drop reports. It can stall and fail at random.
type recordingSink struct {
	mu      sync.Mutex
	seqs    map[int64][]int64
	reports []slog.Record
	calls   int
	stallP  float64 // probability of a short stall per record (yielding the processor)
	errP    float64 // probability of an error per record
	gate    chan struct{}
}

func newRecordingSink() *recordingSink {
	return &recordingSink{seqs: map[int64][]int64{}}
}

func (s *recordingSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *recordingSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *recordingSink) WithGroup(string) slog.Handler            { return s }

func (s *recordingSink) Handle(_ context.Context, r slog.Record) error {
	if s.gate != nil {
		<-s.gate
	}
	if s.stallP > 0 && rand.Float64() < s.stallP {
		stallBriefly()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if r.Message == dropReportMessage {
		s.reports = append(s.reports, r.Clone())
		return nil
	}
	var p, n int64 = -1, -1
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "p":
			p = a.Value.Int64()
		case "n":
			n = a.Value.Int64()
		}
		return true
	})
	s.seqs[p] = append(s.seqs[p], n)
	if s.errP > 0 && rand.Float64() < s.errP {
		return errors.New("random sink failure")
	}
	return nil
}

// reportCounts sums the "dropped" attribute and its per-level group over
// the drop reports the sink received.
func (s *recordingSink) reportCounts() (total uint64, byLevel map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byLevel = map[string]uint64{}
	for _, r := range s.reports {
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "dropped":
				total += a.Value.Uint64()
			case "dropped_by_level":
				for _, l := range a.Value.Group() {
					byLevel[l.Key] += l.Value.Uint64()
				}
			}
			return true
		})
	}
	return total, byLevel
}

func checkOrder(t *testing.T, seqs map[int64][]int64) {
	t.Helper()
	for p, ns := range seqs {
		for i := 1; i < len(ns); i++ {
			if ns[i] <= ns[i-1] {
				t.Fatalf("producer %d: record %d written after %d", p, ns[i], ns[i-1])
			}
		}
	}
}

// TestConservationUnderChaos: 64 producers, a sink that stalls and fails at
// random, Close at a random point while producers keep logging. Every
// record is accounted for exactly, and each producer's records come out in
// its order.
func TestConservationUnderChaos(t *testing.T) {
	leakcheck.Check(t)
	const producers = chaosProducers
	perProducer := chaosPerProducer()
	sink := newRecordingSink()
	sink.stallP, sink.errP = 0.002, 0.1
	h := NewHandler(sink, Options{Capacity: 256, BatchSize: 32, ReportInterval: time.Millisecond})
	l := slog.New(h)
	logWhileClosing(t, l, h.Close)
	st := h.Stats()
	if st.Accepted+st.Synchronous != producers*uint64(perProducer) {
		t.Fatalf("Accepted %d + Synchronous %d != logged %d", st.Accepted, st.Synchronous, producers*perProducer)
	}
	if st.Written+st.Failed+st.Dropped+st.Skipped+st.Lost != st.Accepted || st.DroppedAfterClose != 0 {
		t.Fatalf("conservation broken: %+v", st)
	}
	var got uint64
	for _, ns := range sink.seqs {
		got += uint64(len(ns))
	}
	if got != st.Written+st.Failed+st.Synchronous {
		t.Fatalf("sink received %d records, Stats says Written %d + Failed %d + Synchronous %d", got, st.Written, st.Failed, st.Synchronous)
	}
	total, _ := sink.reportCounts()
	if total != st.Dropped || st.Reported != st.Dropped || uint64(len(sink.reports)) != st.Reports {
		t.Fatalf("reports announce %d drops in %d reports; Stats %+v", total, len(sink.reports), st)
	}
	if st.QueueDepth != 0 || st.HighWater > 256 {
		t.Fatalf("queue after Close: %+v", st)
	}
	checkOrder(t, sink.seqs)
	t.Logf("accepted %d written %d dropped %d synchronous %d errors %d reports %d",
		st.Accepted, st.Written, st.Dropped, st.Synchronous, st.WriteErrors, st.Reports)
}

// TestStalledSinkNeverBlocksCallers: the sink blocks while 8 producers
// keep logging. With StallTimeout zero no call waits at all; with a stall
// time, the callers wait that long once, all together, then drop. Drops
// are reported once the sink resumes, without waiting for Close, and the
// reports agree with Stats. Time is synctest's, so "waits" is exact.
func TestStalledSinkNeverBlocksCallers(t *testing.T) {
	tests := []struct {
		stall    time.Duration
		wantWait time.Duration
	}{
		{stall: 0, wantWait: 0},
		{stall: time.Second, wantWait: time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.stall), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const producers, perProducer = 8, 2000
				sink := newRecordingSink()
				sink.gate = make(chan struct{})
				h := NewHandler(sink, Options{Capacity: 1024, ReportInterval: time.Second, StallTimeout: tt.stall})
				l := slog.New(h)
				start := time.Now()
				var wg sync.WaitGroup
				for p := range producers {
					wg.Go(func() {
						for n := range perProducer {
							level := slog.LevelInfo
							if n%50 == 0 {
								level = slog.LevelWarn
							}
							l.Log(context.Background(), level, "m", "p", p, "n", n)
						}
					})
				}
				wg.Wait()
				if waited := time.Since(start); waited != tt.wantWait {
					t.Errorf("%d log calls into a stalled sink took %v, want %v", producers*perProducer, waited, tt.wantWait)
				}
				close(sink.gate)
				synctest.Wait() // the drain has written the queue and is idle
				sink.mu.Lock()
				reports := len(sink.reports)
				sink.mu.Unlock()
				if reports == 0 {
					t.Fatal("no drop report once the sink resumed")
				}
				closeNow(t, h)

				st := h.Stats()
				if st.Dropped == 0 {
					t.Fatalf("no drops after a stall: %+v", st)
				}
				total, byLevel := sink.reportCounts()
				if total != st.Dropped || st.Reported != st.Dropped {
					t.Fatalf("reports announce %d drops, Stats.Dropped %d, Stats.Reported %d", total, st.Dropped, st.Reported)
				}
				dl := st.DroppedByLevel
				gotByLevel := LevelCounts{Debug: byLevel["DEBUG"], Info: byLevel["INFO"], Warn: byLevel["WARN"], Error: byLevel["ERROR"]}
				if diff := cmp.Diff(dl, gotByLevel); diff != "" {
					t.Fatalf("reports by level vs Stats (-stats +reports):\n%s", diff)
				}
				if st.Written+st.Dropped != st.Accepted || st.Accepted != producers*perProducer {
					t.Fatalf("conservation broken: %+v", st)
				}
				checkOrder(t, sink.seqs)
			})
		})
	}
}

// TestReserveKeepsWarnThroughFlood: with WARN records interleaved in a
// flood of DEBUG into a stalled sink, the reserve keeps the newest WARNs:
// DEBUG never holds more than Capacity-Reserved slots.
func TestReserveKeepsWarnThroughFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { reserveKeepsWarnThroughFlood(t) })
}

func reserveKeepsWarnThroughFlood(t *testing.T) {
	sink := newRecordingSink()
	sink.gate = make(chan struct{})
	h := NewHandler(sink, Options{Capacity: 64, Reserved: 8})
	l := slog.New(h)
	l.Info("m", "p", 0, "n", -1)
	synctest.Wait() // the drain has taken this one and waits in the sink
	for n := range 1000 {
		level := slog.LevelDebug
		if n%100 == 99 {
			level = slog.LevelWarn
		}
		l.Log(context.Background(), level, "m", "p", int(level), "n", n)
	}
	close(sink.gate)
	closeNow(t, h)
	// DEBUG keeps its newest 56 (the 56 slots outside the reserve); the
	// WARNs share the whole ring, so the ninth and tenth WARN evict the
	// two oldest WARNs (older than every queued DEBUG).
	var wantDebug []int64
	for n := int64(943); n <= 998; n++ {
		wantDebug = append(wantDebug, n)
	}
	want := map[int64][]int64{
		0:                      {-1},
		int64(slog.LevelWarn):  {299, 399, 499, 599, 699, 799, 899, 999},
		int64(slog.LevelDebug): wantDebug,
	}
	if diff := cmp.Diff(want, sink.seqs); diff != "" {
		t.Fatalf("records written (-want +got):\n%s", diff)
	}
	st := h.Stats()
	wantDropped := LevelCounts{Debug: 990 - 56, Warn: 2}
	if st.DroppedByLevel != wantDropped || st.Written != 65 || st.Accepted != 1001 || st.Reports != 0 {
		t.Fatalf("Stats = %+v, want DroppedByLevel %+v Written 65 Accepted 1001", st, wantDropped)
	}
}

// chaosProducers is how many goroutines the chaos tests log from, and
// chaosPerProducer how many records each logs.
const chaosProducers = 64

func chaosPerProducer() int {
	if testing.Short() {
		return 100
	}
	return 400
}

// logWhileClosing has chaosProducers goroutines log chaosPerProducer
// records each on l (attributes p and n: producer and sequence) while
// closeFn is called, with a 30 s deadline, once a random number of them
// have been logged (so Close lands anywhere in the run, producers still
// logging). It fails the test if Close returns an error.
func logWhileClosing(t *testing.T, l *slog.Logger, closeFn func(context.Context) error) {
	t.Helper()
	perProducer := chaosPerProducer()
	trigger := newCountTrigger(rand.IntN(chaosProducers * perProducer))
	var closeErr error
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-trigger.reached
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closeErr = closeFn(ctx)
	}()
	var wg sync.WaitGroup
	for p := range chaosProducers {
		wg.Go(func() {
			for n := range perProducer {
				trigger.add()
				l.Info("m", "p", p, "n", n)
			}
		})
	}
	wg.Wait()
	<-closed
	if closeErr != nil {
		t.Fatalf("Close: %v", closeErr)
	}
}

// countTrigger closes reached when add has been called at least n times
// (at once for n <= 0).
type countTrigger struct {
	n       int64
	count   atomic.Int64
	reached chan struct{}
	once    sync.Once
}

func newCountTrigger(n int) *countTrigger {
	c := &countTrigger{n: int64(n), reached: make(chan struct{})}
	if n <= 0 {
		c.once.Do(func() { close(c.reached) })
	}
	return c
}

func (c *countTrigger) add() {
	if c.count.Add(1) == c.n {
		c.once.Do(func() { close(c.reached) })
	}
}

// stallBriefly stands for a sink that is slow for a moment: it gives up
// the processor a random number of times (up to a few hundred), without
// sleeping.
func stallBriefly() {
	for range rand.IntN(300) {
		runtime.Gosched()
	}
}
