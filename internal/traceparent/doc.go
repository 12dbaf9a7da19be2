// Package traceparent parses the W3C Trace Context traceparent header into
// an OpenTelemetry span context, without allocating. The HTTP middleware
// (httpctx) uses it for incoming requests; the scope package uses its hex
// decoder to recognise a correlation ID that is a trace ID.
package traceparent
