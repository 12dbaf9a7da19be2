// Package redact masks secrets in log records before they leave the process.
//
// Handler wraps any slog.Handler. For every record it masks:
//
//   - the values of attributes whose key names a secret (password, token,
//     api_key, authorization, cookie, card_number, ...), matched without
//     regard to case and separators, so Password, pass_word, X-Api-Key and
//     apiKey all match, while tokens_used does not (see [Options] for the
//     exact rule);
//   - secrets found inside string values, error texts, []byte values and the
//     message by value patterns compiled once at package initialisation:
//     bearer and basic credentials, JWTs, card numbers that pass the Luhn
//     check, AWS access key IDs, GCP API keys, GitHub, Slack and Stripe
//     tokens, private-key PEM blocks, the password of user:password@ in URLs,
//     and key=value pairs whose key names a secret (see [Pattern]).
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
// (RedactString, RedactValue, RedactAttr, RedactJSON), for example to mask
// captured HTTP bodies, and through the package-level [String] and [JSON].
//
// Handler composes like every wrapper of the module: NewMiddleware returns it
// as a func(slog.Handler) slog.Handler for slogmulti.Pipe or the module's
// builder. Its recommended place is after sampling and aggregation and before
// the async queue, so that nothing is queued or written unmasked; it is
// correct in any position.
package redact
