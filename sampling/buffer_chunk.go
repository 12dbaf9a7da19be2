package sampling

import (
	"log/slog"
	"sync"
	"unsafe"
)

// A request's buffer keeps the text and the overflow attributes of flat
// records (see snapshot.Flat: strings, numbers, bools, durations and
// times) in chunks it owns, cut front to back, so that keeping such a
// record allocates nothing most of the time. A chunk is charged to the
// request and to the global budget by its capacity when it is allocated,
// whatever is cut from it, and given back when its last record is evicted
// or when the buffer is written or dropped. Records leave a buffer oldest
// first, so a chunk's records leave together, but for records at ERROR or
// above (never evicted), which keep their chunk, charged, until written.
//
// Chunk sizes double from a first size up to a limit that is a small part
// of the per-request bound and of the global budget, so that the capacity
// charged and not used is a small part of either; records whose pieces are
// larger than a quarter of the limit are kept as before, each with memory
// of its own charged by its size. With bounds too small for the first
// chunk, every record is kept that way.
const (
	firstChunkBytes = 1 << 10
	maxChunkBytes   = 16 << 10
	// chunkShareOfRequest and chunkShareOfBudget bound a chunk to that
	// fraction of MaxRequestBytes and MaxBufferedBytes.
	chunkShareOfRequest = 32
	chunkShareOfBudget  = 64
)

// attrsPerByte: an attribute chunk holds one attribute for every 32 bytes
// of the corresponding text chunk size.
const attrChunkDivisor = 32

// chunk is a block records' pieces are cut from. live counts the buffered
// records holding a piece of it; charge is what it is charged.
type chunk[T any] struct {
	buf    []T
	used   int
	live   int
	charge int
}

// chunkOverhead is the heap a chunk holds besides its block: the chunk
// itself and the two chunkPairs that can be made when it becomes current.
var chunkOverhead = allocBytes(int(unsafe.Sizeof(chunk[byte]{}))) + 2*pairSize

// allocBytes is the estimated heap footprint of an allocation of n bytes,
// as snapshots estimate theirs: rounded up to 16 plus an eighth.
func allocBytes(n int) int {
	if n <= 0 {
		return 0
	}
	return (n+15)&^15 + n/8
}

// arena is the current chunk of one kind of a request's buffer.
type arena[T any] struct {
	cur *chunk[T]
}

// fits reports whether n elements fit in the current chunk.
func (a *arena[T]) fits(n int) bool {
	return n == 0 || (a.cur != nil && a.cur.used+n <= len(a.cur.buf))
}

// nextSize is the capacity, in elements, of the chunk that follows the
// current one for a piece of n elements, given the first and the largest
// sizes.
func (a *arena[T]) nextSize(n, first, limit int) int {
	size := first
	if a.cur != nil {
		size = min(2*len(a.cur.buf), limit)
	}
	return max(size, n)
}

// cost is what cutting n elements adds to the buffer's charge: nothing
// when they fit in the current chunk, else the next chunk's charge.
func (a *arena[T]) cost(n, first, limit int) int {
	if a.fits(n) {
		return 0
	}
	return chunkCharge[T](a.nextSize(n, first, limit))
}

// chunkCharge is the charge of a chunk of size elements.
func chunkCharge[T any](size int) int {
	var zero T
	return allocBytes(size*int(unsafe.Sizeof(zero))) + chunkOverhead
}

// cut returns n elements cut from the current chunk, starting a new one
// (whose charge the caller has reserved: the cost reported for n) when
// they do not fit; with the previous chunk held by no record, its charge
// is returned in released. n == 0 cuts nothing.
func (a *arena[T]) cut(n, first, limit int) (piece []T, c *chunk[T], released int) {
	if n == 0 {
		return nil, nil, 0
	}
	if !a.fits(n) {
		if a.cur != nil && a.cur.live == 0 {
			released = a.cur.charge
		}
		a.cur = newChunk[T](a.nextSize(n, first, limit), first)
	}
	c = a.cur
	piece = c.buf[c.used : c.used+n : c.used+n]
	c.used += n
	c.live++
	return piece, c, released
}

// leave notes that a record holding a piece of c left the buffer without
// being written (evicted), and returns the charge to give back: c's when
// it was its last record and c is not the current chunk. The current chunk
// left with no record is rewound instead: none of its pieces was ever
// handed to anyone.
func (a *arena[T]) leave(c *chunk[T]) int {
	if c == nil {
		return 0
	}
	if c.live--; c.live > 0 {
		return 0
	}
	if c == a.cur {
		clear(c.buf[:c.used])
		c.used = 0
		return 0
	}
	return c.charge
}

// firstChunks recycle the chunks of the first size (text and attributes)
// of buffers dropped with all their records, none of which was handed to
// anyone: most requests are not kept and hold a few records, in a first
// chunk.
var firstChunks struct {
	text, attrs sync.Pool
}

