package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"unsafe"
)

// anyValue masks a value of kind Any as the JSON handler will write it. It
// returns the masked value and true, or false when nothing is masked (the
// caller then passes the original value on, unchanged).
//
//   - a string, or any slice of bytes ([]byte, json.RawMessage, any named
//     byte-slice type), is a body: JSON is masked as JSON, anything else as
//     text (see body);
//   - an error that is not a json.Marshaler is written as its Error() text;
//   - a slog.Value is masked as a value;
//   - anything else (structs, pointers, maps, slices, json.Marshaler and
//     encoding.TextMarshaler values) is encoded exactly as
//     slog.JSONHandler encodes it, and the encoding is masked as a JSON
//     document.
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
			if s, ok := x.body(safeError(err), t, 0); ok {
				return slog.StringValue(s), true
			}
			return slog.Value{}, false
		}
	}
	if rv := reflect.ValueOf(a); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return x.bytesValue(rv.Bytes(), t)
	}
	return x.encodedValue(a, t)
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
// An encoding error is written by the JSON handler as "!ERROR:" and the
// error's text, a panic as "!PANIC: " and the panic value (or "<nil>" for a
// nil pointer); those texts are checked by the value patterns, and a panic
// always replaces the value with its (masked) text, so that nothing below
// panics on it again.
func (x *Redactor) encodedValue(a any, t *tally) (slog.Value, bool) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.Reset()
	panicText, err := encodeJSON(buf, a)
	switch {
	case panicText != "":
		s, _ := x.text(panicText, t)
		return slog.StringValue(s), true
	case err != nil:
		if s, ok := x.text("!ERROR:"+err.Error(), t); ok {
			return slog.StringValue(s), true
		}
		return slog.Value{}, false
	}
	enc := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	out, changed, valid := x.jsonDoc(enc, t, 0)
	if !valid {
		// Nested deeper than the JSON walk goes: masked as text.
		if s, ok := x.text(string(enc), t); ok {
			return slog.StringValue(s), true
		}
		return slog.Value{}, false
	}
	if !changed {
		return slog.Value{}, false
	}
	return slog.AnyValue(maskedJSON(out)), true
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
