package redact

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"unsafe"
)

// anyValue masks a value of kind Any as the JSON handler will write it, and
// makes every sink write what was judged. It returns the value to pass on
// and true, or false when the original value is passed on unchanged.
//
//   - a string, or a slice of bytes ([]byte, json.RawMessage, any
//     byte-slice type that is neither a json.Marshaler nor an
//     encoding.TextMarshaler, whatever its other methods), is a body: JSON
//     is masked as JSON, anything else as text (see body); it is passed on
//     unchanged when clean, except a byte-slice type with methods, which is
//     then replaced by a copy of its bytes as a plain []byte, so that no
//     sink renders it by a method (String, ...) whose output was not read;
//   - an error that is not a json.Marshaler is written as its Error() text
//     by every sink; it is passed on unchanged when clean, unless it has a
//     text form of its own (encoding.TextMarshaler, fmt.Formatter), and
//     is then replaced by its (masked) Error() text;
//   - a slog.Value is masked as a value;
//   - a boolean, number or string of a named type without methods is
//     written the same by every sink, and masked as its JSON encoding;
//   - anything else (structs, pointers, maps, slices, types with methods:
//     json.Marshaler, encoding.TextMarshaler, fmt.Stringer values, snapshot
//     values) is encoded exactly as slog.JSONHandler encodes it, the
//     encoding is masked as a JSON document, and the value is always
//     replaced by a maskedJSON: its JSON in a JSON sink and the same JSON
//     text in a text sink (MarshalText, String), so that no sink renders a
//     form (fmt's %+v with unexported fields, a String method, ...) that
//     was not read.
func (x *Redactor) anyValue(a any, t *tally) (slog.Value, bool) {
	switch a := a.(type) {
	case nil:
		return slog.Value{}, false
	case maskedJSON:
		if out, changed, _ := x.jsonDoc(unsafe.Slice(unsafe.StringData(string(a)), len(a)), t, 0); changed {
			return slog.AnyValue(maskedJSON(out)), true
		}
		return slog.Value{}, false
	case string:
		if s, ok := x.body(a, t, 0); ok {
			return slog.StringValue(s), true
		}
		return slog.Value{}, false
	case []byte:
		return x.bytesValue(a, t)
	case json.RawMessage:
		return x.bytesValue(a, t)
	case slog.Value:
		return x.value(a, t)
	}
	if err, ok := a.(error); ok {
		if _, jm := a.(json.Marshaler); !jm {
			return x.errorValue(err, t)
		}
	}
	switch rv := reflect.ValueOf(a); scalarClass(rv.Type()) {
	case scalarBytes:
		return x.bytesValue(rv.Bytes(), t)
	case bytesWithMethods:
		if v, changed := x.bytesValue(rv.Bytes(), t); changed {
			return v, true
		}
		return slog.AnyValue(bytes.Clone(rv.Bytes())), true
	case scalarPlain:
		return x.encodedValue(a, t, false)
	}
	return x.encodedValue(a, t, true)
}

// errorValue masks an error as its Error() text. An error that has a text
// form of its own, which a text sink would write instead of Error(), is
// always replaced by the masked Error() text.
func (x *Redactor) errorValue(err error, t *tally) (slog.Value, bool) {
	s, changed := x.body(safeError(err), t, 0)
	if changed || hasOwnTextForm(err) {
		return slog.StringValue(s), true
	}
	return slog.Value{}, false
}

// hasOwnTextForm reports whether a text sink would write err otherwise than
// by its Error() text.
func hasOwnTextForm(err error) bool {
	switch err.(type) {
	case encoding.TextMarshaler, fmt.Formatter:
		return true
	}
	return false
}

// scalarKind says how a value of kind Any that is not an error is judged.
type scalarKind uint8

const (
	// structured: written by sinks in different forms; always replaced by
	// its (masked) JSON.
	structured scalarKind = iota
	// scalarPlain: a boolean, number or string of a type without methods,
	// written the same by every sink.
	scalarPlain
	// scalarBytes: a slice of bytes of a type without methods, a body.
	scalarBytes
	// bytesWithMethods: a slice of bytes of a type with methods, none of
	// which changes how slog's handlers write it (they write the bytes: as
	// base64 in JSON, as text in text); a body, always replaced.
	bytesWithMethods
)

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// scalarClass classifies a type of a value of kind Any.
func scalarClass(rt reflect.Type) scalarKind {
	if isByteSlice(rt) {
		switch {
		case marshalsItself(rt):
			return structured
		case rt.NumMethod() != 0:
			return bytesWithMethods
		}
		return scalarBytes
	}
	if rt.NumMethod() != 0 {
		return structured
	}
	switch rt.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return scalarPlain
	}
	return structured
}

