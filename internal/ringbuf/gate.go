package ringbuf

import (
	"sync"
	"sync/atomic"
	"time"
)

// Gate tells producers of a full queue whether to wait for the consumer or
// to evict: they wait while the consumer makes progress, and evict once it
// has made none for the stall time. The consumer calls Progress each time
// a call into its sink returns, and Room each time it frees room (Ring.Pop
// does); a producer that has waited a stall time since the later of its
// arrival and the last progress marks the gate stalled, which wakes the
// other waiters and makes every producer evict at once until the next
// progress. A waiting producer holds no lock and is woken only when room
// is freed (or by Wake), not by every sink call.
//
// A Gate with a stall time of zero never makes anyone wait: it is stalled
// from the start and progress does not change that.
type Gate struct {
	stall   time.Duration
	base    time.Time // origin of last, for a monotonic clock
	stalled atomic.Bool
	waiters atomic.Int64
	inCall  atomic.Bool // the consumer is inside a call into its sink

	mu   sync.Mutex
	last atomic.Int64  // time of the last progress since base, while someone waits; written under mu
	ch   chan struct{} // closed at the next Room, stall or Wake; nil when nobody waits
}

// NewGate returns a gate with the given stall time; zero or less means no
// waiting at all.
func NewGate(stall time.Duration) *Gate {
	g := &Gate{stall: max(stall, 0), base: time.Now()}
	g.stalled.Store(g.stall == 0)
	return g
}

// Stalled reports whether producers must not wait: the consumer made no
// progress for the stall time, or the stall time is zero.
func (g *Gate) Stalled() bool { return g.stalled.Load() }

// Call records that the consumer enters a call into its sink; Progress
// records its return. Only time spent inside such a call counts towards a
// stall: a consumer that is merely waiting for a processor between calls
// (a saturated CPU) is not a stalled sink.
func (g *Gate) Call() {
	g.inCall.Store(true)
	if g.stall == 0 || g.waiters.Load() == 0 {
		return
	}
	g.mu.Lock()
	g.last.Store(int64(time.Since(g.base)))
	g.mu.Unlock()
}

// Progress records that the consumer made progress (a call into its sink
// returned): it clears the stall and restarts the waiters' stall clock,
// without waking them. It costs three atomic operations when nobody waits
// and the gate is not stalled.
func (g *Gate) Progress() {
	g.inCall.Store(false)
	if g.stall == 0 || (g.waiters.Load() == 0 && !g.stalled.Load()) {
		return
	}
	g.mu.Lock()
	g.last.Store(int64(time.Since(g.base)))
	g.stalled.Store(false)
	g.mu.Unlock()
}

// Room records progress that freed room, and wakes the waiting producers.
func (g *Gate) Room() {
	if g.stall == 0 || (g.waiters.Load() == 0 && !g.stalled.Load()) {
		return
	}
	g.mu.Lock()
	g.last.Store(int64(time.Since(g.base)))
	g.stalled.Store(false)
	g.wakeLocked()
	g.mu.Unlock()
}

// Wake wakes the waiting producers without recording progress, so that
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
// (so that no Room between the producer's look at the queue and its wait
// goes unseen) and passed to Wait after releasing that lock.
type Ticket struct {
	ch    chan struct{}
	since time.Duration // arrival, on the clock of last
}

// Enter returns a ticket for Wait. The caller must call Wait or Leave
// with it.
func (g *Gate) Enter() Ticket {
	g.waiters.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return Ticket{ch: g.ch, since: time.Since(g.base)}
}

// Leave gives up a ticket without waiting.
func (g *Gate) Leave(Ticket) { g.waiters.Add(-1) }

// Wait blocks until room is freed after t was taken, Wake is called, or
// the consumer has been inside one call into its sink for the stall time
// since the later of t's arrival and the call's start; in the last case it marks the gate
// stalled and wakes the other waiters. The caller then looks at its queue
// again.
func (g *Gate) Wait(t Ticket) {
	defer g.waiters.Add(-1)
	timer := time.NewTimer(g.stall)
	defer timer.Stop()
	for {
		select {
		case <-t.ch:
			return
		case <-timer.C:
		}
		g.mu.Lock()
		quiet := time.Since(g.base) - max(t.since, time.Duration(g.last.Load()))
		if !g.inCall.Load() {
			quiet = 0 // the consumer is between calls: slow to run, not stalled
		}
		if quiet < g.stall {
			g.mu.Unlock()
			timer.Reset(g.stall - quiet)
			continue
		}
		g.stalled.Store(true)
		g.wakeLocked()
		g.mu.Unlock()
		return
	}
}
