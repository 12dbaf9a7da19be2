package handler

import (
	"encoding"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unsafe"
)

// structPlan is how appendJSONStruct writes values of one struct type (or
// pointer to it) that encoding/json would encode field by field: the
// fields it writes, in order, each with its key rendered once.
type structPlan struct {
	typ    unsafe.Pointer // the dynamic type word of the values it is for
	ok     bool           // false: the type needs encoding/json
	ptr    bool           // values are pointers to the struct
	fields []fieldPlan
}

// fieldPlan is one field of a structPlan.
type fieldPlan struct {
	kind      reflect.Kind // Bool, Int*, Uint*, Float64, String, or Struct for time.Time
	offset    uintptr      // of the field in the struct
	key       []byte       // the key as JSON, with a leading comma and a trailing colon
	omitEmpty bool
}

// The plan cache is set-associative: a type's plan lives in one of the
// structPlanWays slots of the set its type word hashes to. Memory stays
// fixed however many types a program logs, and types whose words hash to
// the same set (with a few dozen types logged, some do) each keep their
// plan instead of evicting each other's on every call.
const (
	structPlanSetBits = 6
	structPlanSets    = 1 << structPlanSetBits
	structPlanWays    = 4
	structPlanSize    = structPlanSets * structPlanWays
)

var structPlans [structPlanSets][structPlanWays]atomic.Pointer[structPlan]

var (
	timeType          = reflect.TypeFor[time.Time]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// appendJSONStruct appends v, a struct or a non-nil pointer to one, if its
// type is one appendJSONFast handles: every field encoding/json would
// write is a boolean, integer, float64, string or time.Time, there are no
// embedded fields, no tag options but omitempty, no duplicate names, and
// neither the type nor a field type has a MarshalJSON or MarshalText
// method. It reports false, with b's content unchanged, otherwise.
func appendJSONStruct(b []byte, v any) ([]byte, bool) {
	typ := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
	if typ == nil {
		return b, false
	}
	p := cachedStructPlan(typ, v)
	if !p.ok {
		return b, false
	}
	// The fields are read in place: a struct of the kinds a plan allows
	// (never a single pointer) is stored in an interface through a
	// pointer, whose data word is then the struct's address; for p.ptr,
	// the data word is the pointer itself.
	base := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
	if p.ptr && base == nil {
		return append(b, "null"...), true
	}
	start := len(b)
	b = append(b, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		addr := unsafe.Add(base, f.offset)
		if f.omitEmpty && f.kind != reflect.Struct && fieldIsZero(f.kind, addr) {
			continue
		}
		key := f.key
		if first {
			key = key[1:]
			first = false
		}
		b = append(b, key...)
		var ok bool
		if b, ok = appendJSONField(b, f.kind, addr); !ok {
			return b[:start], false
		}
	}
	return append(b, '}'), true
}

// appendJSONField appends the field value at addr, of a kind a fieldPlan
// allows (reflect.Struct standing for time.Time), as encoding/json writes
// it. It reports false for a value encoding/json would reject (NaN, an
// infinity, a time whose year is outside [0, 9999]).
func appendJSONField(b []byte, kind reflect.Kind, addr unsafe.Pointer) ([]byte, bool) {
	switch kind {
	case reflect.Bool:
		return strconv.AppendBool(b, *(*bool)(addr)), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, intField(kind, addr)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendUint(b, uintField(kind, addr)), true
	case reflect.Float64:
		f := *(*float64)(addr)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, false
		}
		return appendJSONFloat(b, f), true
	case reflect.Struct:
		t := *(*time.Time)(addr)
		if !marshalsAsRFC3339(t) {
			return b, false
		}
		return appendJSONTime(b, t, false), true
	default:
		return appendMarshaledString(b, *(*string)(addr)), true
	}
}

// fieldIsZero reports whether the field value at addr, of a kind a
// fieldPlan allows other than time.Time, is the zero value: empty for
// omitempty, as reflect.Value.IsZero says (so -0.0 counts as zero).
func fieldIsZero(kind reflect.Kind, addr unsafe.Pointer) bool {
	switch kind {
	case reflect.Bool:
		return !*(*bool)(addr)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intField(kind, addr) == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintField(kind, addr) == 0
	case reflect.Float64:
		return *(*float64)(addr) == 0
	default:
		return len(*(*string)(addr)) == 0
	}
}

