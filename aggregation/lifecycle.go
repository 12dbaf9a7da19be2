package aggregation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slogstack/slogstack/internal/goid"
)

// batch is a list of closed summaries that one goroutine writes in order
// (the flusher on a tick, or the writer of Flush or Close), once every
// batch registered before it has been written: summaries reach the next
// handler in the order they were collected. A Flush whose context ends
// leaves it to its writer. Only Close abandons batches, when
// its context ends: the summaries not yet started are then not written but
// counted as dropped, and the writer stops as soon as the summary it is
// writing returns from the next handler.
type batch struct {
	out  []outgoing
	errs []error       // the next handler's errors; read after done
	done chan struct{} // closed when the writer has finished
	// writer is the id of the goroutine writing the batch, 0 until it
	// starts: a Flush or Close it makes from the next handler sees it.
	writer atomic.Uint64

	mu        sync.Mutex
	next      int // index of the next summary to write
	writing   int // 1 + the index of the summary being written, or 0
	abandoned bool
}

// claim returns the index of the next summary to write and marks it being
// written, or reports false when none is left or the batch was abandoned.
func (b *batch) claim() (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.abandoned || b.next >= len(b.out) {
		return 0, false
	}
	i := b.next
	b.next++
	b.writing = i + 1
	return i, true
}

// written marks the summary being written as finished.
func (b *batch) written() {
	b.mu.Lock()
	b.writing = 0
	b.mu.Unlock()
}

// lost is what a batch left unwritten when it was abandoned.
type lost struct {
	summaries, records       int // not written, counted as dropped
	inFlight, inFlightRecord int // being written by the next handler
}

func (l lost) none() bool { return l.summaries == 0 && l.inFlight == 0 }

// plus returns l and m added together.
func (l lost) plus(m lost) lost {
	return lost{
		summaries:      l.summaries + m.summaries,
		records:        l.records + m.records,
		inFlight:       l.inFlight + m.inFlight,
		inFlightRecord: l.inFlightRecord + m.inFlightRecord,
	}
}

// pendingOf adds up what the given batches have not finished writing.
func pendingOf(batches []*batch) lost {
	var total lost
	for _, b := range batches {
		total = total.plus(b.pending())
	}
	return total
}

// awaitAll waits until every batch is written or ctx ends, and reports
// whether they all were.
func awaitAll(ctx context.Context, batches []*batch) bool {
	for _, b := range batches {
		select {
		case <-b.done:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// abandon claims every summary not yet started and returns them with the
// one being written, if any. Abandoning twice claims nothing more.
func (b *batch) abandon() (dropped []outgoing, l lost) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.abandoned = true
	dropped = b.out[b.next:]
	b.next = len(b.out)
	for _, c := range dropped {
		l.summaries++
		l.records += c.sum.count
	}
	if b.writing > 0 {
		l.inFlight = 1
		l.inFlightRecord = b.out[b.writing-1].sum.count
	}
	return dropped, l
}

// pending returns what b has not finished writing, without abandoning
// anything: the summaries not started, and the one being written, if any.
func (b *batch) pending() (l lost) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.out[b.next:] {
		l.summaries++
		l.records += c.sum.count
	}
	if b.writing > 0 {
		l.inFlight = 1
		l.inFlightRecord = b.out[b.writing-1].sum.count
	}
	return l
}

// lifecycle is the state Flush and Close share: the batches being written
// and the outcome of Close.
type lifecycle struct {
	mu      sync.Mutex
	batches map[*batch]struct{}
	closing *closeState
}

// closeState is the outcome of Close, set once: by the writer of the
// first Close when it has written everything, or by the first Close when
// its context ends first. What that Close abandoned is added to lost under
// mu before the outcome is set, so the outcome names it whichever of the
// two sets it.
type closeState struct {
	once sync.Once
	err  error
	done chan struct{} // closed when err is set

	mu    sync.Mutex
	lost  lost
	cause context.Context // the first Close's context, once it abandoned anything
}

// finish sets the outcome: the next handler's errors err, joined after what
// the first Close abandoned, if anything.
func (c *closeState) finish(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		if !c.lost.none() {
			err = errors.Join(lostError("Close", c.cause, c.lost), err)
		}
		c.mu.Unlock()
		c.err = err
		close(c.done)
	})
}

// giveUp abandons the batches being written and adds what that left
// unwritten to c. It reports whether anything was abandoned.
func (c *closeState) giveUp(ctx context.Context, sh *shared) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh.life.mu.Lock()
	batches := sh.life.unfinishedLocked()
	sh.life.mu.Unlock()
	l := sh.dropAll(batches)
	if !l.none() {
		c.cause = ctx
	}
	c.lost = l
	return !c.lost.none()
}

