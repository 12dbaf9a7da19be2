package sampling

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
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/logtest"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// fault is what faultySink does with one call of Handle.
type fault int

const (
	faultNone   fault = iota
	faultPanic        // panics
	faultError        // returns an error without writing
	faultGoexit       // calls runtime.Goexit
	faultStall        // blocks until release is closed, then writes
)

var errSinkDown = errors.New("sink down")

// faultySink is a next handler that writes JSON lines to out, except on the
// calls of Handle its choose function picks a fault for. Handlers derived
// with WithAttrs and WithGroup share the sink's state.
type faultySink struct {
	*sinkState
	h slog.Handler
}

type sinkState struct {
	out    *logtest.Buffer
	choose func(call int, r slog.Record) fault

	mu      sync.Mutex
	calls   int
	panics  int
	errs    int
	stalled chan struct{} // receives once per stalled call
	release chan struct{} // closed to let stalled calls go on
}

func newFaultySink(choose func(call int, r slog.Record) fault) faultySink {
	out, h := newJSON(slog.LevelDebug)
	return faultySink{
		sinkState: &sinkState{out: out, choose: choose, stalled: make(chan struct{}, 16), release: make(chan struct{})},
		h:         h,
	}
}

func (s faultySink) Enabled(ctx context.Context, l slog.Level) bool { return s.h.Enabled(ctx, l) }
func (s faultySink) WithAttrs(as []slog.Attr) slog.Handler {
	return faultySink{s.sinkState, s.h.WithAttrs(as)}
}
func (s faultySink) WithGroup(n string) slog.Handler {
	return faultySink{s.sinkState, s.h.WithGroup(n)}
}

func (s faultySink) Handle(ctx context.Context, r slog.Record) error {
	s.mu.Lock()
	s.calls++
	f := s.choose(s.calls, r)
	switch f {
	case faultPanic:
		s.panics++
	case faultError:
		s.errs++
	}
	s.mu.Unlock()
	switch f {
	case faultPanic:
		panic(fmt.Sprint("sink exploded on ", r.Message))
	case faultError:
		return errSinkDown
	case faultGoexit:
		runtime.Goexit()
	case faultStall:
		s.stalled <- struct{}{}
		<-s.release
	}
	return s.h.Handle(ctx, r)
}

// onCall faults the n-th call of Handle.
func onCall(n int, f fault) func(int, slog.Record) fault {
	return func(call int, _ slog.Record) fault {
		if call == n {
			return f
		}
		return faultNone
	}
}

// within runs f in a goroutine and fails the test with every goroutine's
// stack if f has not returned after a generous timeout: the calls under
// test must never block.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return: blocked\n%s", what, buf)
	}
}

