// Package benchmarks measures slogstack side by side with the Go logging
// libraries people choose instead of it: log/slog's own handlers, zap (its
// JSON core and its slog handler), zerolog and phuslu/log.
//
// Every setup logs the same standard payload (see [Message] and
// [LogAttrs]): the message "request handled" on a logger bound with With to
// service and correlation_id, with six attributes of mixed kinds (method,
// path, status, latency, bytes, ok). The setups are [Target] values, so the
// benchmarks in this package and the cmd/stall program share one
// definition of each of them.
//
// Only ratios within one run mean anything: run.sh interleaves all the
// benchmarks in rounds, summarises them with benchstat and writes
// docs/benchmarks.md (through cmd/benchmd) with the medians, the ratios to
// slog.JSONHandler and the machine it ran on.
package benchmarks
