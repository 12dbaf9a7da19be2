package snapshot

import (
	"log/slog"
	"time"
	"unsafe"
)

// Kept is a snapshot of a record held as its parts, for a buffer that
// keeps records for a while and writes few of them: taking it costs one
// pass over the attributes, the text block and, past inlineAttrs
// attributes, one slice of the rest (no slog.Record is built until
// Record is called). The heap it holds is that of the slog.Record that
// Record takes, and it is a little smaller (its counts and the overflow
// attributes' address take 16 bytes less than a slice and a count), so a
// buffer slot holding it fits an allocator size class that a slot holding
// a slog.Record would overflow.
type Kept struct {
	Time          time.Time
	Message       string
	Level         slog.Level
	PC            uintptr
	nFront, nBack int32
	front         [inlineAttrs]slog.Attr
	back          *slog.Attr // the first of nBack attributes past the inline ones
}

// backAttrs returns the attributes past the inline ones.
func (k *Kept) backAttrs() []slog.Attr {
	if k.back == nil {
		return nil
	}
	return unsafe.Slice(k.back, k.nBack)
}

// setBack makes back the attributes past the inline ones.
func (k *Kept) setBack(back []slog.Attr) {
	k.back, k.nBack = nil, 0
	if len(back) > 0 {
		k.back, k.nBack = &back[0], int32(len(back))
	}
}

// Take makes k a snapshot of r (see the package doc for what a snapshot
// holds), in place, and returns the heap bytes it holds beyond the Kept
// itself, as Record counts them.
func (k *Kept) Take(r slog.Record) int {
	*k = Kept{Time: r.Time, Level: r.Level, PC: r.PC}
	var back []slog.Attr
	if extra := r.NumAttrs() - inlineAttrs; extra > 0 {
		back = make([]slog.Attr, 0, extra)
	}
	need := len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if k.nFront < inlineAttrs {
			k.front[k.nFront] = a
			k.nFront++
		} else {
			back = append(back, a)
		}
		need += textLen(a)
		return true
	})
	t := newText(need)
	k.Message = t.copy(r.Message)
	n := allocSize(need) + allocSize(len(back)*attrSize)
	for i := range k.nFront {
		var size int
		k.front[i], size = t.attr(k.front[i])
		n += size
	}
	for i := range back {
		var size int
		back[i], size = t.attr(back[i])
		n += size
	}
	k.setBack(back)
	return n
}

// Record returns the record the snapshot holds, with attributes of its
// own: a handler may add to it.
func (k *Kept) Record() slog.Record {
	r := slog.NewRecord(k.Time, k.Level, k.Message, k.PC)
	r.AddAttrs(k.front[:k.nFront]...)
	r.AddAttrs(k.backAttrs()...)
	return r
}
