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
	var line fuse.Line
	// write hands one attribute of the record or the tail to the encoder,
	// starting the line at the first one, so that the encoder is told
	// whether attributes follow exactly as the rebuilt record of the
	// unfused path would tell it.
	write := func(a slog.Attr) {
		vd := h.red.attrVerdict(a.Key, t)
		if h.maskAll || vd.secret || vd.changed || !h.red.cleanValue(a.Value) {
			a, _ = h.attrWith(a, vd, t)
			// A record's own attributes are never empty groups, but a
			// masked one may be (a LogValuer resolving to one): it is
			// left out, as slog.Record.AddAttrs leaves it out.
			if isEmptyGroup(a.Value) {
				return
			}
		}
		if line == nil {
			line = h.enc.Begin(r, msg, true)
		}
		line.Attr(a)
	}
	r.Attrs(func(a slog.Attr) bool {
		write(a)
		return true
	})
	if tail != nil {
		for i := range tail.Len() {
			write(tail.At(i))
		}
	}
	h.red.c.flushRecord(t)
	if line == nil {
		line = h.enc.Begin(r, msg, false)
	}
	return line.End()
}
