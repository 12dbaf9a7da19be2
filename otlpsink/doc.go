// Package otlpsink ships a slogstack stack's records over OTLP/HTTP: the
// stack in front of the OpenTelemetry log bridge (otelslog), the SDK's
// batch processor and the OTLP/HTTP log exporter, built in one call
// (NewStack), with every record counted from the stack to the Collector
// (Stack.ExportStats) and one ordered shutdown (Stack.Shutdown).
//
// The batch processor never overflows: the records between the bridge and
// the end of their export are bounded by Options.QueueSize. A record that
// finds no room waits for it on the async queue's goroutine when the stack
// has an async queue (the queue absorbs the backlog and counts its own
// drops, so callers never wait), and is dropped and counted when it does
// not (the record is on the caller's goroutine, which is never blocked).
package otlpsink
