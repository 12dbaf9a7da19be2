package slogstack

import "strconv"

// Format is the encoding NewStack writes records in (Config.Format).
type Format int

const (
	// FormatJSON writes one JSON object per line through
	// handler.JSONHandler, whose output is byte for byte that of
	// slog.NewJSONHandler. It is the zero value and the production default.
	FormatJSON Format = iota

	// FormatText writes one line of key=value pairs per record through
	// slog.NewTextHandler, for reading in a terminal during development.
	FormatText
)

// String returns "json" or "text", the values LOG_FORMAT takes, and
// "Format(n)" for any other value (which Config.Validate rejects).
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatText:
		return "text"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// valid reports whether f is one of the formats NewStack writes.
func (f Format) valid() bool { return f == FormatJSON || f == FormatText }
