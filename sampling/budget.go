package sampling

import "sync/atomic"

// budget is the byte budget shared by all request buffers of one Handler
// and the handlers derived from it.
type budget struct {
	limit int64
	used  atomic.Int64
}

// reserve takes n bytes from the budget and reports whether they fit; a
// negative n gives -n bytes back and succeeds. A failed reserve takes
// nothing. Two reserves racing for the last bytes may both fail; neither
// ever takes the total past the limit (only charge does).
func (b *budget) reserve(n int64) bool {
	if n <= 0 {
		if n < 0 {
			b.used.Add(n)
		}
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// charge takes n bytes from the budget even past its limit, for a record
// that must not be dropped (see scopeState.bufferLocked). Reserves fail
// until enough is released.
func (b *budget) charge(n int64) {
	b.used.Add(n)
}

// release returns n bytes to the budget.
func (b *budget) release(n int64) {
	if n > 0 {
		b.used.Add(-n)
	}
}