// closeWork is what the first Close writes and waits for: the open
// summaries, written after the batches being written when it began, and
// the flusher's exit.
type closeWork struct {
	fdone  <-chan struct{}
	others []*batch
	b      *batch
}

func (w closeWork) none() bool { return w.fdone == nil && len(w.others) == 0 && w.b == nil }

// run writes b once the other writers have finished, waits for the
// flusher and sets the outcome of c. If the next handler ends the
// goroutine (runtime.Goexit), the outcome is set as it unwinds, with the
// error saying what was not written, without waiting for the other
// writers. A batch the flusher registers after b waits for b: the flusher
// is waited for last.
func (w closeWork) run(sh *shared, c *closeState) {
	defer func() {
		var errs []error
		if w.b != nil {
			errs = w.b.errs
		}
		c.finish(errors.Join(errs...))
	}()
	if w.b != nil {
		sh.write(w.b, w.others)
	}
	for _, o := range w.others {
		<-o.done
	}
	if w.fdone != nil {
		<-w.fdone
	}
}

// startBatch collects summaries with collect and registers them as a
// batch, under the lifecycle lock so that Close sees every batch collected
// before it. It returns the batch, nil when there is nothing to write, and
// the batches registered before it and not yet written: the batch's writer
// writes only once they are.
func (sh *shared) startBatch(collect func([]outgoing) []outgoing) (b *batch, earlier []*batch) {
	lc := &sh.life
	lc.mu.Lock()
	defer lc.mu.Unlock()
	earlier = lc.unfinishedLocked()
	return sh.registerLocked(collect(nil)), earlier
}

// unfinishedLocked returns the batches registered and not yet written.
func (lc *lifecycle) unfinishedLocked() []*batch {
	if len(lc.batches) == 0 {
		return nil
	}
	out := make([]*batch, 0, len(lc.batches))
	for x := range lc.batches {
		out = append(out, x)
	}
	return out
}

// registerLocked registers out, sorted, as a batch, or returns nil if out
// is empty.
func (sh *shared) registerLocked(out []outgoing) *batch {
	if len(out) == 0 {
		return nil
	}
	sortClosed(out)
	b := &batch{out: out, done: make(chan struct{})}
	if sh.life.batches == nil {
		sh.life.batches = make(map[*batch]struct{})
	}
	sh.life.batches[b] = struct{}{}
	return b
}

// write waits until the batches earlier are written, then writes the
// summaries of b in order until none is left or b is abandoned, then
// unregisters b: once b.done is closed, so are those of earlier. Until
// then b names its goroutine as its writer (see onWriterGoroutine). If
// the next handler ends the goroutine
// (runtime.Goexit) or a panic unwinds it, the summary being written is
// counted as failed (by emit), the ones not started as dropped, and b.errs
// says so, before b is unregistered and done.
func (sh *shared) write(b *batch, earlier []*batch) {
	b.writer.Store(goid.ID())
	completed := false
	defer func() {
		if !completed {
			l := sh.dropAll([]*batch{b})
			b.errs = append(b.errs, exitError(l))
		}
		sh.life.mu.Lock()
		delete(sh.life.batches, b)
		sh.life.mu.Unlock()
		close(b.done)
	}()
	for _, e := range earlier {
		<-e.done
	}
	for {
		i, ok := b.claim()
		if !ok {
			break
		}
		err := sh.emit(b.out[i])
		b.written()
		if err != nil {
			b.errs = append(b.errs, err)
		}
	}
	completed = true
}

// onWriterGoroutine reports whether the caller is the goroutine writing
// one of the batches of this handler (or of one derived from it with With
// or WithGroup), that is, whether it calls from inside the next handler
// while that writes a summary. A writer stores its id before it calls the
// next handler, so it sees its own id; any other goroutine sees ids that
// are not its own. Only Flush and Close pay for it, never Handle.
func (sh *shared) onWriterGoroutine() bool {
	id := goid.ID()
	lc := &sh.life
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for b := range lc.batches {
		if b.writer.Load() == id {
			return true
		}
	}
	return false
}

// errFlushFromWriter is what Flush returns when the next handler calls it
// while it writes a summary: the Flush would wait for the batch its own
// goroutine is writing.
var errFlushFromWriter = goid.Refusal("aggregation: Flush called from the next handler while it writes summaries: it cannot wait for itself")

// errCloseFromWriter is what Close returns when the next handler calls it
// while it writes a summary.
var errCloseFromWriter = goid.Refusal("aggregation: Close called from the next handler while it writes summaries: it cannot wait for itself; nothing was closed")

