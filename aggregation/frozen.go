package aggregation

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/slogstack/slogstack/internal/cut"
	"github.com/slogstack/slogstack/internal/snapshot"
)

// frozen is the copy of a record held for a summary: a snapshot of the
// record as it was at the call (see internal/snapshot), within the
// summary's bounds. It shares nothing the caller can mutate or that keeps
// more of the caller's memory alive than it is charged for.
type frozen struct {
	msg       string
	level     slog.Level
	pc        uintptr
	attrs     []slog.Attr
	truncated bool
	heapBytes int // memory held, charged to the cache
}

// attrSize is the size of a slog.Attr held in a slice.
const attrSize = int(unsafe.Sizeof(slog.Attr{}))

// freeze copies r for a summary. Each string (the message and keys
// included) is copied and cut to maxValue bytes; every other value is
// taken as snapshot.Value takes it, and replaced by its text cut to
// maxValue bytes when its JSON or text is longer than that. Attributes are
// kept in order while their cost, the larger of their estimated JSON
// length and the memory they hold, fits in maxAttr; the rest are left out.
func freeze(r slog.Record, maxValue, maxAttr int) frozen {
	f := freezer{maxValue: max(maxValue, 0), budget: max(maxAttr, 0)}
	out := frozen{level: r.Level, pc: r.PC}
	out.msg = f.text(r.Message)
	var kept []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if fa, ok := f.attr(a); ok {
			kept = append(kept, fa)
		}
		return !f.full
	})
	// Sized to what is kept, not to what was logged.
	out.attrs = f.attrSlice(kept)
	out.truncated = f.truncated
	out.heapBytes = f.heap
	return out
}

// freezer copies the attributes of one record within its bounds.
type freezer struct {
	maxValue  int
	budget    int  // cost still allowed
	full      bool // the budget ran out; no more attributes
	truncated bool // something was cut or left out
	heap      int  // memory held by what was kept so far
}

// attr copies one attribute; it reports false for an attribute to leave
// out (empty, or past the budget).
func (f *freezer) attr(a slog.Attr) (slog.Attr, bool) {
	if f.full {
		f.truncated = true
		return slog.Attr{}, false
	}
	heapBefore := f.heap
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
		return slog.Attr{}, false // slog's handlers skip it
	}
	key := f.text(a.Key)
	js := jsonLen(key) + 2 // the colon and the comma
	var out slog.Value
	switch v.Kind() {
	case slog.KindGroup:
		as := v.Group()
		if len(as) == 0 {
			f.heap = heapBefore
			return slog.Attr{}, false
		}
		if !f.spend(js+2, f.heap-heapBefore+attrSize) {
			f.heap = heapBefore
			return slog.Attr{}, false
		}
		var children []slog.Attr
		for _, ga := range as {
			if fa, ok := f.attr(ga); ok {
				children = append(children, fa)
			}
			if f.full {
				break
			}
		}
		return slog.Attr{Key: key, Value: slog.GroupValue(f.attrSlice(children)...)}, true
	case slog.KindString:
		s := f.text(v.String())
		js += jsonLen(s)
		out = slog.StringValue(s)
	case slog.KindAny:
		var n int
		out, n = f.anyValue(v.Any())
		js += n
	default:
		// Numbers, booleans, durations and times: held in the Attr.
		js += 40
		out = v
	}
	if !f.spend(js, f.heap-heapBefore+attrSize) {
		f.heap = heapBefore
		return slog.Attr{}, false
	}
	return slog.Attr{Key: key, Value: out}, true
}

// attrSlice returns attrs in a slice of their exact length, charged.
func (f *freezer) attrSlice(attrs []slog.Attr) []slog.Attr {
	if len(attrs) == 0 {
		return nil
	}
	f.heap += allocSize(len(attrs) * attrSize)
	return append(make([]slog.Attr, 0, len(attrs)), attrs...)
}

