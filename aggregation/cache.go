package aggregation

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slogstack/slogstack/internal/reqscope"
)

// group is the state of one group key: its burst count and its open
// summary, if any. Groups live in their shard's map and LRU list.
type group struct {
	h1, h2     uint64
	prev, next *group // LRU list; the shard's sentinel closes the ring
	scope      *reqscope.Scope
	burstStart time.Time
	burstCount int
	lastSeen   time.Time
	sum        *summary
	dead       atomic.Bool // removed from the cache; set under the shard's lock
}

// groupOverhead approximates the memory of a group without its summary:
// the struct and its map entry.
const groupOverhead = 160

// cause says why a summary was written.
type cause uint8

const (
	causeWindow cause = iota
	causeMaxCount
	causeRequestEnd
	causeEvicted
	causeFlush
	numCauses
)

// outgoing is a summary taken from the cache to be written.
type outgoing struct {
	sum   *summary
	cause cause
}

// shard is one lock's share of the group cache. Its fields are guarded
// by mu.
type shard struct {
	mu     sync.Mutex
	groups map[uint64]*group
	lru    group // sentinel: lru.next is the most recently used
	bytes  int64 // approximate memory of groups and summaries

	passedMatched uint64
	folded        uint64
	collisions    uint64
	evicted       uint64
	expired       uint64
	_             [64]byte // keep shards on separate cache lines
}

func (s *shard) init() {
	s.groups = make(map[uint64]*group)
	s.lru.next, s.lru.prev = &s.lru, &s.lru
}

// evictOther evicts the least recently used group of another shard whose
// lock it can take without waiting (the caller holds own's lock, so it
// must not wait for another). It reports whether it evicted one.
func (sh *shared) evictOther(own *shard, v *verdict) bool {
	for i := range sh.shards {
		o := &sh.shards[i]
		if o == own || !o.mu.TryLock() {
			continue
		}
		if o.lru.prev == &o.lru {
			o.mu.Unlock()
			continue
		}
		v.push(o.remove(o.lru.prev), causeEvicted)
		o.evicted++
		sh.groups.Add(-1)
		o.mu.Unlock()
		return true
	}
	return false
}

func (s *shard) unlink(g *group) {
	g.prev.next, g.next.prev = g.next, g.prev
	g.prev, g.next = nil, nil
}

func (s *shard) pushFront(g *group) {
	g.prev, g.next = &s.lru, s.lru.next
	s.lru.next.prev = g
	s.lru.next = g
}

// remove deletes g from the shard and returns its open summary, if any.
func (s *shard) remove(g *group) *summary {
	g.dead.Store(true)
	s.unlink(g)
	delete(s.groups, g.h1)
	s.bytes -= groupOverhead
	sum := g.sum
	if sum != nil {
		s.bytes -= sum.heapBytes()
		g.sum = nil
	}
	return sum
}

// take closes g's open summary and returns it.
func (s *shard) take(g *group) *summary {
	sum := g.sum
	s.bytes -= sum.heapBytes()
	g.sum = nil
	return sum
}

// verdict is what observe decided for a record.
type verdict struct {
	fold       bool   // the record was folded; do not pass it on
	added      *group // the group added to the cache, if any
	needFreeze bool   // call observe again with a frozen copy of the record
	emit       [4]outgoing
	nemit      int // summaries to write before passing the record
}

func (v *verdict) push(sum *summary, c cause) {
	if sum != nil {
		v.emit[v.nemit] = outgoing{sum, c}
		v.nemit++
	}
}

// observed is what observe needs to know about the record being handled.
type observed struct {
	h     *Handler
	ctx   context.Context
	h1    uint64
	h2    uint64
	scope *reqscope.Scope
	now   time.Time
}

