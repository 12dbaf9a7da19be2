package sampling

import (
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/counter"
	"github.com/slogstack/slogstack/internal/reqscope"
)

// ReasonCounts counts requests by the rule that decided them.
type ReasonCounts struct {
	Excluded uint64 // reason "excluded"
	Path     uint64 // reason "path"
	Trace    uint64 // reason "trace"
	Rate     uint64 // reason "rate"
	Forced   uint64 // reason "forced": a verified forced-sampling token (see ForceToken)
	Other    uint64 // any other reason
}

// Total returns the sum of the counts.
func (c ReasonCounts) Total() uint64 {
	return c.Excluded + c.Path + c.Trace + c.Rate + c.Forced + c.Other
}

// Stats is a snapshot of a Handler's counters, shared by the handlers
// derived from it with WithAttrs and WithGroup. Counters only grow, except
// the two gauges BufferedRecords and BufferedBytes.
//
// Every record that enters a buffer is accounted for exactly once:
//
//	RecordsBuffered = RecordsRescued + RecordsFiltered + RecordsDropped
//	                + RecordsLostRequestBound + RecordsLostGlobalBudget
//	                + RecordsLostPanic + BufferedRecords
type Stats struct {
	// RequestsSampled and RequestsNotSampled count request scopes by their
	// initial decision and its reason, at first sight: when the first record
	// of the request (or the first Enabled call for it) reaches the handler.
	// Requests that log nothing through the handler are not counted.
	RequestsSampled    ReasonCounts
	RequestsNotSampled ReasonCounts
	// RequestsKept counts requests that were not sampled, were kept (an
	// error record, a panic, a 5xx) and then ended; RequestsDropped counts
	// those that ended without being kept. Both are counted when the
	// request ends.
	RequestsKept    uint64
	RequestsDropped uint64

	// RecordsPassed counts records of request scopes handed to the next
	// handler at once: records of sampled and kept requests, and the
	// ERROR records that keep a request.
	RecordsPassed uint64
	// RecordsBuffered counts records held in a request's buffer: records
	// of a request not sampled (yet), and records of a kept request that
	// arrived while its buffer was being written, which queue behind it.
	// It also counts a record that keeps a request (an ERROR) when the
	// goroutine writing the buffer ahead of it unwinds before it is handed
	// on (it is then counted in RecordsLostPanic), so that every record of
	// a request reaching Handle is counted once in RecordsPassed,
	// RecordsBuffered or RecordsDiscarded.
	RecordsBuffered uint64
	// RecordsRescued counts buffered records written when their request was
	// kept: the next handler's Handle returned (an error it returned is
	// also counted in HandleErrors). (The WARN records that report lost
	// records are not counted anywhere: they carry the count themselves.)
	RecordsRescued uint64
	// RecordsFiltered counts buffered records that the next handler's
	// Enabled refused when they were replayed (its level changed meanwhile).
	RecordsFiltered uint64
	// RecordsDropped counts buffered records dropped when their request
	// ended without being kept.
	RecordsDropped uint64
	// RecordsDiscarded counts records below ERROR of a request that is not
	// sampled which reached Handle but were not buffered: buffering is off
	// (a zero bound in Options), or the request had already ended. (With buffering off, Enabled
	// refuses such records before Handle, and those are not counted, just
	// as records at a disabled level are not.)
	RecordsDiscarded uint64
	// RecordsLostRequestBound and RecordsLostGlobalBudget count buffered
	// records dropped to make room, by the bound that forced it. They are
	// all below ERROR: records at ERROR or above are never dropped to a
	// bound.
	RecordsLostRequestBound uint64
	RecordsLostGlobalBudget uint64
	// RecordsLostPanic counts buffered records the next handler did not
	// take because it panicked while they were written (the panic is also
	// counted in HandlePanics), or because the goroutine writing them
	// unwound (runtime.Goexit below): the rest of the buffer, the records
	// queued behind it and the trigger waiting for it.
	RecordsLostPanic uint64

	// UnscopedPassed and UnscopedDropped count records logged without a
	// request scope that were passed and dropped (only SampleUnscoped
	// drops).
	UnscopedPassed  uint64
	UnscopedDropped uint64

	// HandleErrors counts errors the next handler returned while writing
	// buffered records (errors for records passed at once are returned to
	// the caller instead).
	HandleErrors uint64
	// HandlePanics counts panics of the next handler, recovered: while
	// writing buffered records or loss reports (the records are counted in
	// RecordsLostPanic), and on records written at once, whose Handle then
	// returns an error saying so instead of panicking. A panic never leaves
	// a request's buffer locked or half written.
	HandlePanics uint64

	// BufferedRecords is the number of records buffered now. Read while
	// records are being logged, it may count some that are leaving the
	// buffers, never fewer than zero.
	BufferedRecords int64
	// BufferedBytes is the size of the buffers now, in bytes, as
	// counted against Options.MaxBufferedBytes. It exceeds that budget only
	// by records at ERROR or above queued while a kept request's buffer is
	// written (see Options.MaxBufferedBytes).
	BufferedBytes int64
}