// poolOf returns the pool of chunks of size elements of T, or nil.
func poolOf[T any](size, first int) *sync.Pool {
	if size != first {
		return nil
	}
	switch any((*T)(nil)).(type) {
	case *byte:
		return &firstChunks.text
	case *slog.Attr:
		return &firstChunks.attrs
	}
	return nil
}

// newChunk returns an empty chunk of size elements, recycled when size
// is the first size.
func newChunk[T any](size, first int) *chunk[T] {
	if p := poolOf[T](size, first); p != nil {
		if c, ok := p.Get().(*chunk[T]); ok {
			return c
		}
	}
	return &chunk[T]{buf: make([]T, size), charge: chunkCharge[T](size)}
}

// recycle puts the arena's current chunk, of the first size, in its pool.
// The caller guarantees no piece of it was handed to anyone and no record
// holds one any more.
func (a *arena[T]) recycle(first int) {
	c := a.cur
	a.cur = nil
	if c == nil {
		return
	}
	if p := poolOf[T](len(c.buf), first); p != nil {
		clear(c.buf[:c.used])
		c.used, c.live = 0, 0
		p.Put(c)
	}
}

// recycle recycles the current chunks of a buffer whose records were all
// dropped, none handed to anyone.
func (cs *chunks) recycle() {
	cs.text.recycle(firstChunkBytes)
	cs.attrs.recycle(firstChunkBytes / attrChunkDivisor)
}

// chunks are a request buffer's arenas: text and overflow attributes.
type chunks struct {
	text  arena[byte]
	attrs arena[slog.Attr]
	// pairs are the pairs of the current chunks records were last cut
	// from: text only, attributes only, both.
	pairs [3]*chunkPair
}

// chunkPair is the text and attribute chunks a record's pieces were cut
// from, exactly (either may be nil): a buffer slot points at it, so that
// it holds one pointer for both. The records cut from the same chunks share
// a pair; its heap is charged with the chunk whose arrival made it (see
// chunkOverhead).
type chunkPair struct {
	text  *chunk[byte]
	attrs *chunk[slog.Attr]
}

// pairSize is the heap of one chunkPair.
var pairSize = allocBytes(int(unsafe.Sizeof(chunkPair{})))

// pair returns the pair of the chunks tc and ac (either may be nil) a
// record was cut from.
func (cs *chunks) pair(tc *chunk[byte], ac *chunk[slog.Attr]) *chunkPair {
	var slot **chunkPair
	switch {
	case tc == nil && ac == nil:
		return nil
	case ac == nil:
		slot = &cs.pairs[0]
	case tc == nil:
		slot = &cs.pairs[1]
	default:
		slot = &cs.pairs[2]
	}
	if p := *slot; p == nil || p.text != tc || p.attrs != ac {
		*slot = &chunkPair{text: tc, attrs: ac}
	}
	return *slot
}

// leave notes that a record holding pieces of the chunks of p left the
// buffer without being written (evicted), and returns the charge to give
// back (see arena.leave).
func (cs *chunks) leave(p *chunkPair) int {
	if p == nil {
		return 0
	}
	released := cs.text.leave(p.text) + cs.attrs.leave(p.attrs)
	if released > 0 {
		cs.forgetReleased()
	}
	return released
}

// forgetReleased drops the remembered pairs that name a chunk given back:
// a chunk no longer charged must not stay on the heap through them.
func (cs *chunks) forgetReleased() {
	for i, p := range cs.pairs {
		if p != nil && (released(p.text, cs.text.cur) || released(p.attrs, cs.attrs.cur)) {
			cs.pairs[i] = nil
		}
	}
}

// released reports whether c, of an arena whose current chunk is cur, was
// given back: a chunk other than the current one that no record holds.
func released[T any](c, cur *chunk[T]) bool {
	return c != nil && c != cur && c.live == 0
}

// chunkLimit is the largest text chunk of a handler's request buffers, or
// 0 when its bounds are too small for the first chunk.
func chunkLimit(maxRequestBytes int, maxBufferedBytes int64) int {
	limit := min(maxChunkBytes, maxRequestBytes/chunkShareOfRequest, int(min(maxBufferedBytes/chunkShareOfBudget, maxChunkBytes)))
	if limit < firstChunkBytes {
		return 0
	}
	return limit
}

// flatCost is what buffering a flat record of text bytes and back
// overflow attributes adds to the charge, for the chunks it needs.
func (cs *chunks) flatCost(text, back, limit int) int {
	return cs.text.cost(text, firstChunkBytes, limit) +
		cs.attrs.cost(back, firstChunkBytes/attrChunkDivisor, limit/attrChunkDivisor)
}

// chunkLimit is the largest text chunk of the handler's request buffers,
// or 0 when its bounds keep every record in memory of its own.
func (sh *shared) chunkLimit() int {
	return chunkLimit(sh.cfg.maxRequestBytes, sh.budget.limit)
}