// isByteSlice reports whether rt is a slice of bytes, whatever the names of
// the slice and element types.
func isByteSlice(rt reflect.Type) bool {
	return rt.Kind() == reflect.Slice && rt.Elem().Kind() == reflect.Uint8
}

// marshalsItself reports whether encoding/json or slog.TextHandler writes
// the byte-slice type rt by a method rather than as its bytes: rt is a
// json.Marshaler or an encoding.TextMarshaler, or its element type is one
// (encoding/json then writes an array of the elements).
func marshalsItself(rt reflect.Type) bool {
	elem := reflect.PointerTo(rt.Elem())
	return rt.Implements(jsonMarshalerType) || rt.Implements(textMarshalerType) ||
		elem.Implements(jsonMarshalerType) || elem.Implements(textMarshalerType)
}

// bytesValue masks a byte slice as a body. A masked body that is valid JSON
// becomes a value that encodes as that JSON; any other masked body becomes
// the masked text.
func (x *Redactor) bytesValue(b []byte, t *tally) (slog.Value, bool) {
	out, changed, valid := x.jsonDoc(b, t, 0)
	if valid {
		if changed {
			return slog.AnyValue(maskedJSON(out)), true
		}
		return slog.Value{}, false
	}
	if s, ok := x.text(unsafe.String(unsafe.SliceData(b), len(b)), t); ok {
		return slog.StringValue(s), true
	}
	return slog.Value{}, false
}

// encodedValue encodes a as slog.JSONHandler does and masks the encoding.
// With always, the value is replaced by its encoding even when nothing is
// masked. An encoding error is written by the JSON handler as "!ERROR:" and
// the error's text, a panic as "!PANIC: " and the panic value (or "<nil>"
// for a nil pointer); those texts are checked by the value patterns, and
// replace the value (a panic always, so that nothing below panics on it
// again).
func (x *Redactor) encodedValue(a any, t *tally, always bool) (slog.Value, bool) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.Reset()
	panicText, err := encodeJSON(buf, a)
	switch {
	case panicText != "":
		s, _ := x.text(panicText, t)
		return slog.StringValue(s), true
	case err != nil:
		if s, ok := x.text("!ERROR:"+err.Error(), t); ok || always {
			return slog.StringValue(s), true
		}
		return slog.Value{}, false
	}
	enc := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	out, changed, valid := x.jsonDoc(enc, t, 0)
	switch {
	case !valid:
		// Nested deeper than the JSON walk goes: masked as text.
		if s, ok := x.text(string(enc), t); ok {
			return slog.StringValue(s), true
		}
		if always {
			return slog.AnyValue(maskedJSON(enc)), true
		}
		return slog.Value{}, false
	case changed:
		return slog.AnyValue(maskedJSON(out)), true
	case always:
		return slog.AnyValue(maskedJSON(enc)), true
	}
	return slog.Value{}, false
}

// encodeJSON writes a to buf as slog.JSONHandler does (json.Encoder,
// SetEscapeHTML(false)). A panic while encoding is recovered and returned
// as the text slog writes for it.
func encodeJSON(buf *bytes.Buffer, a any) (panicText string, err error) {
	defer func() {
		if r := recover(); r != nil {
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.Pointer && rv.IsNil() {
				panicText = "<nil>"
				return
			}
			panicText = safePanicText(r)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return "", enc.Encode(a)
}

// safePanicText formats a recovered panic value as slog does, surviving a
// value whose own formatting panics.
func safePanicText(r any) (s string) {
	defer func() {
		if recover() != nil {
			s = "!PANIC: <unprintable>"
		}
	}()
	return fmt.Sprintf("!PANIC: %v", r)
}

// maxPooledBuffer is the largest encoding buffer kept for reuse.
const maxPooledBuffer = 64 << 10

var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putEncodeBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		encodeBuffers.Put(b)
	}
}

// maskedJSON is a masked value of kind Any: the JSON encoding of the
// caller's value with its secrets replaced. It encodes as exactly those
// bytes, and is the same text for text sinks. Being a string, it is
// immutable and safe to share and to copy.
type maskedJSON string

// MarshalJSON returns the masked JSON.
func (m maskedJSON) MarshalJSON() ([]byte, error) { return []byte(m), nil }

// MarshalText returns the masked JSON, for text handlers.
func (m maskedJSON) MarshalText() ([]byte, error) { return []byte(m), nil }

// String returns the masked JSON.
func (m maskedJSON) String() string { return string(m) }
