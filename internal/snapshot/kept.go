package snapshot

import (
	"log/slog"
	"time"
)

// Kept is a snapshot of a record held as its parts, for a buffer that
// keeps records for a while and writes few of them: taking it costs one
// pass over the attributes, the text block and, past inlineAttrs
// attributes, one slice of the rest (no slog.Record is built until
// Record is called). Its size and the heap it holds are those of the
// slog.Record that Record takes (the same layout), so a buffer charges
// either the same.
type Kept struct {
	Time    time.Time
	Message string
	Level   slog.Level
	PC      uintptr
	nFront  int
	front   [inlineAttrs]slog.Attr
	back    []slog.Attr
}

// Take makes k a snapshot of r (see the package doc for what a snapshot
// holds), in place, and returns the heap bytes it holds beyond the Kept
// itself, as Record counts them.
func (k *Kept) Take(r slog.Record) int {
	*k = Kept{Time: r.Time, Level: r.Level, PC: r.PC}
	if extra := r.NumAttrs() - inlineAttrs; extra > 0 {
		k.back = make([]slog.Attr, 0, extra)
	}
	need := len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if k.nFront < inlineAttrs {
			k.front[k.nFront] = a
			k.nFront++
		} else {
			k.back = append(k.back, a)
		}
		need += textLen(a)
		return true
	})
	t := newText(need)
	k.Message = t.copy(r.Message)
	n := allocSize(need) + allocSize(len(k.back)*attrSize)
	for i := range k.nFront {
		var size int
		k.front[i], size = t.attr(k.front[i])
		n += size
	}
	for i := range k.back {
		var size int
		k.back[i], size = t.attr(k.back[i])
		n += size
	}
	return n
}

// Record returns the record the snapshot holds, with attributes of its
// own: a handler may add to it.
func (k *Kept) Record() slog.Record {
	r := slog.NewRecord(k.Time, k.Level, k.Message, k.PC)
	r.AddAttrs(k.front[:k.nFront]...)
	r.AddAttrs(k.back...)
	return r
}
