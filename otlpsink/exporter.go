package otlpsink

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// countingExporter counts what the exporter it wraps did with each batch,
// from the exporter's own return value: records exported, failed, and the
// records an OTLP partial success rejected (failedRecords). The batch processor never
// calls it concurrently.
type countingExporter struct {
	next   sdklog.Exporter
	ledger *ledger
}

// Export exports records with next and counts the result. Its ctx is
// cancelled when Shutdown returns while the export is still in progress
// (the records are counted as abandoned then). A panic in next (its HTTP
// client's transport, say) fails the export, counted, instead of ending
// the process from the batch processor's goroutine.
func (e *countingExporter) Export(ctx context.Context, records []sdklog.Record) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.ledger.startExport(cancel)
	err := exportRecovering(ctx, e.next, records)
	n := uint64(len(records))
	e.ledger.settle(n, failedRecords(n, err), err)
	return err
}

// exportRecovering is exportRetryingRefused with a panic turned into its
// error.
func exportRecovering(ctx context.Context, next sdklog.Exporter, records []sdklog.Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("otlpsink: the exporter panicked: %v", v)
		}
	}()
	return exportRetryingRefused(ctx, next, records)
}

// Shutdown shuts next down.
func (e *countingExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// ForceFlush flushes next.
func (e *countingExporter) ForceFlush(ctx context.Context) error { return e.next.ForceFlush(ctx) }

// Backoff between the attempts of an export whose connection was refused.
const (
	refusedFirstWait = 100 * time.Millisecond
	refusedMaxWait   = 2 * time.Second
)

// exportRetryingRefused exports records with next, and exports them again,
// with a doubling wait, while the connection is refused and ctx (the
// export's deadline, Options.ExportTimeout, or Shutdown's) allows. The
// OTLP/HTTP exporter retries temporary network errors and the retryable
// status codes, but not a refused connection, which is what a Collector
// being restarted answers.
func exportRetryingRefused(ctx context.Context, next sdklog.Exporter, records []sdklog.Record) error {
	err := next.Export(ctx, records)
	wait := refusedFirstWait
	for err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w: %w", context.Cause(ctx), err)
		case <-timer.C:
		}
		wait = min(2*wait, refusedMaxWait)
		refused := err
		err = next.Export(ctx, records)
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The deadline cut this attempt short: say what the ones
			// before it met.
			return fmt.Errorf("%w: %w", context.Cause(ctx), refused)
		}
	}
	return err
}
