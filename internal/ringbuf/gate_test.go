package ringbuf

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testStall = 100 * time.Millisecond

// fullRing returns a ring of capacity 2 holding 1 and 2, with a gate of
// stall time testStall.
func fullRing() (*Ring[int], *Gate, *[]int) {
	var dropped []int
	g := NewGate(testStall)
	r := New(Options{Capacity: 2, Gate: g}, func(v int) { dropped = append(dropped, v) })
	r.Push(1, false, 0)
	r.Push(2, false, 0)
	return r, g, &dropped
}

// pushAsync pushes v from a new goroutine and returns a channel that
// receives Push's result and the fake time it took.
func pushAsync(r *Ring[int], v int) <-chan pushResult {
	done := make(chan pushResult, 1)
	go func() {
		start := time.Now()
		ok := r.Push(v, false, 0)
		done <- pushResult{ok, time.Since(start)}
	}()
	return done
}

type pushResult struct {
	ok   bool
	took time.Duration
}

// TestGateWaitsWhileConsumerProgresses: a Push into a full ring waits
// while the consumer makes progress, however long that takes in total,
// and evicts nothing; it is woken only when room is freed.
func TestGateWaitsWhileConsumerProgresses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, g, dropped := fullRing()
		done := pushAsync(r, 3)
		// The sink takes 3/4 of the stall time per call, five times: the
		// producer waits 3.75 stall times without a stall.
		for range 5 {
			g.Call()
			time.Sleep(testStall * 3 / 4)
			synctest.Wait()
			if len(done) != 0 {
				t.Fatal("Push returned while the ring was full and the consumer progressing")
			}
			g.Progress()
		}
		if got := r.Pop(nil, 1, 0, nil); !cmp.Equal(got, []int{1}) {
			t.Fatalf("Pop = %v, want [1]", got)
		}
		res := <-done
		if !res.ok || res.took != 5*testStall*3/4 || g.Stalled() {
			t.Fatalf("Push = %+v, stalled %v; want ok after %v, not stalled", res, g.Stalled(), 5*testStall*3/4)
		}
		if len(*dropped) != 0 {
			t.Fatalf("evicted %v, want nothing", *dropped)
		}
		if got := r.Pop(nil, 10, 0, nil); !cmp.Equal(got, []int{2, 3}) {
			t.Fatalf("Pop = %v, want [2 3]", got)
		}
	})
}

// TestGateEvictsAfterStall: with no progress for the stall time the
// waiting producers evict, and later ones evict at once, until the next
// progress.
func TestGateEvictsAfterStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, g, dropped := fullRing()
		g.Call() // the consumer is stuck in its sink
		first, second := pushAsync(r, 3), pushAsync(r, 4)
		a, b := <-first, <-second
		if !a.ok || !b.ok || a.took != testStall || b.took != testStall || !g.Stalled() {
			t.Fatalf("Pushes = %+v %+v stalled %v; want both ok after the stall time %v", a, b, g.Stalled(), testStall)
		}
		if res := <-pushAsync(r, 5); !res.ok || res.took != 0 {
			t.Fatalf("Push on a stalled gate = %+v, want ok at once", res)
		}
		if !cmp.Equal(*dropped, []int{1, 2, 3}) && !cmp.Equal(*dropped, []int{1, 2, 4}) {
			t.Fatalf("evicted %v, want the three oldest", *dropped)
		}
		g.Room()
		if g.Stalled() {
			t.Fatal("still stalled after progress")
		}
		g.Call()
		done := pushAsync(r, 6)
		synctest.Wait()
		if len(done) != 0 {
			t.Fatal("Push did not wait after the consumer made progress again")
		}
		r.Pop(nil, 1, 0, nil)
		if res := <-done; !res.ok || res.took != 0 {
			t.Fatalf("Push = %+v, want ok", res)
		}
	})
}

// TestGateCloseWakesWaiters: Close makes a waiting Push fail at once.
func TestGateCloseWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _, dropped := fullRing()
		done := pushAsync(r, 3)
		synctest.Wait()
		r.Close()
		if res := <-done; res.ok || res.took != 0 {
			t.Fatalf("Push = %+v, want false at once", res)
		}
		if len(*dropped) != 0 {
			t.Fatalf("evicted %v, want nothing", *dropped)
		}
	})
}

// TestGateZeroStallNeverWaits: a zero stall time evicts at once.
func TestGateZeroStallNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var dropped []int
		g := NewGate(0)
		r := New(Options{Capacity: 1, Gate: g}, func(v int) { dropped = append(dropped, v) })
		r.Push(1, false, 0)
		g.Progress()
		if res := <-pushAsync(r, 2); !res.ok || res.took != 0 || !cmp.Equal(dropped, []int{1}) {
			t.Fatalf("Push = %+v evicted %v, want ok at once evicting [1]", res, dropped)
		}
	})
}

// TestGateConsumerBetweenCallsIsNotStalled: a consumer that takes long to
// come back between calls into its sink (descheduled on a busy machine)
// does not make producers evict.
func TestGateConsumerBetweenCallsIsNotStalled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, g, dropped := fullRing()
		g.Call()
		g.Progress()
		done := pushAsync(r, 3)
		time.Sleep(10 * testStall)
		synctest.Wait()
		if len(done) != 0 || g.Stalled() {
			t.Fatal("Push stopped waiting while the consumer was between calls")
		}
		r.Pop(nil, 1, 0, nil)
		if res := <-done; !res.ok || len(*dropped) != 0 {
			t.Fatalf("Push = %+v evicted %v, want ok evicting nothing", res, *dropped)
		}
	})
}
