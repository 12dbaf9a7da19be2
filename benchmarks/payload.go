package benchmarks

import (
	"context"
	"log/slog"
	"time"
)

// Message is the message of the standard payload.
const Message = "request handled"

// The standard payload's values. They are variables, not constants, so that
// no library can have them folded or pre-encoded at compile time.
var (
	Service       = "checkout"
	CorrelationID = "4bf92f3577b34da6a3ce929d0e0e4736"
	Method        = "GET"
	Path          = "/api/v1/orders/42"
	Status        = 200
	Latency       = 1234567 * time.Nanosecond
	Bytes         = int64(5120)
	OK            = true
)

// Bind returns l bound with With to the payload's service and
// correlation_id, as a service binds its request logger once.
func Bind(l *slog.Logger) *slog.Logger {
	return l.With(slog.String("service", Service), slog.String("correlation_id", CorrelationID))
}

// BindService returns l bound only to the payload's service; it is used
// where the correlation ID comes from the request scope in the context.
func BindService(l *slog.Logger) *slog.Logger {
	return l.With(slog.String("service", Service))
}

// LogAttrs logs the payload's message and six attributes through l at
// level lvl with LogAttrs (the ".attrs" front-end style: no boxing).
func LogAttrs(ctx context.Context, l *slog.Logger, lvl slog.Level) {
	l.LogAttrs(ctx, lvl, Message,
		slog.String("method", Method),
		slog.String("path", Path),
		slog.Int("status", Status),
		slog.Duration("latency", Latency),
		slog.Int64("bytes", Bytes),
		slog.Bool("ok", OK),
	)
}
