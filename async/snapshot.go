package async

import (
	"log/slog"
	"reflect"
	"time"
)

// maxCopyDepth bounds how deep snapshotting follows maps, slices, pointers
// and struct fields inside one attribute value; deeper levels (and cycles)
// are shared with the caller rather than copied.
const maxCopyDepth = 16

// snapshotRecord returns a copy of r that the drain goroutine may read while
// the caller goes on to mutate whatever it logged: LogValuers are resolved
// here, on the caller's goroutine, and values that can be mutated in place
// (maps, slices, arrays, pointers, structs holding them) are deep-copied.
// A record holding only immutable kinds (strings, numbers, bools, times,
// durations, errors) costs one Clone and no allocation beyond it.
func snapshotRecord(r slog.Record) slog.Record {
	mutable := false
	r.Attrs(func(a slog.Attr) bool {
		mutable = !isImmutable(a.Value)
		return !mutable
	})
	if !mutable {
		return r.Clone()
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, snapshotAttr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return out
}

// snapshotAttrs returns attrs with every value snapshotted as in
// snapshotRecord, sharing the slice when nothing needs copying.
func snapshotAttrs(attrs []slog.Attr) []slog.Attr {
	for i, a := range attrs {
		if isImmutable(a.Value) {
			continue
		}
		out := make([]slog.Attr, len(attrs))
		copy(out, attrs[:i])
		for j := i; j < len(attrs); j++ {
			out[j] = snapshotAttr(attrs[j])
		}
		return out
	}
	return attrs
}

func snapshotAttr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: a.Key, Value: snapshotValue(a.Value)}
}

func snapshotValue(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		return slog.GroupValue(snapshotAttrs(v.Group())...)
	case slog.KindAny:
		if isImmutableAny(v.Any()) {
			return v
		}
		return slog.AnyValue(deepCopy(v.Any()))
	default:
		return v
	}
}

// isImmutable reports whether v can be handed to another goroutine as is.
func isImmutable(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindLogValuer:
		return false
	case slog.KindGroup:
		for _, a := range v.Group() {
			if !isImmutable(a.Value) {
				return false
			}
		}
		return true
	case slog.KindAny:
		return isImmutableAny(v.Any())
	default:
		return true
	}
}

// isImmutableAny reports whether x is a value whose content the caller
// cannot change after logging it. Errors count as immutable: an error's
// Error method is called on the drain goroutine.
func isImmutableAny(x any) bool {
	switch x.(type) {
	case nil, error, string, bool, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, uintptr, float32, float64,
		complex64, complex128, time.Time, time.Duration, *time.Location:
		return true
	}
	switch reflect.TypeOf(x).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Pointer, reflect.Struct, reflect.Interface:
		return false
	default: // basic kinds under a named type, funcs, chans
		return true
	}
}

// deepCopy copies maps, slices, arrays, pointers and the exported fields of
// structs down to maxCopyDepth. Unexported struct fields are copied as
// values (what they point to is shared).
func deepCopy(x any) any {
	v := reflect.ValueOf(x)
	c := copyValue(v, 0)
	if !c.IsValid() {
		return x
	}
	return c.Interface()
}

func copyValue(v reflect.Value, depth int) reflect.Value {
	if depth >= maxCopyDepth {
		return v
	}
	switch v.Kind() {
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			m.SetMapIndex(iter.Key(), copyValue(iter.Value(), depth+1))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if isFlat(v.Type().Elem()) {
			reflect.Copy(s, v)
			return s
		}
		for i := range v.Len() {
			s.Index(i).Set(copyValue(v.Index(i), depth+1))
		}
		return s
	case reflect.Array:
		a := reflect.New(v.Type()).Elem()
		a.Set(v)
		if !isFlat(v.Type().Elem()) {
			for i := range v.Len() {
				a.Index(i).Set(copyValue(v.Index(i), depth+1))
			}
		}
		return a
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(copyValue(v.Elem(), depth+1))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := copyValue(v.Elem(), depth+1)
		i := reflect.New(v.Type()).Elem()
		i.Set(c)
		return i
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		s.Set(v)
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() || isFlat(t.Field(i).Type) {
				continue
			}
			s.Field(i).Set(copyValue(v.Field(i), depth+1))
		}
		return s
	default:
		return v
	}
}

// isFlat reports whether values of t hold no references that snapshotting
// follows, so a plain value copy is a deep copy.
func isFlat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		return false
	case reflect.Array:
		return isFlat(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && !isFlat(t.Field(i).Type) {
				return false
			}
		}
		return true
	default:
		return true
	}
}