// TestSinkFaultDuringReplay keeps a request whose buffer holds a loss
// report and three records, with a sink that fails on one call of the
// replay (or on the trigger). Whatever the fault, the request's next
// record, its end and a new request complete, every other record is
// written in order, and the faulty one is counted exactly once.
func TestSinkFaultDuringReplay(t *testing.T) {
	// The replay writes: call 1 the loss report (b0 was evicted), calls
	// 2-4 the buffered b1..b3; then the trigger (call 5, for an ERROR
	// trigger).
	all := []map[string]any{
		rec("WARN", lostRecordsMessage, lostRecordsKey, 1.0),
		rec("INFO", "b1"), rec("INFO", "b2"), rec("INFO", "b3"),
	}
	type want struct {
		passed, rescued, lostPanic, panics, handleErrors int
		triggerErr                                       bool
	}
	for _, tc := range []struct {
		name       string
		keepByCall bool // the request is kept by Scope.Keep (a 5xx), not by an ERROR
		call       int
		fault      fault
		want       want
	}{
		{name: "panic on loss report", call: 1, fault: faultPanic, want: want{passed: 3, rescued: 3, panics: 1}},
		{name: "panic on first record", call: 2, fault: faultPanic, want: want{passed: 3, rescued: 2, lostPanic: 1, panics: 1}},
		{name: "panic on last record", call: 4, fault: faultPanic, want: want{passed: 3, rescued: 2, lostPanic: 1, panics: 1}},
		{name: "panic on trigger", call: 5, fault: faultPanic, want: want{passed: 3, rescued: 3, panics: 1, triggerErr: true}},
		{name: "error on a record", call: 3, fault: faultError, want: want{passed: 3, rescued: 3, handleErrors: 1}},
		{name: "error on trigger", call: 5, fault: faultError, want: want{passed: 3, rescued: 3, triggerErr: true}},
		{name: "goexit on a record", call: 3, fault: faultGoexit, want: want{passed: 2, rescued: 1, lostPanic: 3}},
		{name: "goexit on loss report", call: 1, fault: faultGoexit, want: want{passed: 2, lostPanic: 4}},
		{name: "goexit on trigger", call: 5, fault: faultGoexit, want: want{passed: 3, rescued: 3}},
		{name: "keep: panic on a record", keepByCall: true, call: 3, fault: faultPanic, want: want{passed: 2, rescued: 2, lostPanic: 1, panics: 1}},
		{name: "keep: goexit on a record", keepByCall: true, call: 2, fault: faultGoexit, want: want{passed: 2, rescued: 0, lostPanic: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			sink := newFaultySink(onCall(tc.call, tc.fault))
			h := NewHandler(sink, withRecords(3))
			l := slog.New(h)
			ctx, s := open(notSampled)
			for i := range 4 {
				l.InfoContext(ctx, fmt.Sprint("b", i))
			}
			var triggerErr error
			within(t, "the trigger", func() {
				if tc.keepByCall {
					s.Keep()
					return
				}
				triggerErr = h.Handle(ctx, slog.NewRecord(time0, slog.LevelError, "trigger", 0))
			})
			within(t, "the request's next record", func() { l.InfoContext(ctx, "next") })
			within(t, "the request's end", func() { s.End() })
			ctxB, b := open(sampledBy)
			within(t, "a new request", func() {
				l.InfoContext(ctxB, "new request")
				b.End()
			})

			var wantOut []map[string]any
			for i, m := range all {
				if i+1 != tc.call {
					wantOut = append(wantOut, kept(m, 0.1))
				}
				if i+1 == tc.call && tc.fault == faultGoexit {
					break // the rest of the batch is abandoned
				}
			}
			if !tc.keepByCall && tc.call != 5 && tc.fault != faultGoexit {
				wantOut = append(wantOut, kept(rec("ERROR", "trigger"), 0.1))
			}
			wantOut = append(wantOut, kept(rec("INFO", "next"), 0.1))
			sampled := rec("INFO", "new request")
			sampled[sampledKey], sampled[sampleRateKey], sampled[sampleReasonKey] = true, 0.1, reqscope.ReasonRate
			wantOut = append(wantOut, sampled)
			if diff := cmp.Diff(wantOut, sink.out.Lines(t)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if got := triggerErr != nil; got != tc.want.triggerErr {
				t.Errorf("trigger returned %v, want an error: %v", triggerErr, tc.want.triggerErr)
			}
			st := h.Stats()
			got := want{
				passed: int(st.RecordsPassed), rescued: int(st.RecordsRescued), lostPanic: int(st.RecordsLostPanic),
				panics: int(st.HandlePanics), handleErrors: int(st.HandleErrors), triggerErr: tc.want.triggerErr,
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("stats (-want +got):\n%s\n%+v", diff, st)
			}
			if st.HandlePanics != uint64(sink.panics) || st.RequestsKept != 1 || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
				t.Errorf("sink panicked %d times; stats %+v", sink.panics, st)
			}
			checkConservation(t, st)
			logged := 7 // b0..b3, the trigger, next and new request
			if tc.keepByCall {
				logged = 6
			}
			checkHandled(t, st, logged)
		})
	}
}

// checkHandled checks that each of the logged records that reached Handle
// with a request scope is counted once: passed at once, buffered, or
// discarded.
func checkHandled(t *testing.T, st Stats, logged int) {
	t.Helper()
	if got := st.RecordsPassed + st.RecordsBuffered + st.RecordsDiscarded; got != uint64(logged) {
		t.Fatalf("passed+buffered+discarded = %d, logged %d (%+v)", got, logged, st)
	}
}

// TestSinkStallDuringReplay stalls the sink in the middle of a request's
// replay: meanwhile the request's next record (from another goroutine),
// its end and a new request all complete without waiting on the stalled
// call, and once the sink goes on, the request's records come out in
// order, the next record after the trigger.
func TestSinkStallDuringReplay(t *testing.T) {
	leakcheck.Check(t)
	sink := newFaultySink(onCall(2, faultStall)) // stalls on b1
	h := NewHandler(sink, withRecords(3))
	l := slog.New(h)
	ctx, s := open(notSampled)
	for i := range 4 {
		l.InfoContext(ctx, fmt.Sprint("b", i))
	}
	triggered := make(chan error, 1)
	go func() { triggered <- h.Handle(ctx, slog.NewRecord(time0, slog.LevelError, "trigger", 0)) }()
	<-sink.stalled
	within(t, "the request's next record", func() { l.InfoContext(ctx, "next") })
	within(t, "the request's end", func() { s.End() })
	ctxB, b := open(sampledBy)
	within(t, "a new request", func() {
		l.InfoContext(ctxB, "new request")
		b.End()
	})
	if st := h.Stats(); st.RequestsKept != 1 || st.BufferedRecords != 3 {
		t.Fatalf("while stalled: %+v", st) // b2, b3 and next wait
	}
	close(sink.release)
	within(t, "the trigger", func() {
		if err := <-triggered; err != nil {
			t.Errorf("trigger: %v", err)
		}
	})
	sampled := rec("INFO", "new request")
	sampled[sampledKey], sampled[sampleRateKey], sampled[sampleReasonKey] = true, 0.1, reqscope.ReasonRate
	want := []map[string]any{
		kept(rec("WARN", lostRecordsMessage, lostRecordsKey, 1.0), 0.1),
		sampled,
		kept(rec("INFO", "b1"), 0.1),
		kept(rec("INFO", "b2"), 0.1),
		kept(rec("INFO", "b3"), 0.1),
		kept(rec("ERROR", "trigger"), 0.1),
		kept(rec("INFO", "next"), 0.1),
	}
	if diff := cmp.Diff(want, sink.out.Lines(t)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	st := h.Stats()
	if st.RecordsRescued != 4 || st.RecordsPassed != 2 || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
		t.Errorf("stats: %+v", st)
	}
	checkConservation(t, st)
	// The request ended during the flush: later records pass without a
	// buffer.
	l.InfoContext(ctx, "after end")
	if got := sink.out.Lines(t); got[len(got)-1]["msg"] != "after end" {
		t.Errorf("record after the end not written: %v", got[len(got)-1])
	}
}

