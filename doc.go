// Package slogstack builds a logging stack for a service from one Config:
// the log/slog handler wrappers of this module (sampling, correlation,
// aggregation, redaction, the async queue) in front of a JSON handler
// writing to an io.Writer, or in front of any slog.Handler.
//
//	stack, err := slogstack.NewStack(os.Stdout, slogstack.DefaultConfig())
//	if err != nil { ... }
//	logger := stack.Logger()
//	srv := &http.Server{Handler: stack.Middleware(mux)}
//	...
//	// on SIGTERM: the server first, then the stack, within one deadline
//	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
//	defer cancel()
//	srv.Shutdown(ctx)
//	stack.Shutdown(ctx) // summaries, then the queue; before any os.Exit
//
// docs/shutdown.md has the whole sequence; [Stack.Flush] writes what is
// queued without closing, for a path that ends in os.Exit.
//
// The order in which the layers stack, and why, is stated once, in
// docs/architecture.md (https://github.com/slogstack/slogstack/blob/main/docs/architecture.md);
// Stack.String describes the layers a stack was built with, and its example
// prints them for DefaultConfig.
//
// [DefaultConfig] is the recommended production stack; [ConfigFromEnv]
// applies LOG_* variables over a Config, names the variable of every bad
// value and suggests the right name for a misspelled one. The zero Config
// turns every feature off, which leaves the JSON handler alone: the output
// of slog.NewJSONHandler, byte for byte.
//
// [Stack.Middleware] serves HTTP with request scopes bound to the stack,
// [Stack.ScopeOptions] opens scopes for other work (package scope),
// [Stack.Shutdown] writes pending aggregation summaries and then drains
// the async queue, once, and [Stack.Stats] returns the counters of every
// layer. The library publishes no metrics itself (it does not import
// expvar); Stack.Stats shows the one line that does.
//
// Each wrapper is also usable on its own, and composes with
// github.com/samber/slog-multi; see the packages sampling, scope,
// aggregation, redact, async, httpctx and handler.
package slogstack
