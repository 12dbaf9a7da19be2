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
// it holds beyond the slog.Record struct itself: the message, the
// attributes stored outside the record, keys, strings and copied or frozen
// values. Strings are shared with the caller but still charged, since the
// snapshot keeps them alive.
func Record(r slog.Record) (slog.Record, int) {
	n := allocSize(len(r.Message))
	if extra := r.NumAttrs() - inlineAttrs; extra > 0 {
		n += allocSize(extra * attrSize)
	}
	if allStable(r) {
		r.Attrs(func(a slog.Attr) bool {
			n += stableSize(a)
			return true
		})
		return r.Clone(), n
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		sa, size := Attr(a)
		attrs = append(attrs, sa)
		n += size
		return true
	})
	out.AddAttrs(attrs...)
	return out, n
}

// Attrs returns snapshots of attrs and the heap bytes they hold, counting
// the slice itself. It returns attrs itself when every value is stable
// already (nothing to resolve or copy).
func Attrs(attrs []slog.Attr) ([]slog.Attr, int) {
	n := allocSize(len(attrs) * attrSize)
	for i, a := range attrs {
		if isStable(a.Value) {
			n += stableSize(a)
			continue
		}
		out := make([]slog.Attr, len(attrs))
		copy(out, attrs[:i])
		for j := i; j < len(attrs); j++ {
			var size int
			out[j], size = Attr(attrs[j])
			n += size
		}
		return out, n
	}
	return attrs, n
}

// Attr returns a snapshot of a and the heap bytes it holds, its key
// included.
func Attr(a slog.Attr) (slog.Attr, int) {
	v, n := Value(a.Value)
	return slog.Attr{Key: a.Key, Value: v}, n + allocSize(len(a.Key))
}

// Value returns a snapshot of v and the heap bytes it holds.
func Value(v slog.Value) (slog.Value, int) {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return v, allocSize(len(v.String()))
	case slog.KindGroup:
		g, n := Attrs(v.Group())
		return slog.GroupValue(g...), n
	case slog.KindAny:
		return anyValue(v.Any())
	default:
		return v, 0
	}
}

// allStable reports whether every attribute of r is stable.
func allStable(r slog.Record) bool {
	stable := true
	r.Attrs(func(a slog.Attr) bool {
		stable = isStable(a.Value)
		return stable
	})
	return stable
}

// isStable reports whether v can be kept as it is: nothing in it to
// resolve, and nothing the caller can change after the call.
func isStable(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindLogValuer:
		return false
	case slog.KindGroup:
		for _, a := range v.Group() {
			if !isStable(a.Value) {
				return false
			}
		}
		return true
	case slog.KindAny:
		return isImmutable(v.Any())
	default:
		return true
	}
}

// stableSize is the heap a stable attribute holds: its key, its string,
// its group's slice and members, and a box for a value of kind Any.
func stableSize(a slog.Attr) int {
	n := allocSize(len(a.Key))
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		n += allocSize(len(v.String()))
	case slog.KindGroup:
		g := v.Group()
		n += allocSize(len(g) * attrSize)
		for _, ga := range g {
			n += stableSize(ga)
		}
	case slog.KindAny:
		n += immutableSize(v.Any())
	}
	return n
}

// allocSize is the estimated heap footprint of an allocation of n bytes:
// rounded up to 16 (the allocator's size classes) plus an eighth for the
// wider spacing of the larger classes. Memory that is not on the heap at
// all (constant strings) is overcounted, which errs on the safe side.
func allocSize(n int) int {
	if n <= 0 {
		return 0
	}
	return (n+15)&^15 + n/8
}
