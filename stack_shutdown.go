package slogstack

import (
	"context"
	"errors"
	"fmt"
)

// Shutdown flushes and closes the stack, once: the aggregation's open
// summaries are written first (aggregation.Handler.Close), then the async
// queue is drained into the sink (async Close), each bounded by ctx. It
// returns when that is done, or by ctx's deadline with an error saying what
// could not be written (summaries, records) and why. No goroutine of the
// stack is left waiting past the deadline: a layer that gives up stops its
// goroutine as soon as the sink returns from the call it is stuck in.
//
// Later calls return the first call's result (a call made while the first
// runs waits for it). Records logged after Shutdown are still written,
// synchronously. A stack with neither aggregation nor async owns no
// goroutine, and Shutdown returns nil at once.
func (s *Stack) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Stack) shutdown(ctx context.Context) error {
	var errs []error
	if s.aggregation != nil {
		if err := s.aggregation.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("slogstack: aggregation: %w", err))
		}
	}
	if s.asyncH != nil {
		if err := s.asyncH.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("slogstack: async: %w", err))
		}
	}
	if s.asyncW != nil {
		if err := s.asyncW.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("slogstack: async: %w", err))
		}
	}
	return errors.Join(errs...)
}
