// Package snapshot makes the copy of a log record that a handler keeps past
// the call: the sampling buffer, the async record queue and the
// aggregation's stored attributes all hold what this package returns.
//
// A snapshot shows what the caller logged as it was at the call and shares
// nothing mutable with the caller:
//
//   - LogValuers are resolved at the call, on the caller's goroutine, the
//     way slog.Value.Resolve does (a panic becomes an error value);
//     one that resolves to an empty group is kept as a LogValuer of the
//     empty group, which a slog.Record keeps (it drops an empty group),
//     so handlers write what they wrote for the original;
//   - groups are copied; numbers, bools, times and durations are kept;
//   - the record's text (message, keys, string values) is copied into one
//     block of its exact size, so no string of the caller's is kept alive;
//   - an error is kept as its Error text at the call;
//   - byte slices, of any named type (json.RawMessage), are copied;
//   - maps, slices, arrays, pointers and structs whose state is all visible
//     (exported fields down to basic kinds) are deep-copied, each shared
//     sub-structure (and each cycle) once, so the copy has the value's
//     shape and renders the same in every sink;
//   - any other value (unexported fields such as a held sync.Mutex,
//     channels, funcs, json.Marshaler or encoding.TextMarshaler
//     implementations, errors inside values, and values past the copy
//     bound) is frozen: encoded at the call to the JSON that json.Marshal
//     writes for it and to the text fmt's %+v writes, and held as a value
//     that marshals to exactly that JSON and that text. No unexported
//     state is ever copied. A value whose encoding would visit too many
//     parts (much shared structure) is frozen as an error text instead.
//
// Each function also returns the heap bytes the snapshot holds, so that a
// buffer charges a record by what it really keeps.
//
// A flat record (strings, numbers, bools, durations and times only: see
// Flat) can instead be kept with Kept.TakeFlat into memory the caller
// owns and charges, such as a chunk of a request's buffer: its text and
// its attributes past the inline ones are copied there, nothing else is
// allocated.
package snapshot
