package async

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/slogstack/slogstack/internal/ringbuf"
)

// Writer is an io.Writer that queues a copy of each Write and returns at
// once; one background goroutine writes the queued bytes to the
// underlying writer, many Writes at a time in one Write call of at most
// Options.BatchBytes and 64 KiB (a single longer Write is written alone).
// It is meant for byte sinks fed by an encoding handler (slog.JSONHandler,
// handler.JSONHandler): the handler encodes on the caller's goroutine, one
// Write per record, and Writer keeps each Write's bytes contiguous, never
// splitting them across Write calls on the underlying writer.
//
// Queued Writes are stored back to back in blocks of up to 64 KiB that the
// Writer recycles, so a Write costs one short lock and a copy, and
// allocates nothing once the Writer has warmed up.
//
// When the queue is full (Options.Capacity records or Options.MaxBytes
// bytes) the oldest Writes are dropped. Writer counts them by level when it
// can read a slog JSON or text "level" field near the start of the line
// (otherwise as Unknown), and reports them in-band with a line whose
// message is "async: records dropped" (see the package documentation),
// encoded as JSON or by the handler Options.ReportHandler makes. Writer
// never changes the underlying file's
// flags: it stays a blocking descriptor, and only Writer's own goroutine
// waits on it.
//
// A Writer must be closed with Close to stop its goroutine and to write
// what is queued.
type Writer struct {
	p   pipeline[*block] // the queue and the goroutine that drains it
	q   *blockQueue
	w   io.Writer
	enc bytes.Buffer // what report writes for one drop report
	// report encodes the drop report into enc (Options.ReportHandler).
	report slog.Handler
	torn   bool // the last write on w ended inside a line; guarded by sinkTok
	// progress is how many bytes of the run writeAll is writing have been
	// written so far; guarded by sinkTok. It tells a call cut short by
	// the underlying writer (runtime.Goexit) which records were written.
	progress int
}

// maxWriteAttempts is how many Write calls the Writer makes for one run of
// bytes when the underlying writer writes only part of it (with or without
// an error) or panics, before it counts the records not fully written as
// failed.
const maxWriteAttempts = 3

// NewWriter returns a Writer queueing for w and starts its drain
// goroutine. w must not be nil, nor the handler opts.ReportHandler
// returns.
func NewWriter(w io.Writer, opts Options) *Writer {
	if w == nil {
		panic("async: NewWriter: nil writer")
	}
	opts = opts.withDefaults(defaultWriterCapacity)
	x := &Writer{w: w}
	x.report = reportHandler(opts.ReportHandler, &x.enc)
	x.p.gate = ringbuf.NewGate(opts.StallTimeout)
	x.q = newBlockQueue(opts, x.p.gate, x.onDrop)
	x.p.initQueue(opts, x.q)
	x.p.records = (*block).live
	x.p.deliver = x.deliverBlock
	x.p.cut = x.cutBlock
	x.p.release = x.q.Release
	x.p.report = x.writeReport
	x.p.start(1) // blockQueue.Pop takes one block
	return x
}

// Write queues a copy of p and returns len(p), nil; the caller may reuse p
// at once. It does not wait for the underlying writer unless the queue is
// full: then it waits for room while the underlying writer makes progress,
// and only once it has made none for Options.StallTimeout are the oldest
// records dropped instead (see Options.Reserved for WARN and above). An
// empty p is neither queued nor counted. A p larger than Options.MaxBytes
// is dropped and counted instead. After Close, Write writes p to the
// underlying writer synchronously (after Close has finished with the
// queue) and returns its result; if the underlying writer is still busy
// with a call Close gave up on and makes no progress for
// Options.StallTimeout, p is dropped, counted in Stats.DroppedAfterClose,
// and an error returned. A p the underlying writer or the report handler
// itself writes to x after Close (on the goroutine that calls them,
// which cannot wait for itself) is dropped at once, counted in
// Stats.DroppedAfterClose, and an error returned.
func (x *Writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !x.p.closed.Load() {
		if len(p) > x.p.opts.MaxBytes {
			if x.q.Reject(p[:min(len(p), lineScanLimit)], len(p)) { // enough to read level and time
				return len(p), nil
			}
		} else if x.q.Push(p) {
			return len(p), nil
		}
	}
	if err := x.p.acquireSync(); err != nil {
		return 0, err
	}
	defer x.p.releaseSink()
	x.p.synchronous.Add(1)
	return x.writeAll(p)
}

