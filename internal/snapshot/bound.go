package snapshot

import (
	"reflect"
	"unsafe"
)

// maxEncodedParts bounds the parts (values, fields, elements, entries) an
// encoder would visit to write a value that is frozen. Encoders follow a
// shared part once for each path to it, so a small value with much
// sharing (a chain of nodes each pointing twice at the next) can take
// longer to encode than any caller would wait; such a value is frozen as
// an error text instead.
const maxEncodedParts = 1 << 18

// tooLarge reports whether encoding x would visit more than
// maxEncodedParts parts. It follows what json.Marshal and fmt's %+v
// follow (fields exported or not, elements, entries, pointers, interfaces),
// once per path, and stops at a pointer already on the path (a cycle,
// which the encoders stop at too) and at a value with its own encoding
// method. Its cost is bounded by maxEncodedParts.
func tooLarge(x any) bool {
	w := partWalk{left: maxEncodedParts}
	w.walk(reflect.ValueOf(x), 0)
	return w.left < 0
}

type partWalk struct {
	left int
	path map[unsafe.Pointer]bool // pointers being followed
}

func (w *partWalk) walk(v reflect.Value, depth int) {
	if w.left--; w.left < 0 || !v.IsValid() {
		return
	}
	if depth > 0 && v.Kind() != reflect.Interface && hasEncoderMethod(v.Type()) {
		return // its own method decides what is written
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return
		}
		p := v.UnsafePointer()
		if w.path[p] {
			return // a cycle
		}
		if w.path == nil {
			w.path = make(map[unsafe.Pointer]bool)
		}
		w.path[p] = true
		w.walkChildren(v, depth)
		delete(w.path, p)
	default:
		w.walkChildren(v, depth)
	}
}

func (w *partWalk) walkChildren(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		w.walk(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if isFlat(v.Type().Elem()) {
			w.left -= v.Len() / 64 // scalars: cheap to encode, but not free
			return
		}
		for i := 0; i < v.Len() && w.left >= 0; i++ {
			w.walk(v.Index(i), depth+1)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() && w.left >= 0 {
			w.walk(iter.Key(), depth+1)
			w.walk(iter.Value(), depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField() && w.left >= 0; i++ {
			w.walk(v.Field(i), depth+1)
		}
	}
}
