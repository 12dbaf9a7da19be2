package async

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
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
	stallP  float64 // probability of a short stall per record
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
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
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

// TestStalledSinkNeverBlocksCallers: the sink blocks for 2 seconds while 8
// producers keep logging; no call waits, drops are reported once the sink
// resumes, and the reports agree with Stats.
func TestStalledSinkNeverBlocksCallers(t *testing.T) {
	leakcheck.Check(t)
	sink := newRecordingSink()
	sink.gate = make(chan struct{})
	h := NewHandler(sink, Options{Capacity: 1024, ReportInterval: time.Second})
	l := slog.New(h)
	stall := time.AfterFunc(2*time.Second, func() { close(sink.gate) })
	defer stall.Stop()

	var slowestControl atomic.Int64
	var slowest [8]atomic.Int64 // per producer
	var calls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// The control goroutine times a 2µs CPU spin back to back, yielding as
	// often as the producers do: its slowest measurement is what the
	// scheduler (and other processes on a loaded machine) can add to any
	// call. A producer also waits out any pause of whichever goroutine
	// holds the queue's lock when its thread is descheduled, so the
	// assertion is on the median producer's slowest call, bounded by 50ms
	// plus four times the control's worst pause (about 50ms on a quiet
	// machine), capped at 1.5 s. A design in which callers wait on the sink
	// blocks every producer for about 2 s and fails.
	wg.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			for time.Since(start) < 2*time.Microsecond {
			}
			if d := int64(time.Since(start)); d > slowestControl.Load() {
				slowestControl.Store(d)
			}
			if n%64 == 0 {
				runtime.Gosched()
			}
		}
	})
	for p := range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				level := slog.LevelInfo
				if n%50 == 0 {
					level = slog.LevelWarn
				}
				start := time.Now()
				l.Log(context.Background(), level, "m", "p", p, "n", n)
				if d := int64(time.Since(start)); d > slowest[p].Load() {
					slowest[p].Store(d)
				}
				calls.Add(1)
				if n%64 == 0 {
					time.Sleep(100 * time.Microsecond) // leave the sink's goroutine some CPU
				}
			}
		})
	}
	time.Sleep(2500 * time.Millisecond) // past the stall: the sink has resumed
	close(stop)
	wg.Wait()
	// The report comes once the sink resumes, without waiting for Close.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		sink.mu.Lock()
		n := len(sink.reports)
		sink.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no drop report 10 s after the sink resumed")
		}
	}
	closeNow(t, h)

	noise := time.Duration(slowestControl.Load())
	bound := min(50*time.Millisecond+4*noise, 1500*time.Millisecond)
	var perProducer []time.Duration
	for i := range slowest {
		perProducer = append(perProducer, time.Duration(slowest[i].Load()))
	}
	slices.Sort(perProducer)
	if d := perProducer[len(perProducer)/2]; d > bound {
		t.Errorf("slowest log calls per producer %v with the sink stalled: the median must be <= %v (50ms + 4 x scheduling noise %v)", perProducer, bound, noise)
	}
	st := h.Stats()
	if st.Dropped == 0 {
		t.Fatalf("no drops after a 2 s stall with %d calls: %+v", calls.Load(), st)
	}
	total, byLevel := sink.reportCounts()
	if total != st.Dropped || st.Reported != st.Dropped {
		t.Fatalf("reports announce %d drops, Stats.Dropped %d, Stats.Reported %d", total, st.Dropped, st.Reported)
	}
	dl := st.DroppedByLevel
	if byLevel["DEBUG"] != dl.Debug || byLevel["INFO"] != dl.Info || byLevel["WARN"] != dl.Warn || byLevel["ERROR"] != dl.Error {
		t.Fatalf("reports by level %v, Stats %+v", byLevel, dl)
	}
	if st.Written+st.Dropped != st.Accepted || st.Accepted != uint64(calls.Load()) {
		t.Fatalf("conservation broken: calls %d, %+v", calls.Load(), st)
	}
	checkOrder(t, sink.seqs)
	t.Logf("scheduling noise %v; calls %d; slowest per producer %v; dropped %d (by level %+v) reports %d", noise, calls.Load(), perProducer, st.Dropped, dl, st.Reports)
}

// deadSink blocks every Handle until released.
type deadSink struct{ release chan struct{} }

func (s *deadSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *deadSink) Handle(context.Context, slog.Record) error {
	<-s.release
	return nil
}
func (s *deadSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *deadSink) WithGroup(string) slog.Handler      { return s }

func TestCloseDeadlineReportsExactLoss(t *testing.T) {
	leakcheck.Check(t)
	sink := &deadSink{release: make(chan struct{})}
	defer close(sink.release) // let the drain goroutine finish
	h := NewHandler(sink, Options{Capacity: 100})
	l := slog.New(h)
	for range 50 {
		l.Info("m")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.Close(ctx)
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Close returned after %v, past its 100ms deadline", waited)
	}
	if err == nil || !strings.Contains(err.Error(), "50 records lost") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close error = %v, want 50 records lost and DeadlineExceeded", err)
	}
	if err2 := h.Close(context.Background()); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("second Close = %v, want the first outcome %v", err2, err)
	}
	st := h.Stats()
	if st.Lost != 50 || st.Written != 0 || st.Accepted != 50 || st.QueueDepth != 0 {
		t.Fatalf("Stats = %+v, want Lost 50 Written 0 Accepted 50", st)
	}
}

// TestReserveKeepsWarnThroughFlood: with WARN records interleaved in a
// flood of DEBUG into a stalled sink, the reserve keeps the newest WARNs:
// DEBUG never holds more than Capacity-Reserved slots.
func TestReserveKeepsWarnThroughFlood(t *testing.T) {
	leakcheck.Check(t)
	sink := newRecordingSink()
	sink.gate = make(chan struct{})
	h := NewHandler(sink, Options{Capacity: 64, Reserved: 8})
	l := slog.New(h)
	l.Info("m", "p", 0, "n", -1) // the drain takes this one and waits in the sink
	for h.Stats().QueueDepth != 0 {
		time.Sleep(time.Millisecond)
	}
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
// closeFn is called at a random point in the first 40 ms, with a 30 s
// deadline. It fails the test if Close returns an error.
func logWhileClosing(t *testing.T, l *slog.Logger, closeFn func(context.Context) error) {
	t.Helper()
	perProducer := chaosPerProducer()
	var closeErr error
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closeErr = closeFn(ctx)
	}()
	var wg sync.WaitGroup
	for p := range chaosProducers {
		wg.Go(func() {
			for n := range perProducer {
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