// exitError says what a writer left unwritten when the next handler ended
// its goroutine.
func exitError(l lost) error {
	msg := "aggregation: the next handler ended the goroutine writing summaries (runtime.Goexit or panic)"
	if l.inFlight > 0 {
		msg += fmt.Sprintf(": %s failed", summariesOf(l.inFlight, l.inFlightRecord))
	}
	if l.summaries > 0 {
		msg += fmt.Sprintf("; %s not written", summariesOf(l.summaries, l.records))
	}
	return errors.New(msg)
}

// dropAll abandons the given batches, counts the summaries they had not
// started as dropped, and returns the total.
func (sh *shared) dropAll(batches []*batch) lost {
	var total lost
	for _, b := range batches {
		dropped, l := b.abandon()
		sh.countDropped(dropped)
		total = total.plus(l)
	}
	return total
}

// lostError says what op could not finish when ctx ended.
func lostError(op string, ctx context.Context, l lost) error {
	msg := fmt.Sprintf("aggregation: %s: %v: %s not written",
		op, context.Cause(ctx), summariesOf(l.summaries, l.records))
	if l.inFlight > 0 {
		msg += fmt.Sprintf("; %s still being written by the next handler",
			summariesOf(l.inFlight, l.inFlightRecord))
	}
	return &ctxError{msg: msg, err: ctx.Err()}
}

// stillWritingError says what a Flush whose context ended left to the
// writers: its own summaries and those collected before it began (earlier,
// by an earlier Flush, Close or the flusher), the ones in the next
// handler included.
func stillWritingError(ctx context.Context, own, earlier lost) error {
	l := own.plus(earlier)
	msg := fmt.Sprintf("aggregation: Flush: %v: %s still to be written, in the background",
		context.Cause(ctx), summariesOf(l.summaries+l.inFlight, l.records+l.inFlightRecord))
	var notes []string
	if !earlier.none() {
		notes = append(notes, fmt.Sprintf("%s collected before this Flush began",
			summariesOf(earlier.summaries+earlier.inFlight, earlier.records+earlier.inFlightRecord)))
	}
	if l.inFlight > 0 {
		notes = append(notes, fmt.Sprintf("%s in the next handler now", summariesOf(l.inFlight, l.inFlightRecord)))
	}
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return &ctxError{msg: msg, err: ctx.Err()}
}

// leftOpenError says what a Flush whose context had ended before it began
// left open: n summaries of records records.
func leftOpenError(ctx context.Context, n, records int) error {
	return &ctxError{
		msg: fmt.Sprintf("aggregation: Flush: %v before Flush began: %s left open",
			context.Cause(ctx), summariesOf(n, records)),
		err: ctx.Err(),
	}
}

// summariesOf says "n summaries of m records", in the singular where it
// applies.
func summariesOf(n, m int) string {
	s, r := "summaries", "records"
	if n == 1 {
		s = "summary"
	}
	if m == 1 {
		r = "record"
	}
	return fmt.Sprintf("%d %s of %d %s", n, s, m, r)
}

// ctxError is a lifecycle error that unwraps to the context's error.
type ctxError struct {
	msg string
	err error
}

func (e *ctxError) Error() string { return e.msg }
func (e *ctxError) Unwrap() error { return e.err }

// Flush writes every open summary now, whatever its window, through the
// chain it was logged on, in the order the summaries were opened. Groups
// keep their burst state. It returns the next handler's errors writing
// its own summaries, joined. With a context that cannot end, Flush writes
// in the caller's goroutine.
//
// Flush returns nil only once every summary collected before it began
// (by an earlier Flush whose context ended, by Close or by the background
// flusher) has been written too (or dropped by Close at its deadline),
// and writes its own only after those:
// summaries reach the next handler in the order they were collected. The
// next handler's errors writing those earlier summaries are counted in
// Stats.
//
// Flush never drops a summary. If ctx has ended before Flush begins, it
// returns at once an error that wraps ctx.Err() and says how many
// summaries (and folded records) it left open: they stay in the cache, for
// their window's end, the next Flush or Close. If ctx ends while the
// summaries are being written, Flush returns by then with an error that
// wraps ctx.Err() and says how many summaries (and folded records) were
// not yet written, one of them possibly in the next handler at that
// moment, the earlier summaries it was waiting for included: a goroutine
// of the handler goes on writing them in the background, in order, and
// exits when they are written. Until then they
// count as being written in Stats; a Close whose context ends first drops
// them and counts them in Stats.SummariesDropped and Stats.FoldedDropped,
// and a Close that returns nil has written them.
//
// Called from the next handler while it writes a summary of this handler
// (or of one derived from it with With or WithGroup), on the goroutine
// writing it, Flush cannot wait for that goroutine: it returns at once
// the error "aggregation: Flush called from the next handler while it
// writes summaries: it cannot wait for itself", writing nothing and
// leaving the open summaries in the cache. The summaries being written go
// on, in order. Only Flush and Close check this, never Handle.
func (h *Handler) Flush(ctx context.Context) error {
	sh := h.sh
	if sh.onWriterGoroutine() {
		return errFlushFromWriter
	}
	if ctx.Err() != nil {
		n, records := sh.countOpen()
		return leftOpenError(ctx, n, records)
	}
	b, earlier := sh.startBatch(func(out []outgoing) []outgoing { return sh.collect(false, out) })
	if b == nil {
		return awaitEarlier(ctx, earlier)
	}
	if ctx.Done() == nil {
		sh.write(b, earlier)
		return errors.Join(b.errs...)
	}
	go sh.write(b, earlier)
	select {
	case <-b.done:
		return errors.Join(b.errs...)
	case <-ctx.Done():
		own, before := b.pending(), pendingOf(earlier)
		if own.none() && before.none() {
			// Every writer had finished its last summary: they return
			// without calling the next handler again.
			<-b.done
			return errors.Join(b.errs...)
		}
		return stillWritingError(ctx, own, before)
	}
}

