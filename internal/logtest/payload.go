package logtest

import (
	"context"
	"log/slog"
	"time"
)

// StandardLogger returns a logger on h bound with With to the two
// attributes of the standard benchmark payload: service and
// correlation_id.
func StandardLogger(h slog.Handler) *slog.Logger {
	return slog.New(h).With("service", "checkout", "correlation_id", "4bf92f3577b34da6a3ce929d0e0e4736")
}

// LogStandard logs the standard benchmark payload's record on l with ctx:
// the message "request handled" and six attributes of mixed kinds (method,
// path, status, latency, bytes, ok). slog.Record keeps five attributes
// inline, so a call allocates once in slog.Logger itself.
func LogStandard(ctx context.Context, l *slog.Logger) {
	l.LogAttrs(ctx, slog.LevelInfo, "request handled",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/42"),
		slog.Int("status", 200),
		slog.Duration("latency", 1234567*time.Nanosecond),
		slog.Int64("bytes", 5120),
		slog.Bool("ok", true),
	)
}
