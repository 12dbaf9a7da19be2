package main

import (
	"context"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// memoryExporter is an OpenTelemetry log exporter that keeps what it is
// given in memory, in the place of the OTLP exporter a deployment uses
// (otlploggrpc or otlploghttp, shipping to an OpenTelemetry Collector).
type memoryExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
	stopped bool
}

// Export keeps clones of records: the SDK reuses the slice and records.
func (e *memoryExporter) Export(ctx context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil
	}
	for _, r := range records {
		e.records = append(e.records, r.Clone())
	}
	return nil
}

// Shutdown stops the exporter; records exported after it are ignored.
func (e *memoryExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	return nil
}

// ForceFlush has nothing to flush: records are kept as they arrive.
func (e *memoryExporter) ForceFlush(context.Context) error { return nil }

// Records returns the records exported so far.
func (e *memoryExporter) Records() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}
