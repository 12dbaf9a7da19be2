package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slogstack/slogstack/internal/fuse"
	"github.com/slogstack/slogstack/internal/snapshot"
)

// Handler is a slog.Handler that queues records for another handler and
// returns at once; one background goroutine per Handler (shared with the
// handlers derived from it by WithAttrs and WithGroup) passes them to the
// wrapped handler in batches.
//
// On the caller's goroutine Handle checks the wrapped handler's Enabled
// (done by slog.Logger before Handle), takes a snapshot of the record (its
// LogValuers resolved, the values the caller could mutate afterwards
// copied, values holding unexported state such as a locked mutex encoded
// at the call; see docs/architecture.md), detaches the context from its
// cancellation with context.WithoutCancel (its values, such as the
// OpenTelemetry span, stay visible), and pushes the record, charged to
// Options.MaxBytes by the heap bytes the snapshot holds. On the drain
// goroutine the wrapped handler's Enabled is checked again and its Handle
// called; that is where the encoding and the I/O happen.
//
// When the queue is full the caller waits for room as long as the wrapped
// handler makes progress; once it has made none for Options.StallTimeout
// the oldest record is dropped instead (see Options.Reserved for WARN and
// above), counted by level in Stats, and reported in-band by a WARN record
// with the message "async: records dropped", handed to the wrapped
// handler's Handle without asking its Enabled (see the package
// documentation).
//
// A Handler must be closed with Close to stop its goroutine and to write
// what is queued.
type Handler struct {
	next slog.Handler // the wrapped handler, as derived by WithAttrs/WithGroup
	c    *handlerCore
}

type handlerCore struct {
	pipeline[*entry]
	root slog.Handler
	pool sync.Pool
}

// entry is one queued record with what the drain goroutine needs to
// replay it.
type entry struct {
	rec slog.Record
	ctx context.Context
	h   slog.Handler
}

// NewHandler returns a Handler that queues records for next and starts its
// drain goroutine. next must not be nil.
func NewHandler(next slog.Handler, opts Options) *Handler {
	if next == nil {
		panic("async: NewHandler: nil next handler")
	}
	opts = opts.withDefaults(defaultCapacity)
	c := &handlerCore{root: next}
	c.pool.New = func() any { return new(entry) }
	c.init(opts, opts.Reserved, opts.MaxBytes, c.onDrop)
	c.deliver = c.deliverOne
	c.cut = cutOne
	c.release = c.releaseEntry
	c.report = c.writeReport
	c.start(opts.BatchSize)
	return &Handler{next: next, c: c}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle queues a snapshot of r and returns nil, without waiting for the
// wrapped handler unless the queue is full: then it waits for room while
// the wrapped handler makes progress, and only once it has made none for
// Options.StallTimeout is the oldest record dropped instead (see
// Options.Reserved for WARN and above). A record whose snapshot holds more
// than Options.MaxBytes is dropped and counted instead. After Close it
// handles r synchronously (waiting first for Close to finish with the
// queue, so a goroutine's records stay in order) and returns the wrapped
// handler's error; if the wrapped handler is still busy with a call Close
// gave up on and makes no progress for Options.StallTimeout, r is dropped,
// counted in Stats.DroppedAfterClose, and an error returned. A record the
// wrapped handler itself logs into h after Close (on the goroutine that
// calls it, which cannot wait for itself) is dropped at once, counted in
// Stats.DroppedAfterClose, and an error returned.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	return h.handle(ctx, r, nil)
}

// HandleTail is Handle for r followed by the attributes of t (the
// correlation attributes a scope.Handler above passes beside the record):
// the queued snapshot is taken of both at once, without the record being
// rebuilt first.
func (h *Handler) HandleTail(ctx context.Context, r slog.Record, t fuse.Tail) error {
	var extra [fuse.MaxTail]slog.Attr
	n := t.Len()
	for i := range n {
		extra[i] = t.At(i)
	}
	return h.handle(ctx, r, extra[:n])
}

// handle queues a snapshot of r followed by extra, or hands the record so
// built to the next handler itself after Close or when the queue refuses
// it.
func (h *Handler) handle(ctx context.Context, r slog.Record, extra []slog.Attr) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := h.c
	if !c.closed.Load() {
		e := c.pool.Get().(*entry)
		rec, size := snapshot.RecordWith(r, extra)
		e.rec = rec
		e.ctx = detach(ctx)
		e.h = h.next
		if size > c.opts.MaxBytes {
			if c.ring.Reject(e, size) {
				return nil
			}
		} else if c.ring.Push(e, r.Level >= slog.LevelWarn, size) {
			return nil
		}
		c.releaseEntry(e)
	}
	if len(extra) > 0 {
		r = r.Clone()
		r.AddAttrs(extra...)
	}
	return c.handleSync(ctx, h.next, r)
}

