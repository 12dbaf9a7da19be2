package handler_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/slogstack/slogstack/handler"
)

// removeTime drops the time so that example output is stable.
func removeTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// JSONHandler replaces slog.NewJSONHandler without any other change.
func ExampleNewJSONHandler() {
	logger := slog.New(handler.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: removeTime}))
	logger = logger.With("service", "checkout", "correlation_id", "4bf92f35")
	logger.LogAttrs(context.Background(), slog.LevelInfo, "request handled",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/42"),
		slog.Int("status", 200),
		slog.Duration("latency", 1500*time.Microsecond),
		slog.Int64("bytes", 5120),
		slog.Bool("ok", true))
	// Output:
	// {"level":"INFO","msg":"request handled","service":"checkout","correlation_id":"4bf92f35","method":"GET","path":"/api/v1/orders/42","status":200,"latency":1500000,"bytes":5120,"ok":true}
}

// Groups started with WithGroup nest everything logged after them; an
// error is written as its Error text.
func ExampleJSONHandler_WithGroup() {
	logger := slog.New(handler.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: removeTime}))
	db := logger.WithGroup("db").With("table", "orders")
	db.Error("query failed", "err", errors.New("deadlock detected"), slog.Group("query", "rows", 0))
	db.Info("no record attributes: the group holds only the With ones")
	// Output:
	// {"level":"ERROR","msg":"query failed","db":{"table":"orders","err":"deadlock detected","query":{"rows":0}}}
	// {"level":"INFO","msg":"no record attributes: the group holds only the With ones","db":{"table":"orders"}}
}

// ReplaceAttr renames, rewrites and removes attributes exactly as with
// slog.JSONHandler; the built-in keys are passed with no groups.
func ExampleJSONHandler_replaceAttr() {
	opts := &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case a.Key == slog.TimeKey && len(groups) == 0:
				return slog.Attr{}
			case a.Key == slog.LevelKey && len(groups) == 0:
				return slog.String("severity", a.Value.String())
			case a.Key == "password":
				return slog.String("password", "[redacted]")
			}
			return a
		},
	}
	logger := slog.New(handler.NewJSONHandler(os.Stdout, opts))
	logger.Warn("login", slog.Group("user", "name", "ada", "password", "hunter2"))
	// Output:
	// {"severity":"WARN","msg":"login","user":{"name":"ada","password":"[redacted]"}}
}