// spend takes the larger of the JSON length js and the memory held from
// the budget; past it the freezer is full.
func (f *freezer) spend(js, held int) bool {
	n := max(js, held)
	if n > f.budget {
		f.full = true
		f.truncated = true
		return false
	}
	f.budget -= n
	return true
}

// text returns a copy of s that shares no memory with it, cut on a rune
// boundary to at most maxValue bytes plus an ellipsis.
func (f *freezer) text(s string) string {
	if len(s) > f.maxValue {
		s = cut.Prefix(s, f.maxValue) + ellipsis
		f.truncated = true
	} else {
		s = strings.Clone(s)
	}
	f.heap += allocSize(len(s))
	return s
}

// anyValue holds x, a resolved value of kind Any, as snapshot.Value
// returns it (an error that is not a json.Marshaler as its text, which is
// how both slog handlers write it), and returns it with the length of its
// JSON. A value whose JSON or text is longer than maxValue is cut: a JSON
// object or array to its first members as plain maps and slices (see
// pruneJSON), anything else to its text. A value that cannot be written (a
// cycle, a panicking method) is held as the error slog writes for it.
func (f *freezer) anyValue(x any) (slog.Value, int) {
	sv, held := snapshot.Value(slog.AnyValue(x))
	js, text, ok := renderings(sv.Any())
	if ok && len(js) <= f.maxValue && len(text) <= f.maxValue {
		f.heap += held
		return sv, max(len(js), len(text))
	}
	if ok {
		// Too long: a JSON object or array keeps its structure, cut, so
		// that handlers after this one (redaction) still see its keys.
		if p, n, isDoc := pruneJSON(js, f.maxValue); isDoc {
			f.truncated = true
			pv, held := snapshot.Value(slog.AnyValue(p))
			f.heap += held
			return pv, n
		}
	}
	s := f.text(text)
	return slog.StringValue(s), jsonLen(s)
}

// renderings returns the JSON slog.JSONHandler writes for x and the text
// slog.TextHandler writes for it. ok is false when text holds instead the
// only thing both can write: the error of a cyclic value (whose text would
// never end) or the panic of one of its methods.
func renderings(x any) (js []byte, text string, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			js, text, ok = nil, panicText(x, p), false
		}
	}()
	if fr, isFrozen := x.(snapshot.Frozen); isFrozen {
		js, _ = fr.MarshalJSON()
		return js, fr.String(), true
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		text := "!ERROR:" + err.Error()
		if _, cycle := errors.AsType[*json.UnsupportedValueError](err); cycle {
			return nil, text, false
		}
		return []byte(text), textOf(x), true
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), textOf(x), true
}

// textOf is the text slog.TextHandler writes for a value of kind Any,
// before quoting.
func textOf(x any) string {
	if tm, ok := x.(encoding.TextMarshaler); ok {
		t, err := tm.MarshalText()
		if err != nil {
			return "!ERROR:" + err.Error()
		}
		return string(t)
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
		return string(v.Bytes())
	}
	return fmt.Sprintf("%+v", x)
}

// panicText is what slog's handlers write for a value whose method
// panicked: "<nil>" for a nil pointer, else "!PANIC: " and the panic.
func panicText(x, p any) string {
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		return "<nil>"
	}
	return fmt.Sprintf("!PANIC: %v", p)
}

// allocSize is the heap an allocation of n bytes takes: rounded up to the
// allocator's 16-byte granule, plus an eighth for the wider spacing of the
// larger size classes.
func allocSize(n int) int {
	if n <= 0 {
		return 0
	}
	return (n+15)&^15 + n/8
}

// jsonLen estimates the length of s as a JSON string: quotes, escapes for
// control characters, quotes and backslashes, and a replacement for every
// invalid byte.
func jsonLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				n += 5
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 5
		} else if r == '\u2028' || r == '\u2029' {
			n += 3
		}
		i += size
	}
	return n
}
