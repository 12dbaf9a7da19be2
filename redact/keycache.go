package redact

import (
	"hash/maphash"
	"sync/atomic"
)

// maxCachedKeyLen is the longest key remembered by keyCache. Longer keys are
// judged on every use (still without allocating up to keyBufSize bytes).
const maxCachedKeyLen = 64

// keyVerdict is what the redactor decided about one attribute key.
type keyVerdict struct {
	key string
	// secret: the key names a secret, its value is masked whole.
	secret bool
	// masked is the key with value patterns applied, when the key itself
	// contains a secret (changed reports it); otherwise empty.
	masked  string
	changed bool
	// hits counts pattern matches inside the key, by pattern, for stats.
	hits patternHits
}

// keyCache is a bounded, lock-free, two-way set-associative cache of key
// verdicts. Readers never block and never allocate; a miss stores a new
// verdict, replacing one of the two slots of its set. The hash seed is per
// process, which is fine: the cache only speeds up a deterministic verdict.
type keyCache struct {
	seed  maphash.Seed
	mask  uint64 // len(slots)-1, slots is a power of two >= 2
	slots []atomic.Pointer[keyVerdict]
}

// newKeyCache returns a cache of about size entries, or nil when size < 0.
func newKeyCache(size int) *keyCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = DefaultKeyCacheSize
	}
	if size > maxKeyCacheSize {
		size = maxKeyCacheSize
	}
	n := 2
	for n < size {
		n <<= 1
	}
	return &keyCache{seed: maphash.MakeSeed(), mask: uint64(n - 1), slots: make([]atomic.Pointer[keyVerdict], n)}
}

// get returns the cached verdict for key, or nil.
func (c *keyCache) get(key string) (*keyVerdict, uint64) {
	h := maphash.String(c.seed, key)
	i := h & c.mask &^ 1
	if v := c.slots[i].Load(); v != nil && v.key == key {
		return v, h
	}
	if v := c.slots[i|1].Load(); v != nil && v.key == key {
		return v, h
	}
	return nil, h
}

// put stores v for the key hashed to h. An empty slot of the set is used
// first; otherwise the slot chosen by a high bit of the hash is replaced.
func (c *keyCache) put(h uint64, v *keyVerdict) {
	if len(v.key) > maxCachedKeyLen {
		return
	}
	i := h & c.mask &^ 1
	if c.slots[i].Load() == nil {
		c.slots[i].Store(v)
		return
	}
	if c.slots[i|1].Load() == nil {
		c.slots[i|1].Store(v)
		return
	}
	c.slots[i|(h>>63)].Store(v)
}
