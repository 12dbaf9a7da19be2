package logtest

import "log/slog"

// DropTime is a slog.HandlerOptions.ReplaceAttr that removes the
// top-level time (slog.TimeKey outside any group), so that output lines
// can be compared exactly. Every other attribute, including a "time" key
// inside a group, is returned unchanged.
func DropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
