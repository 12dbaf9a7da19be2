package sampling

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/leakcheck"
	"github.com/slogstack/slogstack/internal/snapshot"
)

// The records of TestErrorsNeverEvictedWhileFlushing, by name: b* are
// buffered before the trigger T; i* (INFO) and E* (ERROR) are logged by
// another goroutine of the request while the sink stalls on b0. Every
// record carries the same value (so they all cost the same), except Ebig,
// an ERROR larger than every bound. "L<n>" in an expected output is the
// report of n lost records.
var (
	heldPad = strings.Repeat("x", 200)
	heldBig = strings.Repeat("y", 64<<10)
)

// heldRecord returns the record the test logs under name.
func heldRecord(name string) slog.Record {
	level, v := slog.LevelInfo, heldPad
	switch {
	case name == "Ebig":
		level, v = slog.LevelError, heldBig
	case name[0] == 'E' || name == "T":
		level = slog.LevelError
	}
	r := slog.NewRecord(time0, level, name, 0)
	r.AddAttrs(slog.String("v", v))
	return r
}

// heldLine returns the line a name of an expected output stands for.
func heldLine(t *testing.T, name string) map[string]any {
	if n, ok := strings.CutPrefix(name, "L"); ok {
		lost, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("bad loss report %q", name)
		}
		return kept(rec("WARN", lostRecordsMessage, lostRecordsKey, float64(lost)), 0.1)
	}
	r := heldRecord(name)
	v := heldPad
	if name == "Ebig" {
		v = heldBig
	}
	return kept(rec(r.Level.String(), name, "v", v), 0.1)
}

