// Package logtest holds helpers for the module's own tests, and only for
// them: a [Buffer] that handlers may write to from any goroutine, the
// decoding of the JSON lines a slog.JSONHandler writes ([DecodeLines],
// [Buffer.Lines]), and [DropTime], which removes the time so that output
// can be compared exactly. It is internal and never imported by non-test
// code.
package logtest
