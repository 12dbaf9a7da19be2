package ringbuf

import (
	"sync"
	"sync/atomic"
	"time"
)

// Gate tells producers of a full queue whether to wait for the consumer or
// to evict: they wait while the consumer makes progress, and evict once it
// has made none for the stall time. The consumer calls Progress each time
// it takes entries or finishes a call into its sink; a producer that waited
// a whole stall time without seeing progress marks the gate stalled, which
// wakes the other waiters and makes every producer evict at once until the
// next progress. A waiting producer holds no lock.
//
// A Gate with a stall time of zero never makes anyone wait: it is stalled
// from the start and Progress does not change that.
type Gate struct {
	stall   time.Duration
	stalled atomic.Bool
	waiters atomic.Int64

	mu  sync.Mutex
	seq uint64        // progress events so far
	ch  chan struct{} // closed at the next progress, stall or Wake; nil when nobody waits
}

// NewGate returns a gate with the given stall time; zero or less means no
// waiting at all.
func NewGate(stall time.Duration) *Gate {
	g := &Gate{stall: max(stall, 0)}
	g.stalled.Store(g.stall == 0)
	return g
}

// Stalled reports whether producers must not wait: the consumer made no
// progress for the stall time, or the stall time is zero.
func (g *Gate) Stalled() bool { return g.stalled.Load() }

// Progress records that the consumer made progress: it clears the stall
// and wakes the waiting producers. It costs two atomic loads when nobody
// waits and the gate is not stalled.
func (g *Gate) Progress() {
	if g.stall == 0 || (g.waiters.Load() == 0 && !g.stalled.Load()) {
		return
	}
	g.mu.Lock()
	g.seq++
	g.stalled.Store(false)
	g.wakeLocked()
	g.mu.Unlock()
}

// Wake wakes the waiting producers without counting progress, so that
// they look again at a state that changed (the queue was closed).
func (g *Gate) Wake() {
	g.mu.Lock()
	g.wakeLocked()
	g.mu.Unlock()
}

func (g *Gate) wakeLocked() {
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

// Ticket is a producer's place in line, taken with the queue's lock held
// (so that no progress between the producer's look at the queue and its
// wait goes unseen) and passed to Wait after releasing that lock.
type Ticket struct {
	ch  chan struct{}
	seq uint64
}

// Enter returns a ticket for Wait. The caller must call Wait with it.
func (g *Gate) Enter() Ticket {
	g.waiters.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return Ticket{ch: g.ch, seq: g.seq}
}

// Wait blocks until the consumer makes progress after t was taken, Wake is
// called, or the stall time passes; in the last case, if there was no
// progress meanwhile, it marks the gate stalled and wakes the other
// waiters. The caller then looks at its queue again.
func (g *Gate) Wait(t Ticket) {
	defer g.waiters.Add(-1)
	timer := time.NewTimer(g.stall)
	defer timer.Stop()
	select {
	case <-t.ch:
		return
	case <-timer.C:
	}
	g.mu.Lock()
	if g.seq == t.seq {
		g.stalled.Store(true)
		g.wakeLocked()
	}
	g.mu.Unlock()
}
