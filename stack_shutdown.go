package slogstack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slogstack/slogstack/internal/goid"
)

// Shutdown flushes and closes the stack, once: the aggregation's open
// summaries are written first (aggregation.Handler.Close), then the async
// queue is drained into the sink (async Close), each bounded by ctx. It
// returns when that is done, or by ctx's deadline with an error saying what
// could not be written (summaries, records) and why. No goroutine of the
// stack is left waiting past the deadline: a layer that gives up stops its
// goroutine as soon as the sink returns from the call it is stuck in.
//
// Only the first call shuts the stack down. A later call returns the first
// call's result; made while the first still runs, it waits for it, but no
// longer than its own ctx allows: then it returns an error saying so, and
// the first call goes on. If the sink ends the first call's goroutine
// (runtime.Goexit), later calls return an error saying Shutdown did not
// finish. Shutdown called from the sink (the writer or handler the stack
// writes to, on the goroutine that writes to it) cannot wait for that
// goroutine: it returns an error at once, leaving the queue open, and
// the next Shutdown from anywhere else shuts the stack down.
// Records logged after Shutdown are still written,
// synchronously. A stack with neither aggregation nor async owns no
// goroutine, and Shutdown returns nil at once. To write what is held
// without closing the stack (before os.Exit, for example), use Flush.
func (s *Stack) Shutdown(ctx context.Context) error {
	if s.shutdownStarted.CompareAndSwap(false, true) {
		return s.shutdownFirst(ctx)
	}
	select {
	case <-s.shutdownDone: // finished: its result, whatever ctx says
		return s.shutdownErr
	default:
	}
	select {
	case <-s.shutdownDone:
		return s.shutdownErr
	case <-ctx.Done():
		return fmt.Errorf("slogstack: Shutdown: %w while an earlier Shutdown was still writing", context.Cause(ctx))
	}
}

// shutdownFirst does the work of the first Shutdown and publishes its
// result, unless a layer refused to wait for its own goroutine (the call
// came from the sink): that call did nothing, so the stack is left for a
// later Shutdown to close.
func (s *Stack) shutdownFirst(ctx context.Context) error {
	// Until shutdown returns, the result is that it did not: a sink that
	// ends this goroutine (runtime.Goexit) leaves it in place.
	s.shutdownErr = errShutdownUnfinished
	retry := false
	defer func() {
		if retry {
			s.shutdownStarted.Store(false)
			return
		}
		close(s.shutdownDone)
	}()
	err := s.shutdown(ctx)
	if errors.Is(err, goid.ErrOwnGoroutine) {
		retry = true
		return err
	}
	s.shutdownErr = err
	return err
}

// errShutdownUnfinished is the result of a Shutdown whose goroutine ended
// inside a layer's Close (a sink that called runtime.Goexit).
var errShutdownUnfinished = errors.New("slogstack: Shutdown did not finish: its goroutine ended inside the sink")

func (s *Stack) shutdown(ctx context.Context) error {
	return s.eachOwner(func(o goroutineOwner) error { return o.Close(ctx) })
}

// goroutineOwner is a layer that owns a goroutine: aggregation.Handler,
// async.Handler, async.Writer.
type goroutineOwner interface {
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// eachOwner calls do on each layer that owns a goroutine, in the order
// they must be flushed or closed: the aggregation first (its summaries go
// into the queue), then the async queue. It joins their errors.
func (s *Stack) eachOwner(do func(goroutineOwner) error) error {
	var owners []goroutineOwner
	if s.aggregation != nil {
		owners = append(owners, s.aggregation)
	}
	if s.asyncH != nil {
		owners = append(owners, s.asyncH)
	}
	if s.asyncW != nil {
		owners = append(owners, s.asyncW)
	}
	var errs []error
	for _, o := range owners {
		if err := do(o); err != nil {
			errs = append(errs, fmt.Errorf("slogstack: %w", err))
		}
	}
	return errors.Join(errs...)
}