// TestErrorsNeverEvictedWhileFlushing stalls the sink while a kept
// request's buffer is being written, and meanwhile logs from another
// goroutine of the request more records than each bound (records, bytes,
// the global budget) holds, INFO and ERROR mixed. Each bound makes room by
// dropping the oldest records below ERROR; ERROR records are never
// dropped, even past the bound. Once the sink goes on, every ERROR is
// written, the records written keep their order, each gap of lost INFO
// records is reported where it is and counted under the bound that caused
// it, and every record is accounted for.
func TestErrorsNeverEvictedWhileFlushing(t *testing.T) {
	_, payload := snapshot.Record(heldRecord("i00"))
	one := entrySize + payload
	// The global budget during the stall also holds the batch being
	// written (a ring of 8 slots, b0 and b1) and the new ring's 8 slots.
	globalFor := func(n int) int64 {
		return int64(16*entrySize + (2+n)*payload + payload/2)
	}
	// mixed: evictions at the front, in the middle (past older ERRORs) and
	// of the newest record; INFO records survive between ERRORs.
	mixed := strings.Fields("i00 i01 i02 i03 i04 i05 E00 E01 i06 E02 i07 E03 E04 i08")
	mixedOut := strings.Fields("b0 b1 T L6 E00 E01 L1 E02 L1 E03 E04 i08")
	// over: more ERRORs than the bound holds; INFO records find no room.
	over := strings.Fields("i00 i01 i02 i03 i04 i05 E00 i06 E01 E02 E03 E04 i07 i08 E05")
	overOut := strings.Fields("b0 b1 T L6 E00 L1 E01 E02 E03 E04 L2 E05")
	// huge: an ERROR larger than the bound drops every INFO before it and
	// leaves no room for the one after it.
	huge := strings.Fields("i00 i01 Ebig i02")
	hugeOut := strings.Fields("b0 b1 T L2 Ebig L1")

	type counts struct {
		Rescued, LostRequestBound, LostGlobalBudget uint64
		// HeldWhileStalled is BufferedRecords during the stall: b1,
		// not written yet, and the records queued behind it.
		HeldWhileStalled int64
	}
	for _, tc := range []struct {
		name string
		opts Options
		logs []string
		out  []string
		want counts
	}{
		{"records/mixed", withRecords(6), mixed, mixedOut, counts{Rescued: 8, LostRequestBound: 8, HeldWhileStalled: 7}},
		{"records/over", withRecords(4), over, overOut, counts{Rescued: 8, LostRequestBound: 9, HeldWhileStalled: 7}},
		{"bytes/mixed", withRequestBytes(6*one + one/2), mixed, mixedOut, counts{Rescued: 8, LostRequestBound: 8, HeldWhileStalled: 7}},
		{"bytes/over", withRequestBytes(4*one + one/2), over, overOut, counts{Rescued: 8, LostRequestBound: 9, HeldWhileStalled: 7}},
		{"bytes/huge", withRequestBytes(2*one + one/2), huge, hugeOut, counts{Rescued: 3, LostRequestBound: 3, HeldWhileStalled: 2}},
		{"budget/mixed", withBudget(globalFor(6)), mixed, mixedOut, counts{Rescued: 8, LostGlobalBudget: 8, HeldWhileStalled: 7}},
		{"budget/over", withBudget(globalFor(4)), over, overOut, counts{Rescued: 8, LostGlobalBudget: 9, HeldWhileStalled: 7}},
		{"budget/huge", withBudget(globalFor(2)), huge, hugeOut, counts{Rescued: 3, LostGlobalBudget: 3, HeldWhileStalled: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			sink := newFaultySink(onCall(1, faultStall)) // stalls on b0
			h := NewHandler(sink, tc.opts)
			ctx, s := open(notSampled)
			for _, name := range []string{"b0", "b1"} {
				if err := h.Handle(ctx, heldRecord(name)); err != nil {
					t.Fatal(err)
				}
			}
			triggered := make(chan error, 1)
			go func() { triggered <- h.Handle(ctx, heldRecord("T")) }()
			<-sink.stalled
			within(t, "logging while the buffer is written", func() {
				for _, name := range tc.logs {
					if err := h.Handle(ctx, heldRecord(name)); err != nil {
						t.Errorf("%s: %v", name, err)
					}
				}
			})
			held := h.Stats().BufferedRecords
			close(sink.release)
			within(t, "the trigger", func() {
				if err := <-triggered; err != nil {
					t.Errorf("trigger: %v", err)
				}
			})
			s.End()

			var want []map[string]any
			for _, name := range tc.out {
				want = append(want, heldLine(t, name))
			}
			if diff := cmp.Diff(want, sink.out.Lines(t)); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			st := h.Stats()
			got := counts{st.RecordsRescued, st.RecordsLostRequestBound, st.RecordsLostGlobalBudget, held}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s\n%+v", diff, st)
			}
			if st.BufferedRecords != 0 || st.BufferedBytes != 0 {
				t.Errorf("buffer not released: %+v", st)
			}
			checkConservation(t, st)
			checkHandled(t, st, 3+len(tc.logs))
		})
	}
}

// TestHeldErrorsCharged checks that ERROR records held past the global
// budget are charged to it (so BufferedBytes stays exact) while the
// budget turns every INFO record away, and that all of it is released
// once the buffer is written.
func TestHeldErrorsCharged(t *testing.T) {
	leakcheck.Check(t)
	_, payload := snapshot.Record(heldRecord("E00"))
	budget := int64(16*entrySize + 2*payload)
	sink := newFaultySink(onCall(1, faultStall))
	h := NewHandler(sink, withBudget(budget))
	ctx, s := open(notSampled)
	h.Handle(ctx, heldRecord("b0"))
	h.Handle(ctx, heldRecord("b1"))
	triggered := make(chan error, 1)
	go func() { triggered <- h.Handle(ctx, heldRecord("T")) }()
	<-sink.stalled
	const errors = 20
	for i := range errors {
		h.Handle(ctx, heldRecord(fmt.Sprintf("E%02d", i)))
		h.Handle(ctx, heldRecord(fmt.Sprintf("i%02d", i)))
	}
	st := h.Stats()
	// The batch being written (8 slots, b0, b1; b1 not written yet), then
	// 20 ERRORs in a ring grown to 32 slots, past the budget.
	wantBytes := int64(8*entrySize+2*payload) + int64(32*entrySize+errors*payload)
	if st.BufferedRecords != 1+errors || st.BufferedBytes != wantBytes || st.RecordsLostGlobalBudget != errors {
		t.Errorf("while stalled: held %d records, %d bytes, lost %d; want %d, %d, %d",
			st.BufferedRecords, st.BufferedBytes, st.RecordsLostGlobalBudget, 1+errors, wantBytes, errors)
	}
	close(sink.release)
	if err := <-triggered; err != nil {
		t.Errorf("trigger: %v", err)
	}
	s.End()
	st = h.Stats()
	if st.RecordsRescued != 2+errors || st.BufferedRecords != 0 || st.BufferedBytes != 0 {
		t.Errorf("after the flush: %+v", st)
	}
	checkConservation(t, st)
}

