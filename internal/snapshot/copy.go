package snapshot

import (
	"log/slog"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// maxNodes bounds the maps, slices, pointers, structs and interfaces one deep
// copy visits; a value larger than that is frozen instead, which costs
// time linear in its encoding.
const maxNodes = 1 << 16

// anyValue returns a snapshot of x, a value of kind Any, and the heap
// bytes the snapshot holds.
func anyValue(x any) (slog.Value, int) {
	if isImmutable(x) {
		return slog.AnyValue(x), immutableSize(x)
	}
	if err, ok := isPlainError(x); ok {
		f := freezeError(err)
		return slog.AnyValue(f), immutableSize(f)
	}
	v := reflect.ValueOf(x)
	if isPlain(v.Type()) {
		c := copier{nodes: maxNodes}
		if cv, ok := c.copy(v); ok {
			return slog.AnyValue(cv.Interface()), c.bytes + 16
		}
	}
	f := freeze(x)
	return slog.AnyValue(f), f.size()
}

// copier deep-copies plain values (see isPlain), each shared pointer, map
// and slice once, so that cycles and shared sub-structure cost their size
// and no more.
type copier struct {
	nodes int // visits left before the copy gives up
	bytes int // heap held by the copy
	memo  map[memoKey]reflect.Value
}

// memoKey identifies a pointer, map or slice already copied: its address,
// its type, and for a slice its length.
type memoKey struct {
	p unsafe.Pointer
	t reflect.Type
	n int
}

// copy returns a deep copy of v; false when the value turned out not to be
// plain (an interface holding something that is not) or past the bound.
func (c *copier) copy(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		c.bytes += allocSize(v.Len())
		return reflect.ValueOf(string([]byte(v.String()))).Convert(v.Type()), true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return v, true
	}
	if c.nodes--; c.nodes < 0 {
		return reflect.Value{}, false
	}
	switch v.Kind() {
	case reflect.Pointer:
		return c.copyPointer(v)
	case reflect.Interface:
		return c.copyInterface(v)
	case reflect.Slice:
		return c.copySlice(v)
	case reflect.Array:
		return c.copyArray(v)
	case reflect.Map:
		return c.copyMap(v)
	case reflect.Struct:
		return c.copyStruct(v)
	default: // not plain: isPlain keeps these out
		return reflect.Value{}, false
	}
}

// seen returns the copy already made for k, if any.
func (c *copier) seen(k memoKey) (reflect.Value, bool) {
	cv, ok := c.memo[k]
	return cv, ok
}

func (c *copier) remember(k memoKey, cv reflect.Value) {
	if c.memo == nil {
		c.memo = make(map[memoKey]reflect.Value)
	}
	c.memo[k] = cv
}

func (c *copier) copyPointer(v reflect.Value) (reflect.Value, bool) {
	if v.IsNil() {
		return v, true
	}
	k := memoKey{p: v.UnsafePointer(), t: v.Type()}
	if cv, ok := c.seen(k); ok {
		return cv, true
	}
	p := reflect.New(v.Type().Elem())
	c.remember(k, p) // before the element: a cycle comes back to p
	c.bytes += allocSize(int(v.Type().Elem().Size()))
	e, ok := c.copy(v.Elem())
	if !ok {
		return reflect.Value{}, false
	}
	p.Elem().Set(e)
	return p, true
}

func (c *copier) copyInterface(v reflect.Value) (reflect.Value, bool) {
	if v.IsNil() {
		return v, true
	}
	e := v.Elem()
	if isImmutable(e.Interface()) {
		c.bytes += immutableSize(e.Interface())
		return v, true
	}
	if !isPlain(e.Type()) {
		return reflect.Value{}, false
	}
	ce, ok := c.copy(e)
	if !ok {
		return reflect.Value{}, false
	}
	i := reflect.New(v.Type()).Elem()
	i.Set(ce)
	c.bytes += 16 // the interface's box
	return i, true
}

func (c *copier) copySlice(v reflect.Value) (reflect.Value, bool) {
	if v.IsNil() {
		return v, true
	}
	k := memoKey{p: v.UnsafePointer(), t: v.Type(), n: v.Len()}
	if cv, ok := c.seen(k); ok {
		return cv, true
	}
	s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	c.remember(k, s)
	c.bytes += allocSize(v.Len() * int(v.Type().Elem().Size()))
	if isFlat(v.Type().Elem()) {
		reflect.Copy(s, v)
		return s, true
	}
	for i := range v.Len() {
		e, ok := c.copy(v.Index(i))
		if !ok {
			return reflect.Value{}, false
		}
		s.Index(i).Set(e)
	}
	return s, true
}

