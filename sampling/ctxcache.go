package sampling

import (
	"context"
	"sync/atomic"
	"unsafe"
)

// ctxSlots is the number of slots of a ctxCache: a power of two, enough
// for the contexts that the requests in flight log with at one time.
const ctxSlots = 256

// ctxEntriesPerScope bounds the contexts of one request that the cache
// holds; the records of a request logged with further contexts find their
// scope by walking the context chain.
const ctxEntriesPerScope = 4

// ctxCache finds the per-request state of the scope carried by a context
// without walking the context chain (ten values layered by middleware
// over the scope's context make that walk cost more than the rest of a
// disabled call). It is direct-mapped by the context's identity: the
// two words of the interface value, compared as they are (never with ==,
// which panics on a context of an incomparable type).
//
// The entry holds the context itself, so that while it is in the cache no
// other context can be allocated at its address: an identity found in the
// cache is the same context, and a context's Value returns the same result
// for the same key every time (the context.Context contract), so the scope
// found is the one the walk would find. Entries live inside their request's
// scopeState (ctxEntriesPerScope of them, each written once, before it is
// published), so caching allocates nothing; the state removes them when
// its scope ends (and an entry stored while it ends takes itself back), so
// the cache keeps no ended request alive. A miss costs
// the walk it replaces plus one store into a slot: once per context, not
// per record.
type ctxCache struct {
	slots [ctxSlots]atomic.Pointer[ctxEntry]
}

// ctxEntry maps one context to the state of the scope it carries.
type ctxEntry struct {
	ctx context.Context // kept so that its identity cannot be reused
	st  *scopeState
	// slot is the cache slot the entry was published in, plus one; zero
	// until the entry is complete (read by the state's end to unpublish it).
	slot atomic.Uint32
}

// ctxWords is the identity of an interface value: its type and data words.
type ctxWords struct{ typ, data unsafe.Pointer }

func wordsOf(ctx *context.Context) ctxWords { return *(*ctxWords)(unsafe.Pointer(ctx)) }

// slotOf returns the slot index for a context identity.
func slotOf(w ctxWords) uint32 {
	x := uint64(uintptr(w.data)) ^ uint64(uintptr(w.typ))>>3
	return uint32((x * 0x9E3779B97F4A7C15) >> (64 - 8))
}

// get returns the state cached for ctx, or nil.
func (c *ctxCache) get(ctx context.Context) *scopeState {
	w := wordsOf(&ctx)
	e := c.slots[slotOf(w)].Load()
	if e == nil || wordsOf(&e.ctx) != w {
		return nil
	}
	return e.st
}

// put caches st as the state of the scope ctx carries, using one of st's
// entries; when st has used all of them, it caches nothing.
func (c *ctxCache) put(ctx context.Context, st *scopeState) {
	i := st.ctxUsed.Add(1) - 1
	if i >= ctxEntriesPerScope {
		st.ctxUsed.Store(ctxEntriesPerScope) // keep it from wrapping around
		return
	}
	e := &st.ctxEntries[i]
	e.ctx, e.st = ctx, st
	slot := slotOf(wordsOf(&ctx))
	e.slot.Store(slot + 1)
	c.slots[slot].Store(e)
	// A record that found st before its scope ended may get here after
	// the end removed st's entries: it takes its own entry back. The end
	// marks the scope ended before it removes the entries, so either it
	// finds this entry published or this check finds the scope ended.
	if st.scope.Ended() {
		c.slots[slot].CompareAndSwap(e, nil)
	}
}

// remove unpublishes the entries of st that are still in the cache.
func (c *ctxCache) remove(st *scopeState) {
	for i := range st.ctxEntries {
		e := &st.ctxEntries[i]
		if slot := e.slot.Load(); slot != 0 {
			c.slots[slot-1].CompareAndSwap(e, nil)
		}
	}
}