// reasonCounters is the live form of ReasonCounts.
type reasonCounters struct {
	excluded, path, trace, rate, forced, other atomic.Uint64
}

func (c *reasonCounters) add(reason string) {
	switch reason {
	case reqscope.ReasonExcluded:
		c.excluded.Add(1)
	case reqscope.ReasonPath:
		c.path.Add(1)
	case reqscope.ReasonTrace:
		c.trace.Add(1)
	case reqscope.ReasonRate:
		c.rate.Add(1)
	case reqscope.ReasonForced:
		c.forced.Add(1)
	default:
		c.other.Add(1)
	}
}

func (c *reasonCounters) load() ReasonCounts {
	return ReasonCounts{
		Excluded: c.excluded.Load(),
		Path:     c.path.Load(),
		Trace:    c.trace.Load(),
		Rate:     c.rate.Load(),
		Forced:   c.forced.Load(),
		Other:    c.other.Load(),
	}
}

// counters is the live form of Stats. The counters that records touch
// one by one are sharded (counter.Counter), so that callers on different
// cores do not bounce one cache line between them; those touched once per
// request or on rare paths are plain atomics.
type counters struct {
	requestsSampled    reasonCounters
	requestsNotSampled reasonCounters
	requestsKept       atomic.Uint64
	requestsDropped    atomic.Uint64

	passed           counter.Counter
	buffered         counter.Counter
	rescued          counter.Counter
	filtered         counter.Counter
	dropped          counter.Counter
	discarded        counter.Counter
	lostRequestBound counter.Counter
	lostGlobalBudget counter.Counter
	lostPanic        counter.Counter
	unscopedPassed   counter.Counter
	unscopedDropped  counter.Counter
	handleErrors     atomic.Uint64
	handlePanics     atomic.Uint64

	// The BufferedRecords gauge is the records that entered the buffers
	// less those that left them, each kept in a sharded counter that only
	// grows. Reading the leaving count first makes the gauge never read
	// below zero, even while the cells are read one by one: a record that
	// left before the read of enteredBuffers ended is in it. (A single
	// sharded gauge, its increments and decrements in different cells,
	// can read far below zero.)
	enteredBuffers counter.Counter
	leftBuffers    counter.Counter
}

// addBuffered adds n (negative to remove) to the BufferedRecords gauge.
func (c *counters) addBuffered(n int) {
	if n >= 0 {
		c.enteredBuffers.Add(uint64(n))
	} else {
		c.leftBuffers.Add(uint64(-n))
	}
}

// bufferedRecords reads the BufferedRecords gauge: never below zero, and
// exact once the records being logged are handled.
func (c *counters) bufferedRecords() int64 {
	left := c.leftBuffers.Load()
	return int64(c.enteredBuffers.Load() - left)
}

// Stats returns a snapshot of the counters of h and of every handler
// derived from it. It is safe to call at any time, concurrently with
// logging; the counters are read one by one, so a snapshot taken while
// records are being logged need not satisfy the conservation rule exactly.
func (h *Handler) Stats() Stats {
	c := &h.sh.stats
	return Stats{
		RequestsSampled:         c.requestsSampled.load(),
		RequestsNotSampled:      c.requestsNotSampled.load(),
		RequestsKept:            c.requestsKept.Load(),
		RequestsDropped:         c.requestsDropped.Load(),
		RecordsPassed:           c.passed.Load(),
		RecordsBuffered:         c.buffered.Load(),
		RecordsRescued:          c.rescued.Load(),
		RecordsFiltered:         c.filtered.Load(),
		RecordsDropped:          c.dropped.Load(),
		RecordsDiscarded:        c.discarded.Load(),
		RecordsLostRequestBound: c.lostRequestBound.Load(),
		RecordsLostGlobalBudget: c.lostGlobalBudget.Load(),
		RecordsLostPanic:        c.lostPanic.Load(),
		UnscopedPassed:          c.unscopedPassed.Load(),
		UnscopedDropped:         c.unscopedDropped.Load(),
		HandleErrors:            c.handleErrors.Load(),
		HandlePanics:            c.handlePanics.Load(),
		BufferedRecords:         c.bufferedRecords(),
		BufferedBytes:           h.sh.budget.used.Load(),
	}
}
