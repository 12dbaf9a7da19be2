package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
)

// TestWriterReserveKeepsErrorsThroughDebugFlood: ERROR lines queued before
// a flood of DEBUG lines into a stalled writer all survive, since DEBUG may
// only use Capacity-Reserved slots (and the same share of MaxBytes).
func TestWriterReserveKeepsErrorsThroughDebugFlood(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"record bound", Options{Capacity: 64, Reserved: 8, MaxBytes: 1 << 20}},
		{"byte bound", Options{Capacity: 1 << 12, Reserved: 1 << 9, MaxBytes: 16 << 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			sink := newStuckSink()
			// zero StallTimeout and ReportInterval: drop as soon as full, no report
			w := NewWriter(sink, tt.opts)
			l := slog.New(slog.NewJSONHandler(w, nil))
			l.Info("first")
			<-sink.entered // the drain holds "first" in the stuck writer
			for n := range 8 {
				l.Error("e", "n", n)
			}
			for n := range 5000 {
				l.Debug("d", "n", n)
				l.Info("i", "n", n)
			}
			rec := &callRecorder{}
			w.w = rec // the drain is past its one call into sink
			close(sink.release)
			closeNow(t, w)
			var errs []int
			for _, line := range strings.Split(strings.TrimSpace(rec.all()), "\n") {
				var m struct {
					Level string
					N     int
				}
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				if m.Level == "ERROR" {
					errs = append(errs, m.N)
				}
			}
			if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5, 6, 7}, errs); diff != "" {
				t.Fatalf("ERROR records written (-want +got):\n%s", diff)
			}
			st := w.Stats()
			if st.DroppedByLevel.Error != 0 || st.Written+st.Dropped != st.Accepted || st.Dropped == 0 {
				t.Fatalf("Stats = %+v", st)
			}
		})
	}
}

// TestWriteAfterCloseWithStuckWriterIsBounded: Close gives up on a writer
// stuck in a call, whose record stays in flight (not lost); a Write after
// it waits at most StallTimeout, then is dropped, counted, and reported as
// an error. Another Write does not wait on the first one. When the writer
// returns, the record in flight counts as written.
func TestWriteAfterCloseWithStuckWriterIsBounded(t *testing.T) {
	for _, stall := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run(fmt.Sprint(stall), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newStuckSink()
				w := NewWriter(sink, Options{StallTimeout: stall})
				w.Write([]byte("a\n"))
				<-sink.entered
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := w.Close(ctx); err == nil || err.Error() != "async: close: 1 record still being written by the sink at the deadline: context deadline exceeded" {
					t.Fatalf("Close = %v, want 1 record still being written", err)
				}
				wantWait := stall
				if stall == 0 {
					wantWait = afterCloseStall
				}
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() {
						start := time.Now()
						n, err := w.Write([]byte("b\n"))
						if n != 0 || !errors.Is(err, errDroppedAfterClose) || time.Since(start) > wantWait {
							t.Errorf("Write after Close = %d, %v after %v; want 0, dropped, within %v", n, err, time.Since(start), wantWait)
						}
					})
				}
				wg.Wait()
				if st := w.Stats(); st.DroppedAfterClose != 2 || st.Lost != 0 || st.InFlight != 1 || st.Written != 0 || st.Synchronous != 0 {
					t.Fatalf("Stats = %+v, want DroppedAfterClose 2, InFlight 1", st)
				}
				close(sink.release)
				synctest.Wait()
				if st := w.Stats(); st.Lost != 0 || st.InFlight != 0 || st.Written != 1 {
					t.Fatalf("Stats after the writer returned = %+v, want Written 1", st)
				}
				// The writer works again: a later Write goes through.
				if n, err := w.Write([]byte("c\n")); n != 2 || err != nil {
					t.Fatalf("Write after the writer recovered = %d, %v", n, err)
				}
			})
		})
	}
}

// faultyWriter fails at random: it panics, returns an error with nothing
// written, writes a random prefix and reports it without an error, or
// stalls for a while (on synctest's clock: use it inside synctest.Test)
// before writing.
type faultyWriter struct {
	mu  sync.Mutex
	out []byte
}

