package redact

import (
	"hash/maphash"
	"sync/atomic"
	"unsafe"
)

// maxCachedKeyLen is the longest key remembered by keyCache. Longer keys are
// judged on every use (still without allocating up to keyBufSize bytes).
const maxCachedKeyLen = 64

// keyVerdict is what the redactor decided about one attribute key.
type keyVerdict struct {
	key string
	// secret: the key names a secret, its value is masked whole.
	secret bool
	// own: the key is one of the module's own output keys, whose scalar
	// values are passed on unchanged.
	own bool
	// masked is the key with value patterns applied, when the key itself
	// contains a secret (changed reports it); otherwise empty.
	masked  string
	changed bool
	// hits counts pattern matches inside the key, by pattern, for stats.
	hits patternHits
}

// cacheWays is the associativity of keyCache: a key may sit in any of the
// 8 slots of its set (8 pointers: one 64-byte cache line), so hot keys
// evict one another only when more than 8 of them share a set.
const cacheWays = 8

// keyCache is a bounded, lock-free, 8-way set-associative cache of key
// verdicts. Readers never block and never allocate; a miss stores a new
// verdict in a free slot of its set, or over one chosen by the hash. The
// hash seed is per process, which is fine: the cache only speeds up a
// deterministic verdict.
//
// In front of the sets sits a small direct-mapped table indexed by the
// address and length of the key's bytes (see byAddr): a program logs most
// keys from string constants, whose bytes do not move, so a key seen
// before is usually found there without hashing its contents.
type keyCache struct {
	seed   maphash.Seed
	sets   uint64 // number of sets, a power of two
	slots  []atomic.Pointer[keyVerdict]
	byAddr [addrSlots]atomic.Pointer[keyVerdict]
}

// addrSlots is the size of keyCache.byAddr: 2^addrBits slots.
const (
	addrBits  = 8
	addrSlots = 1 << addrBits
)

// addrSlot returns the byAddr slot of key: a multiplicative hash of the
// address and length of its bytes. The slot only says where to look: an
// entry is used only when its key has the same contents, so an address
// reused for other bytes (a key in a buffer that changed) is a miss, never
// a wrong verdict.
func addrSlot(key string) uint64 {
	a := uint64(uintptr(unsafe.Pointer(unsafe.StringData(key))))
	return ((a ^ uint64(len(key))<<56) * 0x9E3779B97F4A7C15) >> (64 - addrBits)
}

// newKeyCache returns a cache of about size entries, or nil (no cache)
// when size is zero or negative.
func newKeyCache(size int) *keyCache {
	if size <= 0 {
		return nil
	}
	if size > maxKeyCacheSize {
		size = maxKeyCacheSize
	}
	n := cacheWays
	for n < size {
		n <<= 1
	}
	return &keyCache{seed: maphash.MakeSeed(), sets: uint64(n / cacheWays), slots: make([]atomic.Pointer[keyVerdict], n)}
}

// set returns the slots of the set of hash h.
func (c *keyCache) set(h uint64) []atomic.Pointer[keyVerdict] {
	i := (h & (c.sets - 1)) * cacheWays
	return c.slots[i : i+cacheWays : i+cacheWays]
}

// get returns the cached verdict for key (or nil) and the key's hash; the
// hash is not computed (0) when the verdict is found by address.
func (c *keyCache) get(key string) (*keyVerdict, uint64) {
	slot := &c.byAddr[addrSlot(key)]
	if v := slot.Load(); v != nil && v.key == key {
		return v, 0
	}
	h := maphash.String(c.seed, key)
	set := c.set(h)
	for i := range set {
		v := set[i].Load()
		if v == nil {
			break // slots fill in order and are never emptied
		}
		if v.key == key {
			slot.Store(v)
			return v, h
		}
	}
	return nil, h
}

// put stores v for the key hashed to h: in the first free slot of its set,
// or over the slot chosen by the high bits of the hash.
func (c *keyCache) put(h uint64, v *keyVerdict) {
	if len(v.key) > maxCachedKeyLen {
		return
	}
	// v.key is a copy; the address slot is the one of the key as logged,
	// which put cannot see: it is filled on the next get that finds v.
	set := c.set(h)
	for i := range set {
		if set[i].CompareAndSwap(nil, v) {
			return
		}
	}
	set[h>>61].Store(v)
}