// TestFaultySinkConcurrent runs many requests at once, each logging from
// several goroutines, some kept by an ERROR or a Keep, into a sink that
// panics on or fails about one call in six at random. Every record of a
// kept request is written at most once, in its worker's order, and the
// records written plus the calls that failed equal the records handed to
// the sink; every panic and error is counted where the layer says.
func TestFaultySinkConcurrent(t *testing.T) {
	leakcheck.Check(t)
	requests, workers, perWorker := 200, 3, 20
	if raceEnabled {
		requests = 80
	}
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(11, 11))
	sink := newFaultySink(func(int, slog.Record) fault {
		rngMu.Lock()
		defer rngMu.Unlock()
		switch rng.IntN(12) {
		case 0:
			return faultPanic
		case 1:
			return faultError
		}
		return faultNone
	})
	h := NewHandler(sink, DefaultOptions())
	var returnedErrs, returnedPanics atomic.Int64 // errors Handle returned
	var all sync.WaitGroup
	for i := range requests {
		all.Add(1)
		go func() {
			defer all.Done()
			id := fmt.Sprint("req-", i)
			ctx, s := open(notSampled)
			rh := h.WithAttrs([]slog.Attr{slog.String("req", id)})
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wh := rh.WithAttrs([]slog.Attr{slog.Int("worker", w)})
					for seq := range perWorker {
						level := slog.LevelInfo
						if i%3 == 0 && w == 0 && seq == perWorker/2 {
							level = slog.LevelError
						}
						r := slog.NewRecord(time0, level, "work", 0)
						r.AddAttrs(slog.Int("seq", seq))
						err := wh.Handle(ctx, r)
						switch {
						case errors.Is(err, errSinkDown):
							returnedErrs.Add(1)
						case err != nil:
							returnedPanics.Add(1)
						}
						if i%3 == 1 && w == 1 && seq == perWorker/2 {
							s.Keep()
						}
					}
				}()
			}
			wg.Wait()
			s.End()
		}()
	}
	all.Wait()

	written := 0
	seen := map[string]bool{}
	last := map[string]int{}
	for _, m := range sink.out.Lines(t) {
		key := fmt.Sprint(m["req"], "/", m["worker"])
		seq := int(m["seq"].(float64))
		if id := fmt.Sprint(key, "/", seq); seen[id] {
			t.Fatalf("%s written twice", id)
		} else {
			seen[id] = true
		}
		if prev, ok := last[key]; ok && seq <= prev {
			t.Fatalf("%s: record %d written after %d", key, seq, prev)
		}
		last[key] = seq
		written++
	}
	st := h.Stats()
	checkConservation(t, st)
	calls := st.RecordsPassed + st.RecordsRescued + st.RecordsLostPanic
	if calls != uint64(sink.calls) {
		t.Fatalf("sink called %d times, handler handed %d records: %+v", sink.calls, calls, st)
	}
	if uint64(written+sink.panics+sink.errs) != calls {
		t.Fatalf("written %d + panics %d + errors %d != handed %d", written, sink.panics, sink.errs, calls)
	}
	if st.HandlePanics != uint64(sink.panics) {
		t.Fatalf("HandlePanics %d, sink panicked %d times", st.HandlePanics, sink.panics)
	}
	if got := st.HandleErrors + uint64(returnedErrs.Load()); got != uint64(sink.errs) {
		t.Fatalf("errors counted %d + returned %d != sink errors %d", st.HandleErrors, returnedErrs.Load(), sink.errs)
	}
	if got := st.RecordsLostPanic + uint64(returnedPanics.Load()); got != uint64(sink.panics) {
		t.Fatalf("panics lost %d + returned %d != sink panics %d", st.RecordsLostPanic, returnedPanics.Load(), sink.panics)
	}
	keptRequests := (requests+2)/3 + (requests+1)/3
	if st.RequestsKept != uint64(keptRequests) || st.BufferedRecords != 0 || st.BufferedBytes != 0 || sink.panics == 0 || sink.errs == 0 {
		t.Fatalf("want %d requests kept, nothing left buffered, faults injected: %+v (panics %d, errors %d)", keptRequests, st, sink.panics, sink.errs)
	}
}
