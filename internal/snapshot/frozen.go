package snapshot

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
)

// Frozen is a value encoded when it was logged: handlers that write JSON
// get the JSON json.Marshal wrote for it then, handlers that write text
// get the text slog.TextHandler would have written then (its MarshalText,
// or fmt's %+v).
type Frozen struct {
	json []byte
	text string
}

// MarshalJSON returns the value's JSON as it was when it was logged.
func (f Frozen) MarshalJSON() ([]byte, error) { return f.json, nil }

// MarshalText returns the value's text as it was when it was logged.
func (f Frozen) MarshalText() ([]byte, error) { return []byte(f.text), nil }

// String returns the value's text as it was when it was logged.
func (f Frozen) String() string { return f.text }

func (f Frozen) size() int { return allocSize(len(f.json)) + allocSize(len(f.text)) + 48 }

// freeze encodes x now. When json.Marshal fails (a cycle, a channel, a
// failing MarshalJSON), the JSON holds the "!ERROR:" text slog's JSON
// handler writes for such a value, and so does the text of a cycle.
func freeze(x any) (f Frozen) {
	defer func() {
		if p := recover(); p != nil {
			f = panicFrozen(x, p)
		}
	}()
	if tooLarge(x) {
		return stringFrozen(fmt.Sprintf("!ERROR:value too large to keep: more than %d parts to encode", maxEncodedParts))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		f := errorFrozen(err)
		if _, cycle := err.(*json.UnsupportedValueError); !cycle {
			// fmt's %+v does not end on a cyclic value; any other
			// value has its text.
			f.text = textOf(x)
		}
		return f
	}
	js := bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return Frozen{json: js, text: textOf(x)}
}

// textOf is the text slog.TextHandler writes for x.
func textOf(x any) string {
	if tm, ok := x.(encoding.TextMarshaler); ok {
		t, err := tm.MarshalText()
		if err != nil {
			return "!ERROR:" + err.Error()
		}
		return string(t)
	}
	return fmt.Sprintf("%+v", x)
}

// panicFrozen is the frozen form of a value whose encoding panicked, as
// slog's handlers write it: "<nil>" for a nil pointer whose method does
// not guard against nil, else "!PANIC: " and the panic value.
func panicFrozen(x any, p any) Frozen {
	text := fmt.Sprintf("!PANIC: %v", p)
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		text = "<nil>"
	}
	return stringFrozen(text)
}

// errorFrozen is the frozen form of a value that could not be encoded.
func errorFrozen(err error) Frozen {
	return stringFrozen("!ERROR:" + err.Error())
}

// stringFrozen is a frozen value written as the string text.
func stringFrozen(text string) Frozen {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(text) // a string always encodes
	return Frozen{json: bytes.TrimSuffix(buf.Bytes(), []byte("\n")), text: text}
}
