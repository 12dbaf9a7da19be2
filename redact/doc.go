// Package redact masks secrets in log records before they leave the process.
//
// Handler wraps any slog.Handler. For every record it masks:
//
//   - the values of attributes whose key names a secret (password, token,
//     api_key, authorization, cookie, card_number, ...) as any of its words
//     or in a well-known compound, matched without regard to case and
//     separators, so Password, db_password_old, X-Api-Key, apiKey and
//     PGPASSWORD all match, while tokens_used and token_count do not (see
//     [Options] for the exact rule);
//   - secrets found inside the message, strings, error texts and bodies by
//     value patterns compiled once at package initialisation: bearer and
//     basic credentials, JWTs, card numbers that pass the Luhn check (in
//     text, integers and JSON numbers), AWS access key IDs, GCP API keys,
//     GitHub, Slack and Stripe tokens, private-key PEM blocks, the password
//     of user:password@ in URLs, and key=value pairs whose key names a
//     secret (see [Options].DisablePatterns for each pattern's name and
//     rule);
//   - bodies in every representation (string, []byte, json.RawMessage, any
//     named byte-slice type): JSON is masked as JSON, member names and
//     string escapes decoded as a JSON reader decodes them;
//   - any other value of kind Any (a struct, a pointer, a map, a slice) as
//     slog.JSONHandler writes it: encoded with encoding/json, then masked as
//     JSON (see [Redactor.RedactValue]).
//
// The module's own output keys (correlation_id, trace_id, span_id,
// _sampled, _sample_rate, _aggregated, _count, ...) are never masked.
//
// It reaches inside groups, slog.Group values, LogValuer results and the
// attributes and groups added with With and WithGroup, which are masked
// once, when WithAttrs is called, not on every record.
//
// The fast path is the common case: keys already judged are remembered in a
// bounded lock-free cache, strings are pre-screened with a single byte scan
// before any regular expression runs, and a record with nothing to mask is
// handed to the next handler as is, without allocating.
//
// The same rules are available outside a handler through [Redactor]
// (RedactString, RedactValue, RedactAttr, RedactJSON, RedactBody), for
// example to mask captured HTTP bodies; [Handler.Redactor] shares a
// handler's rules and counters with such code.
//
// Start from [DefaultOptions]: the zero [Options] has no key rules, masks
// with the empty string and keeps no key cache.
//
// Handler follows the contract of every wrapper of the module
// (docs/architecture.md): NewHandler(next, opts) panics on a nil next, and
// composes with slogmulti.Pipe through a closure:
//
//	slogmulti.Pipe(func(next slog.Handler) slog.Handler { return redact.NewHandler(next, opts) })
//
// It is correct in any position of a stack; docs/architecture.md gives the
// order the module's builder assembles.
package redact
