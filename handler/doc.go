// Package handler holds the base of a slogstack logging stack: the handler
// that turns records into bytes.
//
// [JSONHandler] is a drop-in replacement for [log/slog.JSONHandler]. For the
// same records and the same [log/slog.HandlerOptions] it writes the same
// bytes (built-in keys, AddSource, ReplaceAttr with its groups argument,
// With/WithGroup chains, empty groups, LogValuer chains, errors, times,
// special floats, invalid UTF-8 and the "!ERROR:" texts of encoding
// failures), so switching to it changes nothing downstream: parsers, log
// shippers and golden files keep working. It is faster because it does the
// same work with less overhead: per-record state on the stack and pooled
// buffers, attributes added with With/WithGroup rendered once, the date and
// zone part of a timestamp cached per second, source locations resolved once
// per program counter, and a single Write per record.
//
// A JSONHandler is the sink at the end of a stack of wrappers (sampling,
// aggregation, redact, async), or used alone:
//
//	logger := slog.New(handler.NewJSONHandler(os.Stdout, nil))
//
// It is an ordinary [log/slog.Handler], so it also composes with
// github.com/samber/slog-multi and any other handler middleware.
//
// The package depends only on the standard library and this module (and
// nothing of net/http or expvar), so using JSONHandler alone costs no other
// dependency. The
// builder that assembles a whole stack on it is the root package,
// github.com/slogstack/slogstack.
package handler
