package ringbuf

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// model is the ring's contract written plainly: entries in push order; an
// unreserved entry that finds unreserved ones filling Capacity-Reserved
// evicts the oldest unreserved one; otherwise a full ring (by count or
// bytes) evicts the oldest entry.
type model struct {
	capacity, lowCap, maxBytes int
	reserve                    bool
	entries                    []modelEntry
	dropped                    []int
}

type modelEntry struct {
	v, size  int
	reserved bool
}

func (m *model) push(v int, reserved bool, size int) {
	reserved = reserved && m.reserve
	for {
		low, bytes := 0, 0
		for _, e := range m.entries {
			if !e.reserved {
				low++
			}
			bytes += e.size
		}
		n := len(m.entries)
		i := -1
		switch {
		case !reserved && low >= m.lowCap:
			for j, e := range m.entries {
				if !e.reserved {
					i = j
					break
				}
			}
		case n >= m.capacity || m.maxBytes > 0 && n > 0 && bytes+size > m.maxBytes:
			i = 0
		}
		if i < 0 {
			break
		}
		m.dropped = append(m.dropped, m.entries[i].v)
		m.entries = append(m.entries[:i:i], m.entries[i+1:]...)
	}
	m.entries = append(m.entries, modelEntry{v, size, reserved})
}

func (m *model) pop(k, maxBytes int) []int {
	var got []int
	bytes := 0
	for len(got) < k && len(m.entries) > 0 {
		e := m.entries[0]
		if maxBytes > 0 && len(got) > 0 && bytes+e.size > maxBytes {
			break
		}
		bytes += e.size
		got = append(got, e.v)
		m.entries = m.entries[1:]
	}
	return got
}

// TestRingMatchesModel: for random sequences of pushes (either class, with
// sizes) and pops, the ring pops and evicts exactly what the model does, in
// the same order, for rings with and without a reserve and a byte bound.
func TestRingMatchesModel(t *testing.T) {
	for _, opts := range []Options{
		{Capacity: 1},
		{Capacity: 8},
		{Capacity: 8, Reserved: 1},
		{Capacity: 8, Reserved: 4},
		{Capacity: 8, Reserved: 7},
		{Capacity: 16, Reserved: 5, MaxBytes: 40},
		{Capacity: 3, Reserved: 2, MaxBytes: 9},
	} {
		for seed := range uint64(50) {
			rng := rand.New(rand.NewPCG(seed, 1))
			var dropped []int
			r := New(opts, func(v int) { dropped = append(dropped, v) })
			reserved := min(opts.Reserved, opts.Capacity-1)
			m := &model{capacity: opts.Capacity, lowCap: opts.Capacity - reserved, maxBytes: opts.MaxBytes, reserve: reserved > 0}
			var got, want []int
			for v := range 400 {
				if rng.IntN(4) == 0 {
					k, b := 1+rng.IntN(4), rng.IntN(12)
					got = r.Pop(got, k, b, nil)
					want = append(want, m.pop(k, b)...)
					continue
				}
				res, size := rng.IntN(3) == 0, rng.IntN(6)
				r.Push(v, res, size)
				m.push(v, res, size)
			}
			got = r.Pop(got, 1000, 0, nil)
			want = append(want, m.pop(1000, 0)...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%+v seed %d: popped (-model +ring):\n%s", opts, seed, diff)
			}
			if diff := cmp.Diff(m.dropped, dropped); diff != "" {
				t.Fatalf("%+v seed %d: evicted (-model +ring):\n%s", opts, seed, diff)
			}
		}
	}
}

// TestRingSlotMemory: New allocates 16 bytes for each slot of Capacity and
// of Reserved (pointer-sized entries), not a second ring of Capacity for
// the reserve.
func TestRingSlotMemory(t *testing.T) {
	const slack = 4 << 10
	for _, tt := range []struct {
		opts Options
		want int64
	}{
		{Options{Capacity: 1 << 16}, 16 << 16},
		{Options{Capacity: 1 << 16, Reserved: 1 << 10}, 16<<16 + 16<<10},
		{Options{Capacity: 1 << 16, Reserved: 1 << 15}, 16<<16 + 16<<15},
	} {
		// The lowest of three measures: a goroutine of another test
		// allocating between the two reads raises one.
		got := int64(math.MaxInt64)
		for range 3 {
			got = min(got, slotBytes(tt.opts))
		}
		if got > tt.want+slack {
			t.Errorf("New(%+v) holds %d bytes, want at most %d + %d", tt.opts, got, tt.want, slack)
		}
	}
}

// slotBytes returns how much heap a ring made with opts holds, measured
// after runtime.GC() before and after, with the ring alive.
func slotBytes(opts Options) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := New[*int](opts, nil)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(r)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
