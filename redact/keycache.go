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
// key's bytes and holding the key itself: a program logs most keys from
// string constants, whose bytes do not move, so a key seen before is found
// there by comparing a pointer and a length, without hashing or comparing
// its contents.
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

// addrEntry is one slot of keyCache.byAddr: a key, by the pointer to its
// bytes and its length, and the verdict for it. The pointer is held as a
// pointer, so the key's memory stays allocated and is never reused for
// other bytes while the entry holds it: a key with the same pointer and
// length is the same string (Go strings are immutable), and has the same
// verdict. The three fields are written under a sequence number (odd while
// a writer is at work), so that a reader never pairs one key with another
// key's verdict; a writer that finds another at work skips its store.
type addrEntry struct {
	seq  atomic.Uint64
	data atomic.Pointer[byte]
	n    atomic.Uint64
	v    atomic.Pointer[keyVerdict]
}

// load returns the verdict stored for key, or nil.
func (e *addrEntry) load(key string) *keyVerdict {
	seq := e.seq.Load()
	data, n, v := e.data.Load(), e.n.Load(), e.v.Load()
	if seq&1 != 0 || e.seq.Load() != seq || data != unsafe.StringData(key) || n != uint64(len(key)) {
		return nil
	}
	return v
}

// store makes the entry hold key and its verdict v.
func (e *addrEntry) store(key string, v *keyVerdict) {
	seq := e.seq.Load()
	if seq&1 != 0 || !e.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	e.data.Store(unsafe.StringData(key))
	e.n.Store(uint64(len(key)))
	e.v.Store(v)
	e.seq.Store(seq + 2)
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
