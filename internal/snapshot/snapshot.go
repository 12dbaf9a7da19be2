package snapshot

import (
	"log/slog"
	"unsafe"
)

// attrSize is the size of one slog.Attr held in a slice.
const attrSize = int(unsafe.Sizeof(slog.Attr{}))

// inlineAttrs is the number of attributes slog.Record stores inline.
const inlineAttrs = 5

// Record returns a snapshot of r (see the package doc) and the heap bytes
// it holds beyond the slog.Record struct itself: its text (message, keys
// and string values, copied together into one allocation, so that a short
// string cut from a large one does not keep the large one alive), the
// attributes stored outside the record, groups, and copied or frozen
// values.
func Record(r slog.Record) (slog.Record, int) { return RecordWith(r, nil) }

// RecordWith returns the snapshot Record returns for r with extra added
// after its own attributes (as slog.Record.AddAttrs adds them to a clone of
// r: an empty group among them is left out), without that record being
// built first.
func RecordWith(r slog.Record, extra []slog.Attr) (slog.Record, int) {
	need := len(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		need += textLen(a)
		return true
	})
	kept := 0
	for _, a := range extra {
		if !isEmptyGroup(a.Value) {
			need += textLen(a)
			kept++
		}
	}
	t := newText(need)
	out := slog.NewRecord(r.Time, r.Level, t.copy(r.Message), r.PC)
	n := allocSize(need)
	if over := r.NumAttrs() + kept - inlineAttrs; over > 0 {
		n += allocSize(over * attrSize)
	}
	var inline [8]slog.Attr
	attrs := inline[:0]
	add := func(a slog.Attr) {
		sa, size := t.attr(a)
		attrs = append(attrs, sa)
		n += size
	}
	r.Attrs(func(a slog.Attr) bool {
		add(a)
		return true
	})
	for _, a := range extra {
		if !isEmptyGroup(a.Value) {
			add(a)
		}
	}
	out.AddAttrs(attrs...)
	return out, n
}

// isEmptyGroup reports whether v is a group of no attributes, which
// slog.Record.AddAttrs leaves out.
func isEmptyGroup(v slog.Value) bool {
	return v.Kind() == slog.KindGroup && len(v.Group()) == 0
}

// Attrs returns snapshots of attrs and the heap bytes they hold, the slice
// and their text included.
func Attrs(attrs []slog.Attr) ([]slog.Attr, int) {
	need := 0
	for _, a := range attrs {
		need += textLen(a)
	}
	t := newText(need)
	out, n := t.attrs(attrs)
	return out, n + allocSize(need)
}

// Value returns a snapshot of v and the heap bytes it holds.
func Value(v slog.Value) (slog.Value, int) {
	a, n := Attrs([]slog.Attr{{Value: v}})
	return a[0].Value, n - allocSize(attrSize)
}

// textLen is the length of the text a snapshot of a copies into its text
// block: its key, and its string value or its group's text. A LogValuer's
// text is not known before it is resolved; it is copied on its own.
func textLen(a slog.Attr) int {
	n := len(a.Key)
	switch a.Value.Kind() {
	case slog.KindString:
		n += len(a.Value.String())
	case slog.KindGroup:
		for _, ga := range a.Value.Group() {
			n += textLen(ga)
		}
	}
	return n
}

// text is the block a snapshot's strings are copied into, allocated once
// at its exact size.
type text struct{ b []byte }

func newText(n int) *text {
	if n == 0 {
		return &text{}
	}
	return &text{b: make([]byte, 0, n)}
}

// copy returns s copied into the block. A block that is full (a
// LogValuer's text, not known when it was sized) gets a fresh allocation
// of its own: the strings copied before stay valid either way.
func (t *text) copy(s string) string {
	if s == "" {
		return ""
	}
	if len(t.b)+len(s) > cap(t.b) {
		return string([]byte(s))
	}
	i := len(t.b)
	t.b = append(t.b, s...)
	return unsafe.String(&t.b[i], len(s))
}

// attrs returns snapshots of attrs in a new slice and the heap they hold
// besides the text block.
func (t *text) attrs(attrs []slog.Attr) ([]slog.Attr, int) {
	out := make([]slog.Attr, len(attrs))
	n := allocSize(len(attrs) * attrSize)
	for i, a := range attrs {
		var size int
		out[i], size = t.attr(a)
		n += size
	}
	return out, n
}

// attr returns a snapshot of a and the heap it holds besides the text
// block.
func (t *text) attr(a slog.Attr) (slog.Attr, int) {
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
		if v.Kind() == slog.KindGroup && len(v.Group()) == 0 {
			return slog.Attr{Key: t.copy(a.Key), Value: slog.AnyValue(emptyGroup{})}, 0
		}
		if v.Kind() == slog.KindString || v.Kind() == slog.KindGroup {
			// Its text was not counted when the block was sized: it gets
			// a block of its own, one allocation however many strings
			// it has (so the charge is the heap it holds).
			need := textLen(slog.Attr{Value: v})
			s, n := newText(need).value(v)
			return slog.Attr{Key: t.copy(a.Key), Value: s}, n + allocSize(need)
		}
	}
	s, n := t.value(v)
	return slog.Attr{Key: t.copy(a.Key), Value: s}, n
}

// value returns a snapshot of a resolved value and the heap it holds
// besides the text block.
func (t *text) value(v slog.Value) (slog.Value, int) {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(t.copy(v.String())), 0
	case slog.KindGroup:
		g, n := t.attrs(v.Group())
		return slog.GroupValue(g...), n
	case slog.KindAny:
		return anyValue(v.Any())
	default:
		return v, 0
	}
}

// allocSize is the estimated heap footprint of an allocation of n bytes:
// rounded up to 16 (the allocator's size classes) plus an eighth for the
// wider spacing of the larger classes.
func allocSize(n int) int {
	if n <= 0 {
		return 0
	}
	return (n+15)&^15 + n/8
}

// emptyGroup stands for a LogValuer that resolved to an empty group. Kept
// as a LogValuer, not as the empty group, it stays in the record (a
// slog.Record drops an empty group added to it) and counts among its
// attributes, so a handler writes what it wrote for the original: a
// group opened with WithGroup is written, empty, for a record whose only
// attribute is such a LogValuer, as slog.JSONHandler does.
type emptyGroup struct{}

// LogValue returns the empty group.
func (emptyGroup) LogValue() slog.Value { return slog.GroupValue() }