// TestQueuedWhileFlushingProperties runs the scenario of
// TestErrorsNeverEvictedWhileFlushing over random sequences of INFO and
// ERROR records and random bounds of each kind, and checks the properties
// for each: every ERROR is written; what is written keeps the order it
// was logged in; each loss report counts exactly the records missing where
// it stands; the losses are counted under the bound; every record is
// accounted for.
func TestQueuedWhileFlushingProperties(t *testing.T) {
	_, payload := snapshot.Record(heldRecord("i00"))
	one := entrySize + payload
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range 60 {
		n := 1 + rng.IntN(6)
		kind := run % 3
		opts := []Options{
			withRecords(n),
			withRequestBytes(n*one + one/2),
			withBudget(int64(16*entrySize + (2+n)*payload + payload/2)),
		}[kind]
		// i00 and i01 are buffered before the trigger T; the rest is
		// logged while the sink stalls on the first write.
		var logs []string
		for seq := 2; seq < 2+rng.IntN(40); seq++ {
			level := "i"
			if rng.IntN(10) < 3 {
				level = "E"
			}
			logs = append(logs, fmt.Sprintf("%s%02d", level, seq))
		}
		t.Run(fmt.Sprintf("%d/%+v", run, opts), func(t *testing.T) {
			sink := newFaultySink(onCall(1, faultStall))
			h := NewHandler(sink, opts)
			ctx, s := open(notSampled)
			h.Handle(ctx, heldRecord("i00"))
			h.Handle(ctx, heldRecord("i01"))
			triggered := make(chan error, 1)
			go func() { triggered <- h.Handle(ctx, heldRecord("T")) }()
			<-sink.stalled
			for _, name := range logs {
				h.Handle(ctx, heldRecord(name))
			}
			close(sink.release)
			<-triggered
			s.End()

			lines := sink.out.Lines(t)
			var errorsLogged, errorsWritten []string
			for _, name := range logs {
				if name[0] == 'E' {
					errorsLogged = append(errorsLogged, name)
				}
			}
			next, pending, lost, triggers := 0, 0, 0, 0
			for _, m := range lines {
				if m["msg"] == lostRecordsMessage {
					k := int(m[lostRecordsKey].(float64))
					pending += k
					lost += k
					continue
				}
				name := m["msg"].(string)
				if name == "T" { // after i00, i01 or their report, before the rest
					if next != 2 || pending != 0 {
						t.Fatalf("trigger after %d records, %d reported lost: %v", next, pending, lines)
					}
					triggers++
					continue
				}
				seq, _ := strconv.Atoi(name[1:])
				if seq-next != pending {
					t.Fatalf("before %s: %d records missing, %d reported lost\n%v", name, seq-next, pending, lines)
				}
				if name[0] == 'E' {
					errorsWritten = append(errorsWritten, name)
				}
				next, pending = seq+1, 0
			}
			if 2+len(logs)-next != pending || triggers != 1 {
				t.Fatalf("at the end: %d records missing, %d reported lost; trigger written %d times", 2+len(logs)-next, pending, triggers)
			}
			if diff := cmp.Diff(errorsLogged, errorsWritten); diff != "" {
				t.Fatalf("ERROR records written (-logged +written):\n%s", diff)
			}
			st := h.Stats()
			if got := st.RecordsLostRequestBound + st.RecordsLostGlobalBudget; got != uint64(lost) {
				t.Fatalf("lost %d counted, %d reported", got, lost)
			}
			if st.BufferedRecords != 0 || st.BufferedBytes != 0 {
				t.Fatalf("buffer not released: %+v", st)
			}
			checkConservation(t, st)
			checkHandled(t, st, 3+len(logs))
		})
	}
}
