package redact

import (
	"log/slog"

	"github.com/slogstack/slogstack/internal/fuse"
)

// encode masks r, followed by tail when there is one, and writes it with
// the next handler's encoder in the same walk: each attribute goes to the
// encoder as it is decided (as is, or masked), so that no record is built
// and no attribute is read twice. It writes exactly what the unfused path
// writes through the next handler's Handle, with the same counts.
func (h *Handler) encode(r slog.Record, tail *fuse.Tail, t *tally) error {
	msg, _ := h.red.body(r.Message, t, 0)
	w := encodedLine{enc: h.enc, msg: msg}
	r.Attrs(func(a slog.Attr) bool {
		na, changed := h.maskedAttr(a, t)
		w.attr(&r, na, changed)
		return true
	})
	if tail != nil {
		for i := range tail.Len() {
			na, changed := h.maskedAttr(tail.At(i), t)
			w.attr(&r, na, changed)
		}
	}
	if t.masked() {
		h.red.c.recordsChanged.Add(1)
	}
	h.red.c.flush(t)
	return w.end(&r)
}

// encodedLine starts its encoder's line at the first attribute it writes,
// or at the end for a record without any, so that the encoder is told
// whether attributes follow exactly as the rebuilt record of the unfused
// path would tell it. The record is passed to each call rather than held,
// so that it stays on the caller's stack.
type encodedLine struct {
	enc  fuse.Encoder
	msg  string
	line fuse.Line
}

// attr writes a, which masking changed when changed is set. An empty
// group is left out, as slog.Record.AddAttrs leaves it out of a rebuilt
// record: a record's own attributes are never empty groups, but a masked
// one may be (a LogValuer resolving to one).
func (w *encodedLine) attr(r *slog.Record, a slog.Attr, changed bool) {
	if changed && isEmptyGroup(a.Value) {
		return
	}
	if w.line == nil {
		w.line = w.enc.Begin(*r, w.msg, true)
	}
	w.line.Attr(a)
}

// end closes the line and returns the encoder's error.
func (w *encodedLine) end(r *slog.Record) error {
	if w.line == nil {
		w.line = w.enc.Begin(*r, w.msg, false)
	}
	return w.line.End()
}
