package otlpsink

import (
	"context"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// countingProcessor wraps the SDK's batch processor so that it never
// fills: the batch processor drops its oldest records when its queue
// overflows, with only a warning. A record is passed on only when the
// records pending (queued or being exported) are fewer than the queue's
// size; otherwise it waits for room (mayWait: the stack's async queue
// calls from its own goroutine) or is dropped and counted.
type countingProcessor struct {
	next    *sdklog.BatchProcessor
	ledger  *ledger
	mayWait bool

	released    chan struct{} // closed when no record may wait any more
	releaseOnce sync.Once
}

func newCountingProcessor(next *sdklog.BatchProcessor, l *ledger, mayWait bool) *countingProcessor {
	return &countingProcessor{next: next, ledger: l, mayWait: mayWait, released: make(chan struct{})}
}

// Enabled reports true: the stack has filtered the records already.
func (p *countingProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit passes r to the batch processor once it has room, or counts it
// dropped or abandoned.
func (p *countingProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if !p.admit(markReached(ctx)) {
		return nil
	}
	return p.next.OnEmit(ctx, r)
}

// admit takes room for one record, waiting for it when allowed. It
// reports whether the record may be passed on.
func (p *countingProcessor) admit(call uint64) bool {
	for {
		released := p.isReleased()
		a, room := p.ledger.admit(call, p.mayWait && !released, released)
		switch a {
		case admitted:
			return true
		case refused, abandoned:
			return false
		}
		select {
		case <-room:
		case <-p.released:
		}
		p.ledger.doneWaiting()
	}
}

// release ends every wait for room, now and from now on.
func (p *countingProcessor) release() {
	p.releaseOnce.Do(func() { close(p.released) })
}

func (p *countingProcessor) isReleased() bool {
	select {
	case <-p.released:
		return true
	default:
		return false
	}
}

// Shutdown shuts the batch processor down: it exports what it holds and
// shuts the exporter down.
func (p *countingProcessor) Shutdown(ctx context.Context) error { return p.next.Shutdown(ctx) }

// ForceFlush exports what the batch processor holds.
func (p *countingProcessor) ForceFlush(ctx context.Context) error { return p.next.ForceFlush(ctx) }
