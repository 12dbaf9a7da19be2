package counter

import (
	"sync/atomic"
	"unsafe"
)

// cells is the number of cells of a Counter: a power of two, several
// times the cores of the machines the stack runs on, so that goroutines
// running at the same time rarely share one.
const cells = 16

// cacheLine is the size the cells are padded to. 128 bytes covers the
// adjacent-line prefetch of x86 and the 128-byte lines of some arm64
// cores.
const cacheLine = 128

type cell struct {
	n atomic.Uint64
	_ [cacheLine - 8]byte
}

// Counter is a uint64 counter safe for concurrent use. Add costs one
// uncontended atomic add; Load sums every cell, so it sees every Add that
// happened before it (and possibly some concurrent ones): counts are
// exact, and a total read after the adds have returned is their sum. The
// zero value is a counter at zero. A Counter must not be copied after
// first use.
type Counter struct {
	_     noCopy
	cells [cells]cell
}

// Add adds n.
func (c *Counter) Add(n uint64) {
	c.cells[cellIndex()].n.Add(n)
}

// Load returns the sum of every Add so far.
func (c *Counter) Load() uint64 {
	var sum uint64
	for i := range c.cells {
		sum += c.cells[i].n.Load()
	}
	return sum
}

// cellIndex picks a cell from the address of a variable on the calling
// goroutine's stack: goroutines have distinct stacks, so goroutines
// running at once mostly land in distinct cells, and one goroutine keeps
// landing in the same cell (its cache line stays with its core). The
// address is only hashed, never used as a pointer.
//
//go:nosplit
func cellIndex() int {
	var x byte
	p := uint64(uintptr(unsafe.Pointer(&x)))
	// Stacks are at least 2 KiB apart; mix the bits above that.
	return int(((p >> 11) * 0x9E3779B97F4A7C15) >> (64 - 4))
}

// noCopy makes go vet's copylocks check report copies of a Counter.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
