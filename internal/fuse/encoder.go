package fuse

import "log/slog"

// Encoder writes records as the handler it belongs to writes them, with
// the caller walking the attributes. For a record r with the tail t,
//
//	line := enc.Begin(r, msg, r.NumAttrs()+t.Len() > 0)
//	r.Attrs(func(a slog.Attr) bool { line.Attr(f(a)); return true })
//	for i := range t.Len() { line.Attr(f(t.At(i))) }
//	err := line.End()
//
// writes exactly what the handler's Handle writes for the record built
// from r's time, level and PC, the message msg and the attributes f(a)
// followed by f of the tail's (and returns the same error). An Encoder is
// safe for concurrent use; a Line is used by one goroutine, and End must
// be called exactly once, after which the Line must not be used: lines are
// pooled, so a Line used after End may be another record's by then (the
// JSON handler's panics when it can tell).
type Encoder interface {
	// Begin starts a line for a record with r's time, level and PC and the
	// message msg; hasAttrs says whether any attribute will follow (the
	// handler opens its WithGroup groups only for a record that has
	// attributes). r's attributes are not read.
	Begin(r slog.Record, msg string, hasAttrs bool) Line
}

// Line is one record being written by an Encoder.
type Line interface {
	// Attr appends one attribute of the record, as Handle would.
	Attr(a slog.Attr)
	// End closes the record, writes it with the handler's single Write
	// call and releases the line. It returns the handler's error.
	End() error
}

// EncoderOf returns the Encoder of h when h is a handler.JSONHandler, and
// false for any other handler. Package handler sets it when it is
// initialised; until then, and in a program without that package, it
// finds none.
var EncoderOf = func(h slog.Handler) (Encoder, bool) { return nil, false }
