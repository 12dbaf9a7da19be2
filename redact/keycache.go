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
// In front of the sets sits a small direct-mapped table of the attribute
// keys seen last (see byAddr), indexed by the address and length of the
// key's bytes: a program logs most keys from string constants, whose bytes
// do not move, so a key seen before is found there without hashing it, by
// one load and a comparison of its contents with the verdict's own copy of
// the key. The table holds no pointer to the caller's bytes, so that a key
// cut from a large buffer never keeps that buffer alive.
type keyCache struct {
	seed   maphash.Seed
	sets   uint64 // number of sets, a power of two
	slots  []atomic.Pointer[keyVerdict]
	byAddr [addrSlots]addrEntry
}

// addrSlots is the size of keyCache.byAddr: 2^addrBits slots.
const (
	addrBits  = 8
	addrSlots = 1 << addrBits
)

// addrSlot returns the byAddr slot of key: a multiplicative hash of the
// address and length of its bytes.
func addrSlot(key string) uint64 {
	a := uint64(uintptr(unsafe.Pointer(unsafe.StringData(key))))
	return ((a ^ uint64(len(key))<<56) * 0x9E3779B97F4A7C15) >> (64 - addrBits)
}

// addrEntry is one slot of keyCache.byAddr: the verdict of the key that
// was stored there last. The verdict holds its own copy of the key, which
// a lookup compares, so that a slot shared by several keys (or by the
// bytes of a freed key reused for another) never gives one key another's
// verdict; one pointer is stored and loaded at once, so no read is torn.
type addrEntry struct {
	v atomic.Pointer[keyVerdict]
}

// load returns the verdict stored for key, or nil.
func (e *addrEntry) load(key string) *keyVerdict {
	if v := e.v.Load(); v != nil && v.key == key {
		return v
	}
	return nil
}

// store makes the entry hold v, the verdict of v.key.
func (e *addrEntry) store(v *keyVerdict) {
	e.v.Store(v)
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

// get returns the cached verdict for key (or nil) and the key's hash. It
// compares contents: key may be a view of a buffer that changes later.
func (c *keyCache) get(key string) (*keyVerdict, uint64) {
	h := maphash.String(c.seed, key)
	set := c.set(h)
	for i := range set {
		v := set[i].Load()
		if v == nil {
			break // slots fill in order and are never emptied
		}
		if v.key == key {
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
	set := c.set(h)
	for i := range set {
		if set[i].CompareAndSwap(nil, v) {
			return
		}
	}
	set[h>>61].Store(v)
}