func (w *faultyWriter) Write(p []byte) (int, error) {
	switch r := rand.IntN(20); {
	case r == 0:
		panic("writer exploded")
	case r == 1:
		return 0, errors.New("disk on fire")
	case r == 2:
		n := rand.IntN(len(p))
		w.append(p[:n])
		return n, nil
	case r == 3:
		time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond) // synctest's clock: a slow writer, past StallTimeout at times
	}
	w.append(p)
	return len(p), nil
}

func (w *faultyWriter) append(p []byte) {
	w.mu.Lock()
	w.out = append(w.out, p...)
	w.mu.Unlock()
}

// TestWriterConservationWithFaults: producers log while Close comes at a
// random point with a random deadline, into a writer that panics, fails,
// short-writes and stalls at random: every accepted record is written,
// failed, dropped or lost, exactly; every record in the output is whole
// and appears once; nothing leaks and Close returns by its deadline (on
// synctest's clock).
func TestWriterConservationWithFaults(t *testing.T) {
	for round := range 4 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			synctest.Test(t, writerConservationWithFaults)
		})
	}
}

func writerConservationWithFaults(t *testing.T) {
	const producers, perProducer = 8, 300
	fw := &faultyWriter{}
	w := NewWriter(fw, Options{Capacity: 128, BatchBytes: 2048, StallTimeout: 20 * time.Millisecond})
	var syncOK, syncFailed sync.Map
	trigger := newCountTrigger(rand.IntN(producers * perProducer))
	done := make(chan error, 1)
	go func() {
		<-trigger.reached
		deadline := time.Duration(1+rand.IntN(30)) * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := w.Close(ctx)
		if took := time.Since(start); took > deadline {
			err = fmt.Errorf("Close took %v, past its deadline %v", took, deadline)
		}
		done <- err
	}()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			// A JSON handler per producer: slog's holds its mutex around
			// Write, and a goroutine blocked on a mutex would keep
			// synctest's clock from advancing while Write waits for room.
			h := slog.NewJSONHandler(w, nil)
			for n := range perProducer {
				trigger.add()
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
				r.AddAttrs(slog.Int("p", p), slog.Int("n", n))
				closed := w.p.closed.Load()
				err := h.Handle(context.Background(), r)
				key := fmt.Sprint(p, "/", n)
				if closed && err == nil {
					syncOK.Store(key, true)
				} else if err != nil {
					syncFailed.Store(key, true)
				}
			}
		})
	}
	wg.Wait()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "records lost") && !strings.Contains(err.Error(), "still being written") {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Written+st.Failed+st.Dropped+st.Lost+uint64(st.QueueDepth+st.InFlight) != st.Accepted || st.QueueDepth != 0 {
		t.Fatalf("conservation broken after Close: %+v", st)
	}
	<-w.p.done // the writer returned from the call Close may have left in flight
	st = w.Stats()
	if st.Written+st.Failed+st.Dropped+st.Lost != st.Accepted || st.InFlight != 0 || st.Accepted+st.Synchronous+st.DroppedAfterClose != producers*perProducer {
		t.Fatalf("conservation broken: %+v", st)
	}
	fw.mu.Lock()
	out := string(fw.out)
	fw.mu.Unlock()
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		var m struct{ P, N *int }
		if json.Unmarshal([]byte(line), &m) != nil || m.P == nil || m.N == nil {
			continue // a torn line, ended by the Writer
		}
		key := fmt.Sprint(*m.P, "/", *m.N)
		if seen[key] {
			t.Fatalf("record %s written twice", key)
		}
		seen[key] = true
	}
	// Records counted as written are whole in the output; so may be
	// a few counted as failed (a write cut just before a newline).
	if uint64(len(seen)) < st.Written {
		t.Fatalf("%d whole records in the output, Stats.Written %d: %+v", len(seen), st.Written, st)
	}
	t.Logf("%+v", st)
	// Advance synctest's clock past the writer's longest stall: a drain
	// goroutine that Close gave up on must exit once the writer returns
	// (synctest.Test fails if one is left).
	time.Sleep(time.Minute)
}
