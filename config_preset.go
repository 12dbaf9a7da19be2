package slogstack

import "log/slog"

// DevelopmentConfig returns the configuration for a developer's machine:
// DefaultConfig with these fields changed, and no others:
//
//   - Format: FormatText (slog.TextHandler's key=value lines);
//   - Level: slog.LevelDebug;
//   - SamplingPolicy.Rate: 1, and SamplingPolicy.ExcludedPaths: none, so
//     that every request is logged, health checks included;
//   - Stacktrace: on, StacktraceLevel: slog.LevelError (a stack trace on
//     every error).
//
// Every other layer stays on as in production (correlation, aggregation,
// redaction, the async queue, the access record), so what a developer
// sees is what production writes, only all of it and readable.
// LOG_PRESET=development applies the same changes in ConfigFromEnv.
func DevelopmentConfig() Config {
	c := DefaultConfig()
	applyDevelopment(&c)
	return c
}

// applyDevelopment applies the changes of DevelopmentConfig over c.
func applyDevelopment(c *Config) {
	c.Format = FormatText
	c.Level = slog.LevelDebug
	c.SamplingPolicy.Rate = 1
	c.SamplingPolicy.ExcludedPaths = nil
	c.Stacktrace, c.StacktraceLevel = true, slog.LevelError
}
