package otlpsink

import (
	"context"
	"log/slog"
)

// bridgeName is the instrumentation scope of the records.
const bridgeName = "github.com/slogstack/slogstack/otlpsink"

// countingBridge is the stack's sink: the otelslog bridge, with the
// records it does not offer to the processor counted. The LoggerProvider
// stops offering records once it has shut down; such a record is counted
// handed and abandoned. A record marks its context when it reaches the
// processor, on the same goroutine, within the bridge's Handle.
type countingBridge struct {
	next   slog.Handler
	ledger *ledger
}

// Enabled reports true: the stack applies the level, and a record after
// Shutdown must reach Handle to be counted.
func (b *countingBridge) Enabled(context.Context, slog.Level) bool { return true }

// Handle passes r to the bridge and counts it abandoned if it never
// reached the processor. A panic in the bridge propagates: the stack
// counts the record as failed, and it is not counted here.
//
// The record is numbered on entry (enterBridge), so that Shutdown can
// count it, however far through the bridge it is, without waiting for it.
func (b *countingBridge) Handle(ctx context.Context, r slog.Record) error {
	mark := &reachedCtx{Context: ctx, call: b.ledger.enterBridge()}
	err := b.next.Handle(mark, r)
	if !mark.reached {
		b.ledger.lostInBridge(mark.call)
	}
	return err
}

func (b *countingBridge) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingBridge{next: b.next.WithAttrs(attrs), ledger: b.ledger}
}

func (b *countingBridge) WithGroup(name string) slog.Handler {
	return &countingBridge{next: b.next.WithGroup(name), ledger: b.ledger}
}

// reachedCtx is a record's context on its way through the bridge; the
// processor sets reached when the record arrives. It is used by one
// goroutine only.
type reachedCtx struct {
	context.Context
	call    uint64 // the record's number (ledger.enterBridge)
	reached bool
}

type reachedKey struct{}

func (c *reachedCtx) Value(key any) any {
	if key == (reachedKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// markReached marks the record of ctx as arrived at the processor and
// returns its number (untracked if it did not come through the bridge).
func markReached(ctx context.Context) uint64 {
	if c, ok := ctx.Value(reachedKey{}).(*reachedCtx); ok {
		c.reached = true
		return c.call
	}
	return untracked
}