// observe applies the burst and fold rules to one system record of the
// group o.h1 and o.h2. It runs under the shard's lock and calls no code
// outside the package: when the record opens a summary and pre is nil, it
// sets v.needFreeze and returns without counting the record, and the
// caller freezes the record (running the record's LogValue, MarshalJSON and
// Error methods outside the lock) and calls it again with the copy. Each
// call may close summaries; a record is counted by exactly one call.
func (s *shard) observe(sh *shared, o *observed, pre *frozen, v *verdict) {
	c := &sh.cfg
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.closed.Load() {
		s.passedMatched++
		return
	}
	g := s.groups[o.h1]
	if g == nil {
		// Reserve a place in the cache; past the bound, evict this
		// shard's least recently used group, or another shard's if this
		// one is empty. If none can be had without waiting, the record
		// passes without a group.
		if sh.groups.Add(1) > int64(c.maxGroups) {
			if s.lru.prev != &s.lru {
				v.push(s.remove(s.lru.prev), causeEvicted)
				s.evicted++
				sh.groups.Add(-1)
			} else if !sh.evictOther(s, v) {
				sh.groups.Add(-1)
				s.passedMatched++
				return
			}
		}
		g = &group{h1: o.h1, h2: o.h2, scope: o.scope, burstStart: o.now, lastSeen: o.now}
		s.groups[o.h1] = g
		s.pushFront(g)
		s.bytes += groupOverhead
		v.added = g
	} else if g.h2 != o.h2 {
		// Two different keys with the same first hash: never fold them
		// together; the newcomer passes.
		s.collisions++
		s.passedMatched++
		return
	} else {
		s.unlink(g)
		s.pushFront(g)
		g.lastSeen = o.now
	}
	if g.sum != nil {
		if g.sum.covers(o.now, c.window) {
			g.sum.fold(o.now)
			s.folded++
			v.fold = true
			if g.sum.count >= c.maxCount {
				v.push(s.take(g), causeMaxCount)
			}
			return
		}
		v.push(s.take(g), causeWindow)
	}
	// A record dated a little before the period's start (records reach
	// the handler in any order of their times) counts in the period.
	if d := o.now.Sub(g.burstStart); d >= c.burstWindow || d <= -c.burstWindow {
		g.burstStart = o.now
		g.burstCount = 0
	}
	if g.burstCount < c.burst {
		g.burstCount++
		s.passedMatched++
		return
	}
	if pre == nil {
		v.needFreeze = true
		return
	}
	rec := *pre
	g.sum = &summary{
		seq:   sh.opened.Add(1),
		ctx:   context.WithoutCancel(o.ctx),
		next:  o.h.next,
		rec:   rec,
		first: o.now,
		last:  o.now,
		count: 1,
	}
	s.bytes += g.sum.heapBytes()
	s.folded++
	v.fold = true
	if c.maxCount <= 1 {
		v.push(s.take(g), causeMaxCount)
	}
}

// sweep closes the summaries whose window ends before the next tick (so
// that none is written later than its window's end) and removes groups idle
// for a whole window, appending what to write to out.
func (s *shard) sweep(sh *shared, now time.Time, out []outgoing) []outgoing {
	w := sh.cfg.window
	next := now.Add(sh.cfg.flushInterval)
	s.mu.Lock()
	defer s.mu.Unlock()
	for g := s.lru.prev; g != &s.lru; {
		nx := g.prev
		if g.sum != nil {
			// A summary dated far ahead (a record with a time in the
			// future) is closed too, rather than held until it is due.
			if next.Sub(g.sum.first) > w || g.sum.first.Sub(now) > w {
				out = append(out, outgoing{s.take(g), causeWindow})
			}
		} else if d := now.Sub(g.lastSeen); d >= w || d <= -w {
			s.remove(g)
			s.expired++
			sh.groups.Add(-1)
		}
		g = nx
	}
	return out
}

// flush closes every open summary; with drop it also empties the shard.
func (s *shard) flush(sh *shared, drop bool, out []outgoing) []outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	for g := s.lru.prev; g != &s.lru; {
		nx := g.prev
		if drop {
			if sum := s.remove(g); sum != nil {
				out = append(out, outgoing{sum, causeFlush})
			}
			sh.groups.Add(-1)
		} else if g.sum != nil {
			out = append(out, outgoing{s.take(g), causeFlush})
		}
		g = nx
	}
	return out
}

// countOpen returns the number of open summaries in the shard and of the
// records folded into them.
func (s *shard) countOpen() (summaries, records int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for g := s.lru.next; g != &s.lru; g = g.next {
		if g.sum != nil {
			summaries++
			records += g.sum.count
		}
	}
	return summaries, records
}

// endGroup closes the summary of g and removes it, if it is still in the
// cache and still belongs to the ended scope sc.
func (s *shard) endGroup(sh *shared, g *group, sc *reqscope.Scope, out []outgoing) []outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.dead.Load() || g.scope != sc {
		return out
	}
	if sum := s.remove(g); sum != nil {
		out = append(out, outgoing{sum, causeRequestEnd})
	}
	sh.groups.Add(-1)
	return out
}

// detachScope forgets the scope of g: the scope ended before g could be
// registered with it, so g lives on until it expires or is evicted.
func (s *shard) detachScope(g *group, sc *reqscope.Scope) {
	s.mu.Lock()
	if !g.dead.Load() && g.scope == sc {
		g.scope = nil
	}
	s.mu.Unlock()
}
