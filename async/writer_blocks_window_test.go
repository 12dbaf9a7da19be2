package async

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slogstack/slogstack/internal/ringbuf"
)

// TestBlockQueuePushWhileMakingABlock: a Push that finds no free block
// makes one with the queue's lock released. Whatever happens to the queue
// meanwhile (run here, deterministically, from the spare pool's New, which
// newBlock calls in that window), the Push re-checks it: a Close makes it
// fail and copy nothing; a queue filled meanwhile is made room in (the
// oldest dropped, never over capacity); a block opened meanwhile is
// appended to. A block made and then not used goes to the free list, and
// records come out whole, in the order their Push took the lock.
func TestBlockQueuePushWhileMakingABlock(t *testing.T) {
	tests := []struct {
		name string
		// during runs in the window of the Push of record 1 (record 0
		// is queued, alone in a full block).
		during      func(q *blockQueue)
		wantPushed  bool
		wantPopped  []int // records popped after, in order
		wantDropped []int
		wantFree    int // blocks on the free list after the Push (record 0's, longer than a block, is not kept)
	}{
		{"closed meanwhile", func(q *blockQueue) { q.Close() }, false, []int{0}, nil, 1},
		{"filled meanwhile", func(q *blockQueue) { q.Push(windowLine(2, 1)) }, true, []int{2, 1}, []int{0}, 1},
		{"a block opened meanwhile", func(q *blockQueue) {
			k := q.Pop(nil, 0, 0, nil)[0] // record 0 taken: room again
			q.Release(k)
			q.Push(windowLine(2, 1)) // record 2 opens a block
		}, true, []int{2, 1}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dropped []int
			// Record 0 is longer than a block's bytes: alone in a full
			// block; two short records fit in one.
			q := newBlockQueue(Options{Capacity: 2, MaxBytes: 1 << 20, BatchSize: 4, BatchBytes: 120},
				ringbuf.NewGate(0), func(p []byte, _ int) { dropped = append(dropped, lineIndex(t, p)) })
			if !q.Push(windowLine(0, 100)) {
				t.Fatal("Push refused on an open queue")
			}
			ran := 0
			q.spare.New = func() any {
				if ran++; ran == 1 {
					tt.during(q)
				}
				return nil
			}
			if got := q.Push(windowLine(1, 1)); got != tt.wantPushed {
				t.Fatalf("Push = %v, want %v", got, tt.wantPushed)
			}
			if ran == 0 {
				t.Fatal("the Push made no block with the lock released")
			}
			if st := q.Stats(); st.HighWater > 2 {
				t.Fatalf("%d records queued at once, over the capacity of 2", st.HighWater)
			}
			if len(q.free) != tt.wantFree {
				t.Errorf("%d blocks on the free list, want %d", len(q.free), tt.wantFree)
			}
			var popped []int
			for {
				ks := q.Pop(nil, 0, 0, nil)
				if len(ks) == 0 {
					break
				}
				k := ks[0]
				for line := range bytes.Lines(k.b[k.off:]) {
					popped = append(popped, lineIndex(t, line))
				}
				q.Release(k)
			}
			if diff := cmp.Diff(tt.wantPopped, popped); diff != "" {
				t.Errorf("records popped (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDropped, dropped); diff != "" {
				t.Errorf("records dropped (-want +got):\n%s", diff)
			}
		})
	}
}

// windowLine returns record i, a JSON line with pad bytes of padding.
func windowLine(i, pad int) []byte {
	return fmt.Appendf(nil, `{"level":"INFO","msg":"m","i":%d,"pad":"%s"}`+"\n", i, strings.Repeat("p", pad))
}
