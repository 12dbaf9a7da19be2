package async

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
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
// (otherwise as Unknown), and reports them in-band with a JSON line whose
// message is DropReportMessage. Writer never changes the underlying file's
// flags: it stays a blocking descriptor, and only Writer's own goroutine
// waits on it.
//
// A Writer must be closed with Close to stop its goroutine and to write
// what is queued.
type Writer struct {
	pipeline[*block]
	q       *blockQueue
	w       io.Writer
	writeMu sync.Mutex // held around each Write on w
	enc     bytes.Buffer
}

// NewWriter returns a Writer queueing for w and starts its drain
// goroutine. w must not be nil. Options.Reserved does not apply.
func NewWriter(w io.Writer, opts Options) *Writer {
	if w == nil {
		panic("async: NewWriter: writer is nil")
	}
	opts = opts.withDefaults(DefaultWriterCapacity)
	x := &Writer{w: w}
	x.q = newBlockQueue(opts, x.onDrop)
	x.initQueue(opts, x.q)
	x.records = (*block).live
	x.deliver = x.deliverBlock
	x.release = x.q.Release
	x.report = x.writeReport
	x.start()
	return x
}

// Write queues a copy of p and returns len(p), nil without waiting for the
// underlying writer; the caller may reuse p at once. An empty p is neither
// queued nor counted. A p larger than Options.MaxBytes is dropped and
// counted instead. After Close, Write writes p to the underlying writer
// synchronously (after Close has finished with the queue) and returns its
// result.
func (x *Writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !x.closed.Load() {
		if len(p) > x.opts.MaxBytes {
			if x.q.Reject(p[:min(len(p), lineScanLimit)], len(p)) { // enough to read level and time
				return len(p), nil
			}
		} else if x.q.Push(p) {
			return len(p), nil
		}
	}
	x.beginSync()
	defer x.syncMu.Unlock()
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	n, err, panicked := safeWrite(x.w, p)
	x.countCall(err, panicked)
	return n, err
}

// Close stops accepting Writes into the queue, waits until every Write
// accepted before it has been written to the underlying writer, stops the
// drain goroutine and returns nil. If ctx is done first, Close returns at
// once with an error saying exactly how many records (Writes) were lost;
// the drain goroutine exits when the underlying Write it is stuck in
// returns. Close does not close the underlying writer. It is idempotent:
// later calls return the first outcome.
func (x *Writer) Close(ctx context.Context) error { return x.close(ctx) }

// Stats returns the Writer's counters. It is safe to call at any time.
func (x *Writer) Stats() Stats { return x.stats() }

// onDrop counts a dropped record of size bytes whose head is p; it runs
// under the queue's lock.
func (x *Writer) onDrop(p []byte, size int) {
	b, raw := scanLine(p)
	x.noteDrop(b, size)
	x.tally.addLine(b, raw, size)
}

// deliverBlock writes the first block of batch, all its records in one
// Write call.
func (x *Writer) deliverBlock(batch []*block) delivery {
	k := batch[0]
	p := k.b[k.off:]
	x.writeMu.Lock()
	_, err, panicked := safeWrite(x.w, p)
	x.writeMu.Unlock()
	x.countCall(err, panicked)
	return delivery{n: 1, bytes: len(p)}
}

func (x *Writer) writeReport(t *dropTally) {
	r := slog.NewRecord(time.Now(), slog.LevelWarn, DropReportMessage, 0)
	r.AddAttrs(t.attrs(true)...)
	x.enc.Reset()
	if err := slog.NewJSONHandler(&x.enc, nil).Handle(context.Background(), r); err != nil {
		x.countCall(err, false)
		return
	}
	x.writeMu.Lock()
	_, err, panicked := safeWrite(x.w, x.enc.Bytes())
	x.writeMu.Unlock()
	x.countCall(err, panicked)
}

// safeWrite calls w.Write, turning a panic into an error and a short write
// without an error into io.ErrShortWrite.
func safeWrite(w io.Writer, p []byte) (n int, err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			n, err, panicked = 0, fmt.Errorf("async: writer panicked: %v", v), true
		}
	}()
	n, err = w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err, false
}
