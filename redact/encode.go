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
	// The line is begun at the first attribute written, so that the
	// encoder is told whether attributes follow exactly as the rebuilt
	// record of the unfused path would tell it.
	var line fuse.Line
	r.Attrs(func(a slog.Attr) bool {
		if a, ok := h.encodedAttr(a, t); ok {
			if line == nil {
				line = h.enc.Begin(r, msg, true)
			}
			line.Attr(a)
		}
		return true
	})
	if tail != nil {
		for i := range tail.Len() {
			if a, ok := h.encodedAttr(tail.At(i), t); ok {
				if line == nil {
					line = h.enc.Begin(r, msg, true)
				}
				line.Attr(a)
			}
		}
	}
	h.red.c.flushRecord(t)
	if line == nil {
		line = h.enc.Begin(r, msg, false)
	}
	return line.End()
}

// encodedAttr returns one attribute of the record or the tail as it is
// written: as it is when its key and value are clean (the common case,
// decided without building an Attr), masked otherwise; false when it is
// left out. A record's own attributes are never empty groups, but a masked
// one may be (a LogValuer resolving to one), and slog.Record.AddAttrs
// leaves it out.
func (h *Handler) encodedAttr(a slog.Attr, t *tally) (slog.Attr, bool) {
	vd := h.red.attrVerdict(a.Key, t)
	if !h.maskAll && !vd.secret && !vd.changed && h.red.cleanValue(a.Value) {
		return a, true
	}
	a, _ = h.attrWith(a, vd, t)
	return a, !isEmptyGroup(a.Value)
}