// awaitEarlier is Flush with nothing of its own to write: it waits until
// the batches collected before it are written, or ctx ends.
func awaitEarlier(ctx context.Context, earlier []*batch) error {
	if awaitAll(ctx, earlier) {
		return nil
	}
	before := pendingOf(earlier)
	if before.none() {
		// Every writer had finished its last summary.
		awaitAll(context.Background(), earlier)
		return nil
	}
	return stillWritingError(ctx, lost{}, before)
}

// Close writes every open summary, empties the group cache and stops the
// background flusher. Records handled once Close has begun are passed on
// individually. It returns the next handler's errors writing the
// summaries, joined, once the flusher and every summary writer have
// exited: after Close returns nil, no goroutine of the handler is left.
// With a context that cannot end, Close writes in the caller's goroutine.
//
// The first call owns the writing, and only its context can end it: if
// ctx ends first, Close returns by then with an error that wraps ctx.Err()
// and says how many summaries (and folded records) were not written and
// how many were still being written by the next handler. The ones not
// written, and those a Flush is still writing (one in progress, or one
// whose context ended, leaving them to its writer), are counted in
// Stats.SummariesDropped and Stats.FoldedDropped; the flusher and the
// writers stop as soon as the next handler returns from the summary they
// are writing.
//
// A later call returns the first call's outcome once it is set. If its
// own ctx ends while the first call is still writing, it returns an error
// that wraps ctx.Err() and says so ("aggregation: Close: context deadline
// exceeded while an earlier Close was still writing"), abandoning nothing.
// Close the handlers after this one only once Close has returned.
//
// Called from the next handler while it writes a summary of this handler
// (or of one derived from it), on the goroutine writing it, Close cannot
// wait for that goroutine: it returns at once an error saying so
// ("aggregation: Close called from the next handler while it writes
// summaries: it cannot wait for itself; nothing was closed") and closes
// nothing: the handler stays open, the summaries being written go on, and
// a later Close made elsewhere writes everything.
func (h *Handler) Close(ctx context.Context) error {
	sh := h.sh
	if sh.onWriterGoroutine() {
		return errCloseFromWriter
	}
	c, w, first := sh.beginClose()
	if !first {
		return c.await(ctx)
	}
	if w.none() {
		c.finish(nil)
		return c.err
	}
	if ctx.Done() == nil {
		w.run(sh, c)
		return c.err
	}
	go w.run(sh, c)
	select {
	case <-c.done:
	case <-ctx.Done():
		if c.giveUp(ctx, sh) {
			c.finish(nil)
		}
		// With nothing lost, no goroutine of the handler is in the next
		// handler: the writer finishes without waiting on it.
		<-c.done
	}
	return c.err
}

// await returns the outcome of the first Close, waiting for it until ctx
// ends. An outcome already set is returned whatever the state of ctx.
func (c *closeState) await(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return &ctxError{
			msg: fmt.Sprintf("aggregation: Close: %v while an earlier Close was still writing", context.Cause(ctx)),
			err: ctx.Err(),
		}
	}
}

// beginClose marks the handler closed on the first call: it stops the
// flusher, takes every open summary out of the cache as the batch to
// write, and returns it with the batches being written, which Close waits
// for, and the flusher's done channel. Later calls return only the close
// state, and first false.
func (sh *shared) beginClose() (c *closeState, w closeWork, first bool) {
	lc := &sh.life
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.closing != nil {
		return lc.closing, closeWork{}, false
	}
	c = &closeState{done: make(chan struct{})}
	lc.closing = c
	w.fdone = sh.stopFlusher()
	w.others = lc.unfinishedLocked()
	w.b = sh.registerLocked(sh.collect(true, nil))
	return c, w, true
}