// Close stops accepting Writes into the queue, waits until every Write
// accepted before it has been written to the underlying writer, stops the
// drain goroutine and returns nil. If ctx is done first, Close returns at
// once with an error saying exactly how many records (Writes) were lost
// (still queued) and how many the underlying Write it is stuck in is still
// writing; those are not lost: Stats counts them in InFlight until that
// Write returns, then in Written or Failed, once. The drain goroutine
// exits when that Write returns. Close does not close the underlying
// writer.
//
// The first call owns the drain: only its context can end it. A call made
// while the first still drains waits for it no longer than its own ctx
// allows; if ctx ends first it returns an error saying so ("async: Close:
// context deadline exceeded while an earlier Close was still draining",
// wrapping context.Cause(ctx)) and abandons nothing. Once the first call
// has finished, every later call returns its result, even with a ctx that
// has ended.
//
// Called from the underlying writer, on the drain goroutine (whose work it
// would wait for), Close returns an error at once and closes nothing;
// close x from another goroutine.
func (x *Writer) Close(ctx context.Context) error { return x.p.close(ctx) }

// Stats returns the Writer's counters. It is safe to call at any time.
func (x *Writer) Stats() Stats { return x.p.stats() }

// onDrop counts a dropped record of size bytes whose head is p; it runs
// under the queue's lock.
func (x *Writer) onDrop(p []byte, size int) {
	b, raw := scanLine(p)
	x.p.noteDrop(b, size)
	x.p.tally.addLine(b, raw, size)
}

// deliverBlock writes the block k, all its records in one Write call
// (more if the underlying writer writes only part of them), and counts as
// failed the records whose last byte was not written.
func (x *Writer) deliverBlock(k *block) delivery {
	p := k.compact()
	if len(p) == 0 { // every record of the block was dropped
		return delivery{}
	}
	n, _ := x.writeAll(p)
	return delivery{failed: k.live() - k.recordsWithin(n), bytes: n}
}

// cutBlock is what a call of deliverBlock that the underlying writer cut
// short consumed: the block k, whose records not wholly written before
// the call that ended it count as failed (as after a panic, that call is
// taken to have written nothing).
func (x *Writer) cutBlock(k *block) delivery {
	return delivery{failed: k.live() - k.recordsWithin(x.progress), bytes: x.progress}
}

// reportHandler returns the handler that encodes a Writer's drop report
// into enc: made by newHandler (Options.ReportHandler), or a
// slog.JSONHandler when newHandler is nil.
func reportHandler(newHandler func(io.Writer) slog.Handler, enc *bytes.Buffer) slog.Handler {
	if newHandler == nil {
		return slog.NewJSONHandler(enc, nil)
	}
	h := newHandler(enc)
	if h == nil {
		panic("async: NewWriter: Options.ReportHandler returned a nil handler")
	}
	return h
}

// writeReport encodes a drop report with x.report and writes it. The
// report is not optional: x.report only encodes it, so its Handle is
// called without asking Enabled, and the handler's level does not filter
// the report. If it fails or panics, the call is counted and nothing is
// written.
func (x *Writer) writeReport(t *dropTally) {
	r := slog.NewRecord(time.Now(), slog.LevelWarn, dropReportMessage, 0)
	r.AddAttrs(t.attrs(true)...)
	x.enc.Reset()
	err, panicked := safeHandle(context.Background(), x.report, r)
	if err != nil {
		x.p.countCall(err, panicked)
		return
	}
	if x.enc.Len() > 0 {
		x.writeAll(x.enc.Bytes())
	}
}

// writeAll writes p to the underlying writer, retrying the rest after a
// short write, an error or a panic, up to maxWriteAttempts calls, and
// returns how many bytes of p were written and the last error. Every
// failed call is counted. If an earlier write ended inside a line, it
// first ends that line with a newline, so that the torn line does not run
// into the next record; if that fails, nothing of p is written. The
// caller must hold sinkTok.
func (x *Writer) writeAll(p []byte) (int, error) {
	x.progress = 0
	if x.torn {
		if _, err := x.writeSome([]byte{'\n'}); err != nil {
			return 0, err
		}
		x.progress = 0
	}
	return x.writeSome(p)
}

// writeSome is writeAll without the torn-line handling. It keeps
// x.progress and x.torn up to date after every call on the underlying
// writer, so that they hold even if a call never returns to it.
func (x *Writer) writeSome(p []byte) (int, error) {
	var err error
	for range maxWriteAttempts {
		n, e, panicked := safeWrite(x.w, p[x.progress:])
		x.p.countCall(e, panicked)
		x.progress += n
		if n > 0 {
			x.torn = x.progress < len(p) && p[x.progress-1] != '\n'
		}
		err = e
		if x.progress == len(p) {
			return x.progress, nil
		}
	}
	return x.progress, err
}

// safeWrite calls w.Write, turning a panic into an error and a short write
// without an error into io.ErrShortWrite. The count it returns is within
// [0, len(p)] whatever w returned.
func safeWrite(w io.Writer, p []byte) (n int, err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			n, err, panicked = 0, fmt.Errorf("async: writer panicked: %v", v), true
		}
	}()
	n, err = w.Write(p)
	n = min(max(n, 0), len(p))
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err, false
}