// intField reads the signed integer of the given kind at addr.
func intField(kind reflect.Kind, addr unsafe.Pointer) int64 {
	switch kind {
	case reflect.Int8:
		return int64(*(*int8)(addr))
	case reflect.Int16:
		return int64(*(*int16)(addr))
	case reflect.Int32:
		return int64(*(*int32)(addr))
	case reflect.Int64:
		return *(*int64)(addr)
	default:
		return int64(*(*int)(addr))
	}
}

// uintField reads the unsigned integer of the given kind at addr.
func uintField(kind reflect.Kind, addr unsafe.Pointer) uint64 {
	switch kind {
	case reflect.Uint8:
		return uint64(*(*uint8)(addr))
	case reflect.Uint16:
		return uint64(*(*uint16)(addr))
	case reflect.Uint32:
		return uint64(*(*uint32)(addr))
	case reflect.Uint64:
		return *(*uint64)(addr)
	case reflect.Uintptr:
		return uint64(*(*uintptr)(addr))
	default:
		return uint64(*(*uint)(addr))
	}
}

// cachedStructPlan returns the plan for v, whose dynamic type word is typ,
// from the cache, or builds it and caches it: in a free slot of its set,
// or in place of a plan picked at random when the set is full.
func cachedStructPlan(typ unsafe.Pointer, v any) *structPlan {
	set := &structPlans[structPlanSet(typ)]
	free := -1
	for i := range set {
		p := set[i].Load()
		if p == nil {
			if free < 0 {
				free = i
			}
			continue
		}
		if p.typ == typ {
			return p
		}
	}
	p := newStructPlan(typ, reflect.TypeOf(v))
	if free < 0 {
		free = rand.IntN(structPlanWays)
	}
	set[free].Store(p)
	return p
}

// structPlanSet spreads type words over the sets of the plan cache.
func structPlanSet(typ unsafe.Pointer) uint64 {
	return (uint64(uintptr(typ)) * 0x9E3779B97F4A7C15) >> (64 - structPlanSetBits)
}

// newStructPlan builds the plan for values of type t, whose dynamic type
// word is typ. The plan says ok only when appendJSONStruct writes exactly
// what encoding/json writes for every value of t.
func newStructPlan(typ unsafe.Pointer, t reflect.Type) *structPlan {
	p := &structPlan{typ: typ}
	if t.Kind() == reflect.Pointer {
		p.ptr = true
		if hasMarshaler(t) {
			return p
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || hasMarshaler(t) {
		return p
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return p
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		omitEmpty := false
		switch opts {
		case "":
		case "omitempty":
			omitEmpty = true
		default:
			return p
		}
		if !isValidJSONTag(name) {
			name = sf.Name
		}
		kind, ok := fieldKind(sf.Type)
		if !ok || names[name] {
			return p
		}
		names[name] = true
		key := appendMarshaledString([]byte{','}, name)
		p.fields = append(p.fields, fieldPlan{
			kind: kind, offset: sf.Offset, key: append(key, ':'), omitEmpty: omitEmpty,
		})
	}
	p.ok = true
	return p
}

// fieldKind returns the kind appendJSONField writes a field of type t as,
// and false if t is not one it handles.
func fieldKind(t reflect.Type) (reflect.Kind, bool) {
	if t == timeType {
		return reflect.Struct, true
	}
	if hasMarshaler(t) {
		return 0, false
	}
	switch k := t.Kind(); k {
	case reflect.Bool, reflect.String, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return k, true
	}
	return 0, false
}

// hasMarshaler reports whether t or *t has a MarshalJSON or MarshalText
// method, which encoding/json would call.
func hasMarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		pt.Implements(jsonMarshalerType) || pt.Implements(textMarshalerType)
}

// isValidJSONTag reports whether encoding/json accepts s as a key name in
// a struct tag.
func isValidJSONTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