// detach returns ctx without its cancellation and deadline, keeping its
// values. A context that can never be cancelled is returned as is, saving
// an allocation.
func detach(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// WithAttrs returns a Handler sharing h's queue and goroutine whose records
// go to the wrapped handler's WithAttrs(attrs). The attributes are
// snapshotted first, as in Handle, since the drain goroutine encodes them
// after the caller has gone on.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	kept, _ := snapshot.Attrs(attrs)
	return &Handler{next: h.next.WithAttrs(kept), c: h.c}
}

// WithGroup returns a Handler sharing h's queue and goroutine whose records
// go to the wrapped handler's WithGroup(name). An empty name returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(name), c: h.c}
}

// Close stops accepting records into the queue, waits until every record
// accepted before it has been handed to the wrapped handler, stops the
// drain goroutine and returns nil. If ctx is done first, Close returns at
// once with an error saying exactly how many records were lost (the queued
// ones) and how many the wrapped handler is still taking (the one its
// Handle is stuck on); that one is not lost: Stats counts it in InFlight
// until Handle returns, then in Written or Failed, once. The drain
// goroutine exits as soon as the wrapped handler returns. Close closes the
// handlers derived from h too. Records handled after Close are written
// synchronously.
//
// The first call owns the drain: only its context can end it. A call made
// while the first still drains waits for it no longer than its own ctx
// allows; if ctx ends first it returns an error saying so ("async: Close:
// context deadline exceeded while an earlier Close was still draining",
// wrapping context.Cause(ctx)) and abandons nothing. Once the first call
// has finished, every later call returns its result, even with a ctx that
// has ended.
//
// Called from the wrapped handler, on the drain goroutine (whose work it
// would wait for), Close returns an error at once and closes nothing;
// close h from another goroutine.
func (h *Handler) Close(ctx context.Context) error { return h.c.close(ctx) }

// Stats returns the Handler's counters (shared with its derived
// handlers). It is safe to call at any time.
func (h *Handler) Stats() Stats { return h.c.stats() }

func (c *handlerCore) onDrop(e *entry) {
	c.noteDrop(bandOf(e.rec.Level), 0)
	c.tally.addRecord(e.rec.Level, e.rec.Time)
	c.releaseEntry(e)
}

func (c *handlerCore) releaseEntry(e *entry) {
	*e = entry{}
	c.pool.Put(e)
}

func (c *handlerCore) deliverOne(e *entry) delivery {
	enabled, err, panicked := safeReplay(e.ctx, e.h, e.rec)
	if !enabled {
		return delivery{skipped: 1}
	}
	c.countCall(err, panicked)
	if err != nil {
		return delivery{failed: 1}
	}
	return delivery{}
}

// cutOne is what a call of deliverOne that the sink cut short consumed:
// its record, not taken.
func cutOne(*entry) delivery { return delivery{failed: 1} }

// errDroppedAfterClose is what Handle and Write return for a record logged
// after Close that they dropped because the sink was stalled.
var errDroppedAfterClose = errors.New("async: record dropped after Close: the sink is stalled")

// errLoggedFromSink is what Handle and Write return for a record that the
// sink logged into its own Handler or Writer after Close: the goroutine
// that would have to write it is the one calling the sink.
var errLoggedFromSink = errors.New("async: record logged by the sink after Close dropped: the goroutine that writes to the sink cannot wait for itself")

func (c *handlerCore) handleSync(ctx context.Context, next slog.Handler, r slog.Record) error {
	if err := c.acquireSync(); err != nil {
		return err
	}
	defer c.releaseSink()
	if !next.Enabled(ctx, r.Level) {
		return nil
	}
	c.synchronous.Add(1)
	err, panicked := safeHandle(ctx, next, r)
	c.countCall(err, panicked)
	return err
}

func (c *handlerCore) writeReport(t *dropTally) {
	r := slog.NewRecord(time.Now(), slog.LevelWarn, dropReportMessage, 0)
	r.AddAttrs(t.attrs(false)...)
	// The report is not optional: its Handle is called without asking
	// Enabled, as a Writer's report is, so a sink that refuses WARN still
	// gets it and no counted drop goes unreported.
	err, panicked := safeHandle(context.Background(), c.root, r)
	c.countCall(err, panicked)
}

// safeReplay checks h.Enabled for r's level and, if it is, calls h.Handle;
// a panic in either is recovered and reported as an error (enabled is then
// true, so the record counts as handed to the sink).
func safeReplay(ctx context.Context, h slog.Handler, r slog.Record) (enabled bool, err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			enabled, err, panicked = true, fmt.Errorf("async: sink panicked: %v", v), true
		}
	}()
	if !h.Enabled(ctx, r.Level) {
		return false, nil, false
	}
	return true, h.Handle(ctx, r), false
}

// safeHandle calls h.Handle, turning a panic into an error.
func safeHandle(ctx context.Context, h slog.Handler, r slog.Record) (err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			err, panicked = fmt.Errorf("async: sink panicked: %v", v), true
		}
	}()
	return h.Handle(ctx, r), false
}
