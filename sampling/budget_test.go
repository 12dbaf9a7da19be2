package sampling

import (
	"log/slog"
	"strings"
	"testing"
)

// TestBudgetExactWhileEvicting logs records of falling and rising sizes
// into requests whose record bound makes every record evict the oldest:
// the budget given back by an eviction and taken by the new record are
// settled together, and BufferedBytes must stay the exact sum of what the
// buffers hold, back to zero when the requests end.
func TestBudgetExactWhileEvicting(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, withRecords(4))
	l := slog.New(h)
	var held []int64
	for _, sizes := range [][]int{{4000, 10, 10}, {10, 4000, 300}, {300, 3000, 7, 900, 5}} {
		ctx, s := open(notSampled)
		for i := range 40 {
			l.InfoContext(ctx, "m", "v", strings.Repeat("x", sizes[i%len(sizes)]))
		}
		_, sst := h.sh.stateOf(ctx)
		sst.mu.Lock()
		held = append(held, sst.charged)
		sst.mu.Unlock()
		var sum int64
		for _, c := range held {
			sum += c
		}
		if got := h.Stats().BufferedBytes; got != sum {
			t.Fatalf("BufferedBytes %d, the buffers hold %d", got, sum)
		}
		defer s.End()
	}
}

// TestBudgetBackToZero checks that BufferedBytes is zero once every
// request whose records evicted each other has ended.
func TestBudgetBackToZero(t *testing.T) {
	_, next := newJSON(slog.LevelDebug)
	h := NewHandler(next, withRecords(3))
	l := slog.New(h)
	for _, sizes := range [][]int{{4000, 10}, {10, 4000}} {
		ctx, s := open(notSampled)
		for i := range 30 {
			l.InfoContext(ctx, "m", "v", strings.Repeat("x", sizes[i%len(sizes)]))
		}
		s.End()
	}
	if st := h.Stats(); st.BufferedBytes != 0 || st.BufferedRecords != 0 {
		t.Fatalf("after every request ended: BufferedBytes %d, BufferedRecords %d", st.BufferedBytes, st.BufferedRecords)
	}
}
