package otlpsink

import (
	"context"
	"errors"
	"fmt"

	"github.com/slogstack/slogstack"
	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Stack is the slogstack stack with the OTLP pipeline behind it. Its
// embedded *slogstack.Stack gives Logger, Handler, Middleware, Stats,
// Level, Policy, ControlHandler and the rest; its Shutdown shuts down the
// stack and the pipeline, in order. Its methods are safe for concurrent
// use.
type Stack struct {
	*slogstack.Stack

	provider  *sdklog.LoggerProvider
	processor *countingProcessor
	ledger    *ledger

	shutdownOnce chan struct{} // holds one token: taken by the first Shutdown
	shutdownDone chan struct{} // closed when the first Shutdown returns
	shutdownErr  error         // its result, set before shutdownDone closes
}

// NewStack builds cfg's stack (slogstack.NewStackWithSink) in front of the
// OpenTelemetry log bridge (otelslog, scope name
// "github.com/slogstack/slogstack/otlpsink"), a LoggerProvider with one
// batch processor, and the OTLP/HTTP log exporter (otlploghttp), in one
// call. Records reach the bridge with their context, so the span in it
// gives them their trace and span IDs.
//
// It returns an error, and leaves nothing running, when opts or cfg are
// refused (what NewStackWithSink refuses: an invalid cfg, ReplaceAttr or
// AddSource, which belong to the sink) or the exporter cannot be built.
// ctx is the exporter's construction context. Call Shutdown before the
// process exits.
func NewStack(ctx context.Context, cfg slogstack.Config, opts Options) (*Stack, error) {
	pc, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	exporter, err := otlploghttp.New(ctx, pc.exporterOptions...)
	if err != nil {
		return nil, fmt.Errorf("otlpsink: the OTLP/HTTP exporter: %w", err)
	}
	l := newLedger(pc.queueSize)
	batch := sdklog.NewBatchProcessor(&countingExporter{next: exporter, ledger: l}, pc.batchOptions...)
	processor := newCountingProcessor(batch, l, cfg.Async)
	provider := sdklog.NewLoggerProvider(sdklog.WithResource(pc.resource), sdklog.WithProcessor(processor))
	sink := &countingBridge{next: otelslog.NewHandler(bridgeName, otelslog.WithLoggerProvider(provider)), ledger: l}
	stack, err := slogstack.NewStackWithSink(sink, cfg)
	if err != nil {
		// Stops the batch processor's goroutine and the exporter.
		_ = provider.Shutdown(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("otlpsink: %w", err)
	}
	s := &Stack{
		Stack:        stack,
		provider:     provider,
		processor:    processor,
		ledger:       l,
		shutdownOnce: make(chan struct{}, 1),
		shutdownDone: make(chan struct{}),
	}
	s.shutdownOnce <- struct{}{}
	return s, nil
}

// ExportStats returns a snapshot of the pipeline's counters: what the
// stack handed to the bridge and what became of it. It is safe to call at
// any time, during and after Shutdown.
func (s *Stack) ExportStats() ExportStats { return s.ledger.snapshot() }

// Shutdown drains, in order and within ctx's one deadline: the stack (its
// aggregation summaries, its async queue) into the bridge, then the batch
// processor into the exporter, then the exporter. It returns the joined
// errors of the three, and an error when any record was not exported
// (ExportStats says how many and why: failed, dropped, abandoned).
//
// When ctx is done before the end, the records still waiting for room in
// the batch processor, queued in it or in an export are abandoned (the
// export in progress is cancelled) and Shutdown returns. Records logged
// after Shutdown are still handed to the sink, synchronously by the
// stack, and counted abandoned.
//
// Only the first call shuts down. A later call returns the first call's
// result; made while the first still runs, it waits for it, but no longer
// than its own ctx allows: then it returns an error saying so.
func (s *Stack) Shutdown(ctx context.Context) error {
	select {
	case <-s.shutdownOnce:
		s.shutdownErr = s.shutdown(ctx)
		close(s.shutdownDone)
		return s.shutdownErr
	case <-s.shutdownDone:
		return s.shutdownErr
	default:
	}
	select {
	case <-s.shutdownDone:
		return s.shutdownErr
	case <-ctx.Done():
		return fmt.Errorf("otlpsink: Shutdown: %w while an earlier Shutdown was still running", context.Cause(ctx))
	}
}

// shutdown does the first Shutdown's work.
func (s *Stack) shutdown(ctx context.Context) error {
	// A record waiting for room gives up when ctx is done.
	stopRelease := context.AfterFunc(ctx, s.processor.release)
	defer stopRelease()

	stackErr := s.Stack.Shutdown(ctx)
	// The stack is drained (or gave up): nothing waits for room any more,
	// and records handed from now on are abandoned.
	s.processor.release()
	s.ledger.close(ctx)
	// Records still in the bridge (converting, or waiting for room: the
	// async queue's last, when its Close gave up) are counted now, as
	// abandoned: nothing is left to count once Shutdown returns.
	s.ledger.claim()
	// The provider waits for records inside the processor, then shuts the
	// batch processor down: it exports what it holds and shuts the
	// exporter down. If ctx ends while it waits, it returns without
	// shutting the processor: shut it here (a second call does nothing).
	pipelineErr := s.provider.Shutdown(ctx)
	if err := s.processor.Shutdown(ctx); err != nil && pipelineErr == nil {
		pipelineErr = err
	}
	s.ledger.seal()

	errs := []error{stackErr}
	if pipelineErr != nil {
		errs = append(errs, fmt.Errorf("otlpsink: the batch processor and exporter: %w", pipelineErr))
	}
	if st := s.ExportStats(); st.Failed+st.Dropped+st.Abandoned > 0 {
		errs = append(errs, notExportedError(st))
	}
	return errors.Join(errs...)
}

// notExportedError says how many records were not exported, and why.
func notExportedError(st ExportStats) error {
	msg := fmt.Sprintf("otlpsink: %d of %d records not exported: %d failed, %d dropped (batch processor full), %d abandoned at shutdown",
		st.Failed+st.Dropped+st.Abandoned, st.Handed, st.Failed, st.Dropped, st.Abandoned)
	if st.LastError != "" {
		msg += "; last export error: " + st.LastError
	}
	return errors.New(msg)
}
