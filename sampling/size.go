package sampling

import (
	"log/slog"
	"unsafe"
)

// Sizes used by the buffer's memory estimate. The estimate is meant to be
// cheap (one pass over the record's attributes, no reflection) and to err on
// the high side for the common kinds.
const (
	// entrySize is what one buffer slot holds inline: the record (with its
	// inline attributes), its context and its handler.
	entrySize = int(unsafe.Sizeof(entry{}))
	// attrSize is the size of one slog.Attr held outside the record's
	// inline array (in its overflow slice or in a group).
	attrSize = int(unsafe.Sizeof(slog.Attr{}))
	// anySize is charged for a value of kind Any: the boxed value's memory
	// is not known without reflection.
	anySize = 64
	// inlineAttrs is the number of attributes slog.Record stores inline.
	inlineAttrs = 5
)

// payloadSize estimates the memory a record holds beyond its buffer slot:
// the message, the overflow attributes, keys, string values and groups. It
// also reports whether any attribute, at any depth, is a slog.LogValuer
// still to be resolved.
func payloadSize(r slog.Record) (n int, logValuer bool) {
	n = allocSize(len(r.Message))
	if extra := r.NumAttrs() - inlineAttrs; extra > 0 {
		n += allocSize(extra * attrSize)
	}
	r.Attrs(func(a slog.Attr) bool {
		n += attrPayload(a, &logValuer)
		return true
	})
	return n, logValuer
}

// allocSize is the estimated heap footprint of an allocation of n bytes:
// rounded up to 16 (the allocator's size classes) plus an eighth for the
// wider spacing of the larger classes. Strings that are not on the heap at
// all (constants) are overcounted, which errs on the safe side.
func allocSize(n int) int {
	if n <= 0 {
		return 0
	}
	return (n+15)&^15 + n/8
}

func attrPayload(a slog.Attr, logValuer *bool) int {
	n := allocSize(len(a.Key))
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		n += allocSize(len(v.String()))
	case slog.KindGroup:
		g := v.Group()
		n += allocSize(len(g) * attrSize)
		for _, ga := range g {
			n += attrPayload(ga, logValuer)
		}
	case slog.KindLogValuer:
		*logValuer = true
		n += anySize
	case slog.KindAny:
		n += anySize
	}
	return n
}

// resolved returns a copy of r whose LogValuer attributes (at any depth)
// are resolved now, so that a record held in a buffer shows the values as
// they were when it was logged.
func resolved(r slog.Record) slog.Record {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, resolveAttr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return out
}

func resolveAttr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup {
		g := a.Value.Group()
		rg := make([]slog.Attr, len(g))
		for i, ga := range g {
			rg[i] = resolveAttr(ga)
		}
		a.Value = slog.GroupValue(rg...)
	}
	return a
}
