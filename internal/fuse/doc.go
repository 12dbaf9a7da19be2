// Package fuse lets adjacent layers of a stack hand a record down in one
// pass over its attributes instead of each rebuilding it for the next.
//
// Two protocols, each used only between this module's own handlers and
// each with a plain slog.Handler fallback, so that every wrapper stays
// correct over any next handler:
//
//   - Tail: a layer that adds attributes after a record's own (the scope
//     handler's correlation_id, trace_id, span_id) passes them beside the
//     record to a next handler that implements Handler, instead of cloning
//     the record to append them. Pass falls back to the rebuilt record.
//   - Encoder: a layer that rewrites attributes (redaction) drives the JSON
//     encoder below it attribute by attribute, in its own walk, instead of
//     building a new record for it. EncoderOf finds the encoder of a
//     handler.JSONHandler.
//
// A fused chain writes exactly the bytes the unfused chain writes for the
// same record; the module's tests check that for random records.
package fuse
