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
// Besides the standard payload, the slog handlers are compared on the
// payload shapes of the public slog benchmark suites ([Shapes]: a bare
// message; 5, 10 and 40 attributes of every kind; a big nested group; With
// then log; WithGroup then log; AddSource), and the whole stack is
// measured per record for sampled and not-sampled requests, with ten
// context values layered on the request scope's context, serially and with
// GOMAXPROCS and 4×GOMAXPROCS goroutines.
//
// Only ratios within one run mean anything: run.sh interleaves all the
// benchmarks in rounds, summarises them with benchstat and writes
// docs/benchmarks.md (through cmd/benchmd) with the medians, the ratios to
// slog.JSONHandler, the performance targets they decide, the top of a CPU
// profile of every stack row and the machine it ran on.
package benchmarks
