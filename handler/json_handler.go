package handler

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
)

// JSONHandler is a [slog.Handler] that writes records to an [io.Writer] as
// line-delimited JSON objects, byte for byte as [slog.JSONHandler] writes
// them for the same records and options.
//
// That includes slog's less obvious behaviour, kept on purpose so that the
// two are interchangeable:
//   - a time whose year is outside [0, 9999] is written as an "!ERROR:..."
//     string immediately followed by the RFC 3339 text;
//   - ReplaceAttr is called for the built-in keys with a nil groups slice,
//     also for the attributes inside a built-in that it turned into a group
//     (the "source" group's function, file and line among them);
//   - a group whose attributes were all removed by ReplaceAttr is elided,
//     but, as in slog, the separator before the next attribute is elided
//     with it and the group's name stays in the groups passed to later
//     ReplaceAttr calls;
//   - values that fail to encode are written as "!ERROR:<error text>" and a
//     value whose Error or MarshalJSON method panics as "!PANIC: <value>",
//     or "<nil>" for a nil pointer.
//
// The one difference: when a LogValue method panics, slog writes "LogValue
// panicked" and a few frames of the call stack; the frames below
// slog.Value.Resolve name this package's functions rather than slog's.
//
// A JSONHandler is safe for concurrent use. Each record is written with a
// single Write call, newline included; handlers derived with WithAttrs and
// WithGroup share one mutex around that Write, so concurrent records never
// interleave on the writer. The zero value is not usable; create handlers
// with [NewJSONHandler].
type JSONHandler struct {
	w    io.Writer
	mu   *sync.Mutex // shared by all handlers derived from one NewJSONHandler
	opts slog.HandlerOptions

	// preformatted holds the attributes added with WithAttrs, rendered once,
	// without a leading separator, with the groups they opened left open.
	preformatted []byte
	// groups lists every group started with WithGroup, outermost first.
	groups []string
	// nOpenGroups is how many of groups are opened inside preformatted.
	nOpenGroups int
}

// NewJSONHandler returns a [JSONHandler] that writes to w using opts. A nil
// opts means the zero [slog.HandlerOptions]: level INFO, no source, no
// ReplaceAttr. The options have the meaning [slog.NewJSONHandler] gives
// them; opts.Level is consulted on every Enabled call, so a [slog.LevelVar]
// changes the level at run time.
func NewJSONHandler(w io.Writer, opts *slog.HandlerOptions) *JSONHandler {
	h := &JSONHandler{w: w, mu: new(sync.Mutex)}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether level is at or above the handler's minimum level
// (opts.Level, or INFO when it is nil). The context is not used.
func (h *JSONHandler) Enabled(_ context.Context, level slog.Level) bool {
	minLevel := slog.LevelInfo
	if h.opts.Level != nil {
		minLevel = h.opts.Level.Level()
	}
	return level >= minLevel
}

// WithAttrs returns a handler whose output includes attrs after the built-in
// attributes of every record, inside the groups started so far with
// WithGroup. The attributes are resolved, passed through ReplaceAttr and
// rendered once, here, not per record. If attrs holds only empty groups, h
// itself is returned.
func (h *JSONHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if countEmptyGroups(attrs) == len(attrs) {
		return h
	}
	h2 := h.clone()
	s := encodeState{h: h2, buf: h2.preformatted}
	if h2.opts.ReplaceAttr != nil {
		s.track = true
		s.groups = slices.Clone(h2.groups[:h2.nOpenGroups])
	}
	if n := len(s.buf); n > 0 {
		s.sep = s.buf[n-1] != '{'
	}
	// Remember the position, in case all attrs turn out to be empty.
	pos := len(s.buf)
	s.openGroups()
	if !s.appendAttrs(attrs) {
		s.buf = s.buf[:pos]
	} else {
		h2.nOpenGroups = len(h2.groups)
	}
	h2.preformatted = s.buf
	return h2
}

// WithGroup returns a handler that qualifies the attributes of later
// WithAttrs calls and of every record by the group name: they are written
// inside a nested JSON object with that key. Like [slog.JSONHandler], and
// unlike what [slog.Logger.WithGroup] does before calling it, it does not
// treat an empty name specially: it opens an object with the key "".
// A group that ends up with no attributes in a record is not written.
func (h *JSONHandler) WithGroup(name string) slog.Handler {
	h2 := h.clone()
	h2.groups = append(h2.groups, name)
	return h2
}

// Handle writes r as one JSON object on one line with a single Write call.
//
// The built-in attributes come first: "time" (omitted if r.Time is zero) in
// RFC 3339 with nanoseconds and trailing zeros trimmed, "level" as
// [slog.Level.String], "source" (if AddSource is set and the source is
// known) as an object with "function", "file" and "line", then "msg". The
// attributes added with WithAttrs follow, then the record's own, inside the
// open groups. Values are encoded as [slog.JSONHandler] encodes them: errors
// by their Error text, other values of kind Any as
// [encoding/json.Encoder] with HTML escaping off would, an encoding failure
// as an "!ERROR:" string. The context is not used. The error is the
// writer's, or io.ErrShortWrite when the writer wrote less than the whole
// record without saying why (slog.JSONHandler returns nil then).
func (h *JSONHandler) Handle(_ context.Context, r slog.Record) error {
	return h.handleRecord(&r)
}

// write passes one rendered record to the writer, under the mutex shared
// by all handlers derived from the same NewJSONHandler.
func (h *JSONHandler) write(p []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, err := h.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// clone returns a copy of h whose slices can be appended to without
// affecting h. The mutex is shared.
func (h *JSONHandler) clone() *JSONHandler {
	return &JSONHandler{
		w:            h.w,
		mu:           h.mu,
		opts:         h.opts,
		preformatted: slices.Clip(h.preformatted),
		groups:       slices.Clip(h.groups),
		nOpenGroups:  h.nOpenGroups,
	}
}

// countEmptyGroups returns the number of empty group values in as.
func countEmptyGroups(as []slog.Attr) int {
	n := 0
	for _, a := range as {
		if isEmptyGroup(a.Value) {
			n++
		}
	}
	return n
}

// isEmptyGroup reports whether v is a group with no attributes.
func isEmptyGroup(v slog.Value) bool {
	return v.Kind() == slog.KindGroup && len(v.Group()) == 0
}
