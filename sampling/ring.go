package sampling

import (
	"math/bits"
	"sync"
)

// Buffer rings have power-of-two capacities from initialSlots up. Rings up
// to maxPooledSlots are recycled through sync.Pools, so that a request that
// buffers a few records and ends does not allocate a fresh ring (a slot
// holds a whole slog.Record, a few hundred bytes) every time.
const (
	initialSlots   = 8
	maxPooledSlots = 4096
)

// ringPools[k] holds rings of initialSlots<<k slots; 10 classes reach
// maxPooledSlots.
var ringPools [10]sync.Pool

// ringClass returns the pool index for a power-of-two capacity, or -1 when
// rings of that capacity are not pooled.
func ringClass(slots int) int {
	if slots < initialSlots || slots > maxPooledSlots || slots&(slots-1) != 0 {
		return -1
	}
	return bits.Len(uint(slots/initialSlots)) - 1
}

// ringSlots returns the capacity of the ring that follows one of capacity
// cur, for a buffer holding at most maxRecords records.
func ringSlots(cur, maxRecords int) int {
	if cur == 0 {
		cur = initialSlots
	} else {
		cur *= 2
	}
	limit := 1 << bits.Len(uint(maxRecords-1)) // maxRecords rounded up to a power of two
	return max(min(cur, limit), 1)
}

// getRing returns an empty ring of the given power-of-two capacity.
func getRing(slots int) *[]entry {
	if c := ringClass(slots); c >= 0 {
		if p, ok := ringPools[c].Get().(*[]entry); ok {
			return p
		}
	}
	r := make([]entry, slots)
	return &r
}

// putRing clears a ring and recycles it.
func putRing(p *[]entry) {
	if p == nil {
		return
	}
	if c := ringClass(len(*p)); c >= 0 {
		clear(*p)
		ringPools[c].Put(p)
	}
}