func (c *copier) copyArray(v reflect.Value) (reflect.Value, bool) {
	a := reflect.New(v.Type()).Elem()
	a.Set(v)
	if isFlat(v.Type().Elem()) {
		return a, true
	}
	for i := range v.Len() {
		e, ok := c.copy(v.Index(i))
		if !ok {
			return reflect.Value{}, false
		}
		a.Index(i).Set(e)
	}
	return a, true
}

func (c *copier) copyMap(v reflect.Value) (reflect.Value, bool) {
	if v.IsNil() {
		return v, true
	}
	k := memoKey{p: v.UnsafePointer(), t: v.Type()}
	if cv, ok := c.seen(k); ok {
		return cv, true
	}
	m := reflect.MakeMapWithSize(v.Type(), v.Len())
	c.remember(k, m)
	t := v.Type()
	c.bytes += mapSize(v.Len(), int(t.Key().Size()+t.Elem().Size()))
	iter := v.MapRange()
	for iter.Next() {
		mk, ok := c.copy(iter.Key())
		if !ok {
			return reflect.Value{}, false
		}
		mv, ok := c.copy(iter.Value())
		if !ok {
			return reflect.Value{}, false
		}
		m.SetMapIndex(mk, mv)
	}
	return m, true
}

func (c *copier) copyStruct(v reflect.Value) (reflect.Value, bool) {
	s := reflect.New(v.Type()).Elem()
	if v.Type() == timeType || isFlat(v.Type()) {
		s.Set(v)
		return s, true
	}
	for i := range v.NumField() {
		f, ok := c.copy(v.Field(i))
		if !ok {
			return reflect.Value{}, false
		}
		s.Field(i).Set(f)
	}
	return s, true
}

var timeType = reflect.TypeFor[time.Time]()

// plainTypes caches isPlain per type.
var plainTypes sync.Map // reflect.Type -> bool

// isPlain reports whether values of t can be deep-copied with all their
// state visible: basic kinds, strings, time.Time, and slices, arrays,
// maps, pointers and structs of exported fields built from them, with no
// method that encoders would call instead of reading the fields
// (json.Marshaler, encoding.TextMarshaler, error, fmt.Stringer,
// slog.LogValuer). Interfaces are checked by their dynamic value when
// copied.
func isPlain(t reflect.Type) bool {
	if p, ok := plainTypes.Load(t); ok {
		return p.(bool)
	}
	p := plainType(t, map[reflect.Type]bool{})
	plainTypes.Store(t, p)
	return p
}

func plainType(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if t == timeType {
		return true
	}
	if visiting[t] { // a recursive type: plain unless something else says not
		return true
	}
	if isByteSlice(t) {
		// Whatever methods it has (json.RawMessage's MarshalJSON), they
		// read only the bytes, which the copy holds.
		return true
	}
	if hasEncoderMethod(t) {
		return false
	}
	visiting[t] = true
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String,
		reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return plainType(t.Elem(), visiting)
	case reflect.Map:
		return plainType(t.Key(), visiting) && plainType(t.Elem(), visiting)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); !f.IsExported() || !plainType(f.Type, visiting) {
				return false
			}
		}
		return true
	default: // channels, funcs, unsafe pointers
		return false
	}
}

var encoderMethods = []reflect.Type{
	reflect.TypeFor[interface{ MarshalJSON() ([]byte, error) }](),
	reflect.TypeFor[interface{ MarshalText() ([]byte, error) }](),
	reflect.TypeFor[interface{ Error() string }](),
	reflect.TypeFor[interface{ String() string }](),
	reflect.TypeFor[slog.LogValuer](),
}

// hasEncoderMethod reports whether t or *t has a method an encoder calls
// instead of reading the value's fields.
func hasEncoderMethod(t reflect.Type) bool {
	pt := t
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		pt = reflect.PointerTo(t)
	}
	for _, m := range encoderMethods {
		if t.Kind() != reflect.Interface && (t.Implements(m) || pt.Implements(m)) {
			return true
		}
	}
	return false
}

// isFlat reports whether values of t hold no references, so a plain value
// copy is a deep copy.
func isFlat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.String:
		return false
	case reflect.Array:
		return isFlat(t.Elem())
	case reflect.Struct:
		if t == timeType {
			return true
		}
		for i := range t.NumField() {
			if !isFlat(t.Field(i).Type) {
				return false
			}
		}
		return true
	default:
		return true
	}
}

// isByteSlice reports whether t is []byte or a named type of it.
func isByteSlice(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// mapSize estimates the heap of a map of n entries of slot bytes each:
// its header and its slots (groups of 8, filled to at most 7/8), each with
// a control byte.
func mapSize(n, slot int) int {
	slots := 8
	for slots*7/8 < n {
		slots *= 2
	}
	return allocSize(48) + allocSize(slots*(slot+1))
}
