package sampling

import (
	"log/slog"
	"testing"
)

// FuzzHandlerSequence drives one request through a sequence of operations
// (records at two levels, With, WithGroup, Keep, End) with small bounds so
// that eviction happens, and checks the invariants: nothing is written
// unless the request was kept; what is written comes out in the order it
// was logged, after at most one loss report; every buffered record is
// accounted for; nothing is left buffered after End. The next handler
// panics on the call after each "fault" operation: a record it panicked
// on reached it (in order) and is counted once.
func FuzzHandlerSequence(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0}, uint8(3))
	f.Add([]byte{0, 4, 0, 5, 0, 2, 0, 3, 0}, uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 3, 1, 0}, uint8(1))
	f.Add([]byte{0, 0, 0, 6, 1, 6, 0, 0}, uint8(1))
	f.Add([]byte{0, 0, 0, 0, 6, 2, 6, 0, 3}, uint8(2))
	f.Add([]byte{0, 4, 0, 6, 1, 0, 6, 0, 3}, uint8(3))
	f.Fuzz(func(t *testing.T, ops []byte, maxRecords uint8) {
		if len(ops) > 200 {
			ops = ops[:200]
		}
		c := &collector{got: map[string][]seen{}}
		opts := withRecords(int(maxRecords%8) + 1)
		opts.MaxBufferedBytes = int64(6 * entrySize)
		h := NewHandler(c, opts)
		ctx, s := open(notSampled)
		l := slog.New(h).With("req", "r", "worker", 0)
		seq, kept, keptBeforeEnd, ended := 0, false, false, false
		for _, op := range ops {
			switch op % 7 {
			case 0:
				l.InfoContext(ctx, "info", "seq", seq)
				seq++
			case 1:
				l.ErrorContext(ctx, "error", "seq", seq)
				seq++
				kept = true
				keptBeforeEnd = keptBeforeEnd || !ended
			case 2:
				// Keep after End still marks the request kept: later
				// records pass (earlier ones were dropped at End).
				kept = true
				keptBeforeEnd = keptBeforeEnd || !ended
				s.Keep()
			case 3:
				s.End()
				ended = true
			case 4:
				l = l.With("k", op)
			case 5:
				l = l.WithGroup("g")
			case 6:
				c.mu.Lock()
				c.panicNext = true
				c.mu.Unlock()
			}
		}
		s.End()
		got := c.got["r"]
		if !kept && len(got) != 0 {
			t.Fatalf("request never kept wrote %d records", len(got))
		}
		last := -1
		for _, r := range got {
			if r.seq < 0 { // a loss report carries no seq
				continue
			}
			if r.seq <= last {
				t.Fatalf("record %d written after %d", r.seq, last)
			}
			last = r.seq
		}
		if keptBeforeEnd {
			// Every record logged is written or reported lost, and each
			// report stands exactly in the gap it counts.
			next, pending := 0, 0
			for _, r := range got {
				if r.seq < 0 {
					pending += r.lost
					continue
				}
				if r.seq-next != pending {
					t.Fatalf("records %d..%d missing, %d reported lost there", next, r.seq-1, pending)
				}
				next, pending = r.seq+1, 0
			}
			if seq-next != pending {
				t.Fatalf("written up to %d of %d, %d reported lost at the end", next, seq, pending)
			}
		}
		st := h.Stats()
		checkConservation(t, st)
		panicked := 0
		for _, r := range got {
			if r.panicked {
				panicked++
			}
		}
		if st.HandlePanics != uint64(panicked) || st.RecordsLostPanic > st.HandlePanics {
			t.Fatalf("next handler panicked %d times: %+v", panicked, st)
		}
		if st.BufferedRecords != 0 || st.BufferedBytes != 0 {
			t.Fatalf("left buffered after End: %+v", st)
		}
		if st.RecordsPassed+st.RecordsBuffered+st.RecordsDiscarded != uint64(seq) {
			t.Fatalf("passed+buffered+discarded != %d logged: %+v", seq, st)
		}
	})
}
